// `npm run bench -- mining [--json] [--encoder E --decoder D --family sam] [--images 16] [--epochs 4]
//                          [--embedding-memory-mb M]`
// Teacher seconds per epoch for one-time and continuous mining on real Kvasir images, beside a bare
// onnxruntime run of the same decoder for the same number of calls, measured in the same process
// right after. Without model files it uses the real-size encoder and decoder *fixtures* (SAM's I/O,
// realistic compute): what the figures measure is how much of SAM's cost continuous epochs avoid
// and what the app adds around the decoder, which needs a teacher as heavy as a real one, not its
// weights.
//
//   encoder_calls_per_epoch        continuous mining's encoder runs per epoch (goal: 0 after the first)
//   decoder_calls_per_epoch        its decoder runs per epoch (one per prompt)
//   embedding_memory_mb            the embedding cache's memory budget: the app's default for this
//                                  machine, or --embedding-memory-mb (e.g. 32 to hold fewer embeddings
//                                  than there are unlabeled images, as on a large dataset)
//   embedding_disk_reads, embedding_reads_ahead  continuous mining's embeddings read from disk (when
//                                  the budget holds fewer than the unlabeled images), and how many of
//                                  those reads had been started ahead of the teacher call
//   after_epoch1_vs_bare_decoder   median over epochs ≥ 2 of (teacher time of the epoch) / (bare decoder
//                                  time for that epoch's number of calls), bare runs fetching what
//                                  mining fetches (IoU + low-resolution masks) and fed the mined
//                                  images' stored embeddings in turn, as mining decodes them; goal ≤ 1.2
//   bare_decoder_one_embedding_s_per_epoch  the same calls all fed one embedding (it stays in the
//                                  CPU's cache; for comparison with earlier runs of this bench)
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mineSettings, mineStudent } from '../../src/main/mining/mine';
import { createSession } from '../../src/main/onnx/device';
import { loadOrt, type Ort, type OrtModule } from '../../src/main/onnx/runtime';
import { trainStudent } from '../../src/main/student/train';
import { EMBEDDING_MEMORY_ENV, embeddingCache, embeddingMemoryBudget } from '../../src/main/teacher/embeddings';
import { addTeacherModel, teacherPartPath } from '../../src/main/teacher/registry';
import { imageEmbedding } from '../../src/main/teacher/segment';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeHeavyDecoderFixture } from '../fixtures/heavy-decoder-fixture';
import { writeTinyVitEncoderFixture } from '../fixtures/tinyvit-encoder-fixture';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

/** Goal: after the first epoch, teacher time per epoch at most this × the bare decoder's. */
export const AFTER_EPOCH1_GOAL = 1.2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const round = (v: number, digits = 3) => Number(v.toFixed(digits));

/**
 * Seconds `calls` bare decoder runs take with a mining-like prompt (3 points and a box, no mask),
 * fetching `fetches` (all outputs when absent). Call i is fed embeddings[i mod n]: the images' own
 * embeddings in turn, as mining decodes them. One embedding fed to every call would stay in the
 * CPU's cache, which no decoder call of a real epoch enjoys (measured beside it: ~4 ms a call
 * faster on this machine).
 */
async function bareDecoderSeconds(
  session: Ort.InferenceSession,
  ort: OrtModule,
  calls: number,
  embeddings: { data: Float32Array; dims: number[] }[],
  fetches?: string[],
): Promise<number> {
  const tensors = embeddings.map((e) => new ort.Tensor('float32', e.data, e.dims));
  const fixed = {
    point_coords: new ort.Tensor('float32', Float32Array.of(400, 380, 420, 300, 500, 410, 300, 250, 560, 520), [1, 5, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.of(1, 1, 1, 2, 3), [1, 5]),
    mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.of(529, 622), [2]),
  };
  const feeds = (i: number) => ({ ...fixed, image_embeddings: tensors[i % tensors.length]! });
  await (fetches ? session.run(feeds(0), fetches) : session.run(feeds(0))); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await (fetches ? session.run(feeds(i), fetches) : session.run(feeds(i)));
  return (performance.now() - t0) / 1000;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      encoder: { type: 'string' },
      decoder: { type: 'string' },
      family: { type: 'string' },
      images: { type: 'string' },
      epochs: { type: 'string' },
      'embedding-memory-mb': { type: 'string' },
    },
  });
  if (values['embedding-memory-mb'] !== undefined) embeddingCache.capacity = embeddingMemoryBudget({ [EMBEDDING_MEMORY_ENV]: values['embedding-memory-mb'] });
  const nImages = Number(values.images ?? 16);
  const epochs = Math.max(2, Number(values.epochs ?? 4));
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
      const encoder = writeTinyVitEncoderFixture(join(dir, 'models'));
      const decoder = writeHeavyDecoderFixture(join(dir, 'models'));
      pair = { encoder: encoder.path, decoder: decoder.path, family: 'sam' };
      teacherNote = `real-size encoder fixture (MobileSAM's TinyViT architecture, ${encoder.gmacs.toFixed(1)} GMAC) + real-size decoder fixture (${(decoder.parameters / 1e6).toFixed(2)} M parameters) — fixtures, not SAM`;
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
    const diskHits0 = embeddingCache.stats.diskHits, prefetchHits0 = embeddingCache.stats.prefetchHits;
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
    const diskHits = embeddingCache.stats.diskHits - diskHits0, prefetchHits = embeddingCache.stats.prefetchHits - prefetchHits0;
    const perEpoch = continuous.teacherSeconds;
    const later = perEpoch.slice(1);
    const ratio = later.length ? later.reduce((a, b) => a + b, 0) / later.length / perEpoch[0]! : null;

    // The bare reference, right after and in the same process: the decoder's own session with the
    // app's options (onnx/device.ts opens it as the app does), for each later epoch's number of calls.
    const ort = await loadOrt();
    const bare = (await createSession(teacherPartPath(ws, model, 'decoder'))).session;
    // The stored embeddings of the images mining asked about (no encoder runs: they are cached).
    const mined: { data: Float32Array; dims: number[] }[] = [];
    for (const image of listImages(ws).images.filter((i) => i.split === 'unlabeled')) {
      const p = await imageEmbedding(ws, image.id, { modelId: model.id });
      if (p.embedding.source !== 'encoder') mined.push({ data: p.embedding.data, dims: p.embedding.dims });
    }
    if (mined.length === 0) throw new Error('no stored embedding after continuous mining');
    const vsBare: number[] = [];
    const bareSeconds: number[] = [];
    const bareFullSeconds: number[] = [];
    const bareOneEmbeddingSeconds: number[] = [];
    try {
      for (let e = 1; e < perEpoch.length; e++) {
        const calls = continuous.decoderCalls[e]!;
        if (calls === 0) continue;
        const s = await bareDecoderSeconds(bare, ort, calls, mined, ['iou_predictions', 'low_res_masks']);
        bareSeconds.push(s);
        bareFullSeconds.push(await bareDecoderSeconds(bare, ort, calls, mined));
        bareOneEmbeddingSeconds.push(await bareDecoderSeconds(bare, ort, calls, mined.slice(0, 1), ['iou_predictions', 'low_res_masks']));
        vsBare.push(perEpoch[e]! / s);
      }
    } finally {
      await bare.release();
    }
    const afterEpoch1 = vsBare.length ? median(vsBare) : null;
    const encoderAfter1 = continuous.encoderCalls.slice(1);
    return {
      teacher: teacherNote,
      unlabeled_images: oneTime.pseudoLabels.images,
      one_time_sam_s: oneTime.teacherSeconds[0],
      continuous_sam_s_per_epoch: perEpoch.map((s) => round(s)),
      encoder_calls_per_epoch: continuous.encoderCalls,
      embedding_memory_mb: round(embeddingCache.capacity / (1024 * 1024), 1),
      embedding_disk_reads: diskHits,
      embedding_reads_ahead: prefetchHits,
      decoder_calls_per_epoch: continuous.decoderCalls,
      bare_decoder_s_per_epoch: bareSeconds.map((s) => round(s)),
      bare_decoder_all_outputs_s_per_epoch: bareFullSeconds.map((s) => round(s)),
      bare_decoder_one_embedding_s_per_epoch: bareOneEmbeddingSeconds.map((s) => round(s)),
      mined_embeddings: mined.length,
      after_epoch1_vs_bare_decoder: afterEpoch1 === null ? null : round(afterEpoch1),
      after_epoch1_vs_bare_decoder_range: vsBare.length ? [round(Math.min(...vsBare)), round(Math.max(...vsBare))] : null,
      continuous_epoch_ratio: ratio === null ? null : round(ratio, 4),
      goal_after_epoch1_vs_bare_max: AFTER_EPOCH1_GOAL,
      goal_met: afterEpoch1 !== null && afterEpoch1 <= AFTER_EPOCH1_GOAL && encoderAfter1.every((n) => n === 0),
    };
  } finally {
    ws.close();
  }
}
