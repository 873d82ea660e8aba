// `npm run bench -- mining [--json] [--encoder E --decoder D --family sam] [--images 16] [--epochs 3]`
// Teacher seconds per epoch for one-time and continuous mining on real Kvasir images. Without
// model files it uses a real-size encoder *fixture* (SAM's I/O, realistic compute) with the decoder
// fixture: what the ratio measures is how much of SAM's cost continuous epochs avoid, which needs
// an encoder as heavy as a real one, not its weights.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mineSettings, mineStudent } from '../../src/main/mining/mine';
import { trainStudent } from '../../src/main/student/train';
import { embeddingCache } from '../../src/main/teacher/embeddings';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeHeavyEncoderFixture } from '../fixtures/heavy-encoder-fixture';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      encoder: { type: 'string' },
      decoder: { type: 'string' },
      family: { type: 'string' },
      images: { type: 'string' },
      epochs: { type: 'string' },
    },
  });
  const nImages = Number(values.images ?? 16);
  const epochs = Number(values.epochs ?? 3);
  const dir = tempDir('bench-mining');
  const ws = Workspace.open(join(dir, 'ws'), { create: true });
  try {
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(0, nImages * 2)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: files, masks: KVASIR_MASKS });
    createSplit(ws, { labeled: 0.5, val: 0.15, test: 0.1, seed: 1 });

    let teacherNote: string;
    let pair: { encoder: string; decoder: string; family: 'sam' | 'mobilesam' | 'medsam' };
    if (values.encoder && values.decoder) {
      pair = { encoder: values.encoder, decoder: values.decoder, family: (values.family ?? 'sam') as 'sam' };
      teacherNote = `user model files (${pair.family})`;
    } else {
      const heavy = writeHeavyEncoderFixture(join(dir, 'models'));
      const fixtures = writeFixturePair(join(dir, 'models'), 'sam');
      pair = { encoder: heavy.path, decoder: fixtures.decoder, family: 'sam' };
      teacherNote = `real-size encoder fixture (${heavy.gmacs.toFixed(1)} GMAC) + decoder fixture — fixtures, not SAM`;
    }
    const model = await addTeacherModel(ws, pair);
    process.stderr.write(`teacher: ${teacherNote}\n`);

    // A small student: the bench measures the teacher's share, not the student's accuracy.
    const train = TINY_STUDENT;
    const base = await trainStudent(ws, train);
    const prompts = { threshold: 0.3 };
    const oneTime = await mineStudent(
      ws,
      mineSettings({
        schedule: 'one-time',
        teacher: { kind: 'sam', modelId: model.id },
        baseRunId: base.runId,
        train: { ...train, maxEpochs: 1 },
        prompts,
      }),
    );
    // Continuous mining on a fresh embedding cache: its first epoch pays the encoder, later ones must not.
    rmSync(join(ws.root, 'blobs', 'teacher-embeddings'), { recursive: true, force: true });
    embeddingCache.clearMemory();
    const continuous = await mineStudent(
      ws,
      mineSettings({
        schedule: 'continuous',
        teacher: { kind: 'sam', modelId: model.id },
        baseRunId: base.runId,
        train: { ...train, maxEpochs: epochs },
        prompts,
      }),
    );
    const perEpoch = continuous.teacherSeconds;
    const later = perEpoch.slice(1);
    const ratio = later.length ? later.reduce((a, b) => a + b, 0) / later.length / perEpoch[0]! : null;
    return {
      teacher: teacherNote,
      unlabeled_images: oneTime.pseudoLabels.images,
      one_time_sam_s: oneTime.teacherSeconds[0],
      continuous_sam_s_per_epoch: perEpoch,
      continuous_encoder_calls_per_epoch: continuous.encoderCalls,
      continuous_epoch_ratio: ratio,
      goal_ratio_max: 0.05,
      goal_met: ratio !== null && ratio <= 0.05,
    };
  } finally {
    ws.close();
  }
}
