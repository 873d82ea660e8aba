// `npm run -s bench -- kvasir [--reference] [--json] [--epochs 15] [--size 128] [--seed 1] [--limit N]
//                              [--width 64 --blocks 3,4,6,3 --decoder 256,128,64,32,16] [--lr 5e-5] [--workspace dir]
//                              [--python /usr/bin/python3]`
// The student trained from scratch on Kvasir-SEG with the paper's protocol (lr 5e-5, λ = 0.5, the
// dihedral augmentations, ReduceLROnPlateau, early stop, best-validation checkpoint) at 128×128 for
// 15 epochs, on the 720/90/90 split that ../shared/bench/torch_kvasir.py makes from the seed (the
// same file names: kvasir-split.ts reproduces Python's shuffle). Test scores are given in the frame
// torch_kvasir.py scores in (short side → size, centre crop, threshold 0.5) and, as the app reports
// them, at source resolution.
//
// --reference also runs torch_kvasir.py (the PyTorch U-Net++ R34) on the same images with the same
// budget, one after the other so neither slows the other, and checks that the two test Dice agree
// within 0.03 (`dice_app`, `dice_torch`, `iou_app`, `iou_torch`, `minutes_app`, `minutes_torch`,
// `agree_within_0_03`). It needs Debian's python3-torch (see ../shared/bench/README.md); without it
// the torch figures are null and `torch_missing` says why.
//
// --limit N keeps N images per subset, for smoke runs: both sides then see a data folder of the
// first 10·N file names (sorted), split 8N/N/N by the same rule, and train on N of the 8N.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeScores, scorePair, binarize, type SegmentationSummary } from '../../src/main/metrics/metrics';
import type { Flags } from '../../src/main/cli/command';
import { trainSettingsFromFlags, TRAIN_FLAG_OPTIONS } from '../../src/main/cli/train-flags';
import { normalizeInto, loadSamples } from '../../src/main/student/data';
import { createPredictor, loadStudentFromRun } from '../../src/main/student/predict';
import { resolveSettings, trainStudent } from '../../src/main/student/train';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { assignSubset, createSplit, getSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import type { Subset } from '../../src/shared/contract';
import { KVASIR_IMAGES, KVASIR_MASKS, SHARED_DATA, tempDir } from '../helpers/data';
import { pythonSplitCheck, torchKvasirSplit } from './kvasir-split';

const TORCH_SCRIPT = join(SHARED_DATA, '..', 'bench', 'torch_kvasir.py');
/** The agreement goal between the app's and PyTorch's test Dice. */
export const AGREEMENT = 0.03;

const stemOf = (file: string) => basename(file).replace(/\.[^.]+$/, '');

/** A Kvasir-layout folder (images/, masks/) of links to these stems, for torch_kvasir.py's --data. */
function linkedDataDir(stems: readonly string[]): string {
  const root = tempDir('kvasir-subset');
  for (const sub of ['images', 'masks']) {
    mkdirSync(join(root, sub));
    for (const s of stems) symlinkSync(join(SHARED_DATA, 'kvasir-seg', sub, `${s}.jpg`), join(root, sub, `${s}.jpg`));
  }
  return root;
}

/**
 * A split of the workspace with exactly these members: made with the same counts by createSplit,
 * then each subset assigned by name (the split is new, so it is edited in place), then read back.
 */
function namedSplit(ws: Workspace, members: Record<Subset, string[]>, seed: number): number {
  const idOf = new Map(listImages(ws).images.map((r) => [stemOf(r.sourcePath), r.id]));
  const ids = (names: string[]) =>
    names.map((n) => {
      const id = idOf.get(n);
      if (id === undefined) throw new Error(`image ${n} was not imported`);
      return id;
    });
  const train = members.labeled.length + members.unlabeled.length;
  const total = train + members.val.length + members.test.length;
  createSplit(ws, { labeled: members.labeled.length / train, val: members.val.length / total, test: members.test.length / total, seed });
  let splitId = 0;
  for (const subset of ['val', 'test', 'labeled', 'unlabeled'] as const)
    if (members[subset].length > 0) splitId = assignSubset(ws, ids(members[subset]), subset).id;
  for (const subset of ['val', 'test', 'labeled', 'unlabeled'] as const) {
    const got = splitMembers(ws, splitId, subset);
    const want = ids(members[subset]).sort((a, b) => a - b);
    if (got.length !== want.length || got.some((id, i) => id !== want[i])) throw new Error(`split ${splitId}: the ${subset} subset is not the reference's`);
  }
  return splitId;
}

/**
 * The run's best weights scored on the test subset as torch_kvasir.py scores: the centre-cropped
 * size×size frame, probability > 0.5, per-image IoU and Dice averaged.
 */
async function scoreInTrainingFrame(ws: Workspace, runId: number, testIds: number[]): Promise<SegmentationSummary> {
  const model = loadStudentFromRun(ws, runId);
  const predictor = await createPredictor(model, 'onnx', { device: 'cpu' });
  try {
    const samples = loadSamples(ws, testIds, 'test', model.size);
    const plane = model.size * model.size;
    const scores = [];
    for (const s of samples) {
      const x = new Float32Array(plane * 3);
      normalizeInto(s.rgb, x, 0);
      const prob = await predictor.run(x, 1);
      scores.push(scorePair(binarize(prob.subarray(0, plane)), s.mask!));
    }
    return summarizeScores(scores);
  } finally {
    await predictor.close();
  }
}

/** Why the reference cannot run here, or null when `python` imports torch. */
export function torchMissing(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch, PIL, numpy'], { encoding: 'utf8' });
  if (r.error) return `${python}: ${r.error.message}`;
  if (r.status !== 0) return `${python} cannot import torch, PIL and numpy: ${r.stderr.trim().split('\n').pop()}`;
  return null;
}

interface TorchResult {
  test_dice: number;
  test_iou: number;
  test_dice_std: number;
  test_iou_std: number;
  train_images: number;
  seconds: number;
}

/** torch_kvasir.py with these arguments, its per-epoch lines passed on to stderr; the process's wall time. */
async function runTorch(python: string, args: string[]): Promise<{ result: TorchResult; minutes: number }> {
  const out = join(tempDir('kvasir-torch'), 'result.json');
  const t0 = Date.now();
  const child = spawn(python, [TORCH_SCRIPT, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (d: Buffer) => process.stderr.write(`torch: ${d.toString()}`));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`torch_kvasir.py exited with ${code}`);
  return { result: JSON.parse(readFileSync(out, 'utf8')) as TorchResult, minutes: (Date.now() - t0) / 60000 };
}

const round = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? null : Number(v.toFixed(digits)));

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      ...TRAIN_FLAG_OPTIONS,
      workspace: { type: 'string' },
      reference: { type: 'boolean' },
      limit: { type: 'string' },
      python: { type: 'string' },
    },
  });
  const flags: Flags = { epochs: '15', size: '128', seed: '1', ...values };
  const modelFlags = flags.width !== undefined || flags.blocks !== undefined || flags.decoder !== undefined;
  if (values.reference && modelFlags)
    throw new Error('--reference trains the default ResNet34 U-Net++, the network torch_kvasir.py trains: drop --width, --blocks and --decoder');
  const settings = resolveSettings(trainSettingsFromFlags(flags));
  const limit = values.limit === undefined ? null : Number(values.limit);
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 90)) throw new Error(`--limit must be an integer in 1..90 (got ${values.limit})`);
  const python = values.python ?? '/usr/bin/python3';

  const allStems = readdirSync(KVASIR_IMAGES).map(stemOf).sort();
  const stems = limit === null ? allStems : allStems.slice(0, 10 * limit);
  const split = torchKvasirSplit(stems, settings.seed);
  const trainNames = limit === null ? split.train : split.train.slice(0, limit);
  const pythonAgrees = pythonSplitCheck(python, stems, settings.seed);
  if (pythonAgrees === false) throw new Error(`the split differs from ${python}'s random.shuffle: kvasir-split.ts no longer reproduces it`);

  const ws = Workspace.open(values.workspace ?? join(tempDir('bench-kvasir'), 'ws'), { create: true });
  try {
    const tImport = Date.now();
    const imported = await importImages(ws, { paths: stems.map((s) => join(KVASIR_IMAGES, `${s}.jpg`)), masks: KVASIR_MASKS });
    const splitId = namedSplit(
      ws,
      { labeled: trainNames, unlabeled: split.train.slice(trainNames.length), val: split.val, test: split.test },
      settings.seed,
    );
    const counts = getSplit(ws, splitId)!.counts;
    const importMinutes = (Date.now() - tImport) / 60000;
    process.stderr.write(
      `imported ${imported.imported + imported.duplicates} pairs in ${importMinutes.toFixed(1)} min; torch_kvasir.py's split of seed ${settings.seed} ${JSON.stringify(counts)}` +
        ` (checked against Python: ${pythonAgrees === null ? 'no python here' : 'same names'})\n`,
    );

    const t0 = Date.now();
    const r = await trainStudent(
      ws,
      { ...trainSettingsFromFlags(flags), splitId },
      {
        onProgress: (p) => {
          if (p.phase === 'epoch-end' && p.metrics)
            process.stderr.write(
              `app: epoch ${p.epoch}: train_loss ${p.metrics.train_loss.toFixed(4)} val_loss ${p.metrics.val_loss.toFixed(4)} val_dice ${p.metrics.val_dice.toFixed(3)} lr ${p.metrics.lr}\n`,
            );
        },
      },
    );
    const frame = await scoreInTrainingFrame(ws, r.runId, splitMembers(ws, splitId, 'test'));
    const minutesApp = (Date.now() - t0) / 60000;
    const app = {
      backend: r.backend,
      epochs: r.epochs,
      stopped: r.stopped,
      size: settings.size,
      model: modelFlags ? settings.model : 'default (ResNet34 U-Net++)',
      init_scheme: settings.initScheme,
      seed: settings.seed,
      split: counts,
      import_minutes: round(importMinutes, 2),
      best_epoch: r.best.epoch,
      best_val_dice: round(r.best.valDice),
      dice_app: round(frame.dice.mean),
      dice_app_std: round(frame.dice.std),
      iou_app: round(frame.iou.mean),
      iou_app_std: round(frame.iou.std),
      // The app's own report: whole image → size×size, probabilities resized back to the source.
      dice_app_source: round(r.test?.dice.mean),
      iou_app_source: round(r.test?.iou.mean),
      minutes_app: round(minutesApp, 2),
    };
    if (!values.reference) return app;

    const missing = torchMissing(python);
    if (missing) {
      process.stderr.write(`no PyTorch reference: ${missing}\n`);
      return { ...app, dice_torch: null, iou_torch: null, minutes_torch: null, agree_within_0_03: null, torch_missing: missing };
    }
    const torchArgs = [
      '--data', limit === null ? dirname(KVASIR_IMAGES) : linkedDataDir(stems),
      '--labeled', String(trainNames.length / split.train.length),
      '--epochs', String(settings.maxEpochs),
      '--size', String(settings.size),
      '--batch', String(settings.batch),
      '--lr', String(settings.lr),
      '--lam', String(settings.lambda),
      '--seed', String(settings.seed),
      '--threads', '2',
    ];
    const torch = await runTorch(python, torchArgs);
    if (torch.result.train_images !== trainNames.length)
      throw new Error(`torch_kvasir.py trained on ${torch.result.train_images} images, the app on ${trainNames.length}`);
    return {
      ...app,
      dice_torch: round(torch.result.test_dice),
      dice_torch_std: round(torch.result.test_dice_std),
      iou_torch: round(torch.result.test_iou),
      iou_torch_std: round(torch.result.test_iou_std),
      minutes_torch: round(torch.minutes, 2),
      agree_within_0_03: Math.abs(frame.dice.mean - torch.result.test_dice) <= AGREEMENT,
      torch_command: `${python} ${TORCH_SCRIPT} ${torchArgs.join(' ')}`,
    };
  } finally {
    ws.close();
  }
}
