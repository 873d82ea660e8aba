// `npm run -s bench -- kvasir [--json] [--epochs 15] [--size 128] [--width 64 --blocks 3,4,6,3 --decoder 256,128,64,32,16] [--lr 5e-5] [--workspace dir]`
// The student trained from scratch on the 900 Kvasir pairs (80/10/10 split, seed 1) for a fixed
// budget at 128×128, then scored on the test split at source resolution — the same protocol as
// ../shared/bench/torch_kvasir.py, so the two can be compared. Defaults are the paper's model and
// optimiser; pass a smaller model or a higher lr for a quicker run, and say so when quoting.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainSettingsFromFlags, TRAIN_FLAG_OPTIONS } from '../../src/main/cli/train-flags';
import { trainStudent } from '../../src/main/student/train';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args, options: { ...TRAIN_FLAG_OPTIONS, workspace: { type: 'string' } } });
  const flags = { epochs: '15', size: '128', ...values };
  const ws = Workspace.open(values.workspace ?? join(tempDir('bench-kvasir'), 'ws'), { create: true });
  try {
    const t0 = Date.now();
    const imported = await importImages(ws, { paths: [KVASIR_IMAGES], masks: KVASIR_MASKS });
    const split = createSplit(ws, { labeled: 1, val: 0.1, test: 0.1, seed: 1 });
    process.stderr.write(`imported ${imported.imported + imported.duplicates} pairs; split ${JSON.stringify(split.counts)}\n`);
    const settings = trainSettingsFromFlags(flags);
    const r = await trainStudent(
      ws,
      { ...settings, splitId: split.id },
      {
        onProgress: (p) => {
          if (p.phase === 'epoch-end' && p.metrics)
            process.stderr.write(
              `epoch ${p.epoch}: train_loss ${p.metrics.train_loss.toFixed(4)} val_dice ${p.metrics.val_dice.toFixed(3)}\n`,
            );
        },
      },
    );
    return {
      backend: r.backend,
      epochs: r.epochs,
      size: settings.size,
      model: settings.model ?? 'default (ResNet34 U-Net++)',
      split: split.counts,
      best_epoch: r.best.epoch,
      best_val_dice: r.best.valDice,
      test_dice_mean: r.test?.dice.mean ?? null,
      test_dice_std: r.test?.dice.std ?? null,
      test_iou_mean: r.test?.iou.mean ?? null,
      test_iou_std: r.test?.iou.std ?? null,
      minutes: (Date.now() - t0) / 60000,
    };
  } finally {
    ws.close();
  }
}
