import type { Device, ResolvedDevice } from '../../shared/contract';
import { createSession } from '../onnx/device';
import { loadOrt } from '../onnx/runtime';
import { binarize } from '../metrics/metrics';
import type { Rgb } from '../imaging/raster';
import { loadModelRgb } from '../workspace/images';
import { bestWeightsBlob, getRun, latestDoneRun, readRunBlob } from '../workspace/runs';
import type { Workspace } from '../workspace/workspace';
import { initStudentBackend } from './backend';
import { decodeWeights } from './checkpoint';
import { normalizeInto, wholeImageInput } from './data';
import { exportOnnx } from './onnx-export';
import { wholeImage } from '../imaging/geometry/frames';
import { resample } from '../imaging/geometry/resample';
import { tf, type Tensor4D } from './tf';
import { FoldedUnet, forwardFolded, type UnetConfig, type WeightArrays } from './unetpp';
import { RemedyError } from '../util/errors';

/**
 * Student inference at each image's full resolution. The whole image is seen: it is resized
 * (area average) to size×size without cropping, the model gives a size×size probability map, and
 * that map is resized back (bilinear) to the source width×height. mask = probability > 0.5.
 *
 * Several structures: a sigmoid channel per structure (the paper's binary setting, once per
 * structure), each resized back on its own. A pixel belongs to the structure whose probability is
 * highest among those above the threshold (label maps hold one structure per pixel), so overlaps
 * go to the most confident channel; one structure gives exactly the binary mask.
 *
 * Engines: "onnx" (fast mode: the model exported to ONNX and run by onnxruntime-node on the chosen
 * device, see onnx/device.ts) and "tfjs" (the training backend, conv+BN folded). Both give the same
 * numbers within 1e-4.
 */

export type Engine = 'onnx' | 'tfjs';

export interface StudentModel {
  config: UnetConfig;
  weights: WeightArrays;
  /** The square input side the model was trained at. */
  size: number;
  runId: number | null;
  /** Schema value of each output channel; absent: 1..K (a model from before several structures: [1]). */
  structures?: number[];
}

function channelStructures(model: StudentModel): number[] {
  return model.structures ?? Array.from({ length: model.config.classes }, (_, c) => c + 1);
}

export interface Prediction {
  imageId?: number;
  width: number;
  height: number;
  /** Foreground probability per source pixel, row-major (several structures: the highest). */
  prob: Float32Array;
  /** Any structure (0/1). */
  mask: Uint8Array;
  /** Each structure's probability per source pixel, in the order of `labelValues`. */
  probs: Float32Array[];
  /** Schema value of the structure at each pixel, 0 background. */
  labelMap: Uint8Array;
  labelValues: number[];
}

/**
 * The best-validation weights of a supervised run (default: the latest finished one). A run still
 * going, or interrupted, offers the best weights it has stored so far.
 */
export function loadStudentFromRun(ws: Workspace, runId?: number): StudentModel {
  const row = runId === undefined ? latestDoneRun(ws, 'supervised') : getRun(ws, runId);
  if (!row) {
    if (runId !== undefined) throw new Error(`no run with id ${runId}`);
    throw new RemedyError('no finished student run in this workspace', {
      cli: 'train one first ("apprentice train")',
      app: 'train one first (Training tab, "Start supervised run")',
    });
  }
  const blob = bestWeightsBlob(row);
  if (!blob) throw new Error(`run ${row.id} has no stored weights yet (status ${row.status})`);
  const { config, weights } = decodeWeights(readRunBlob(ws, blob));
  const cfg = row.config as { size: number; structures?: number[] | null };
  return { config, weights, size: cfg.size, runId: row.id, structures: cfg.structures ?? [1] };
}

/** A loaded inference engine; `close()` frees its tensors or session. */
export interface Predictor {
  engine: Engine;
  /** Where it runs: the onnx engine's session device, or tfjs's (CUDA only with tensorflow-gpu). */
  device: ResolvedDevice;
  size: number;
  structures: number[];
  /** Probabilities at size×size for a batch of ImageNet-normalised NHWC inputs: planes [N, K, size, size]. */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function createPredictor(
  model: StudentModel,
  engine: Engine,
  opts: { intraOpThreads?: number; device?: Device } = {},
): Promise<Predictor> {
  const size = model.size;
  if (engine === 'tfjs') {
    const backend = await initStudentBackend();
    const folded = new FoldedUnet(model.config, model.weights);
    return {
      engine,
      device: backend.name === 'tensorflow-gpu' ? 'cuda' : 'cpu',
      size,
      structures: channelStructures(model),
      async run(batch, n) {
        const probs = tf.tidy(() => tf.transpose(tf.sigmoid(forwardFolded(folded, tf.tensor4d(batch, [n, size, size, 3]) as Tensor4D)), [0, 3, 1, 2]));
        const out = (await probs.data()) as Float32Array;
        probs.dispose();
        return out;
      },
      async close() {
        folded.dispose();
      },
    };
  }
  const bytes = exportOnnx(model.config, model.weights, { size });
  const ort = await loadOrt();
  const { session, device } = await createSession(bytes, opts.device, { threads: opts.intraOpThreads });
  return {
    engine,
    device,
    size,
    structures: channelStructures(model),
    async run(batch, n) {
      const plane = size * size;
      const nchw = new Float32Array(n * 3 * plane);
      // one plane at a time: sequential writes (about 4× faster than interleaving the three)
      for (let b = 0; b < n; b++)
        for (let c = 0; c < 3; c++) {
          const dst = (b * 3 + c) * plane;
          for (let i = 0, k = b * plane * 3 + c; i < plane; i++, k += 3) nchw[dst + i] = batch[k]!;
        }
      const out = await session.run({ input: new ort.Tensor('float32', nchw, [n, 3, size, size]) });
      return out.probs!.data as Float32Array; // [n, K, size, size]
    },
    async close() {
      await session.release();
    },
  };
}

/** Probability map and mask of one image at its source resolution. */
export async function predictRgb(p: Predictor, img: Rgb, threshold = 0.5): Promise<Prediction> {
  const x = new Float32Array(p.size * p.size * 3);
  normalizeInto(wholeImageInput(img, p.size), x, 0);
  const probSmall = await p.run(x, 1);
  const plane = p.size * p.size;
  const probs = p.structures.map((_, c) =>
    resample(probSmall.subarray(c * plane, (c + 1) * plane), p.size, p.size, 1, wholeImage(p.size, p.size), img.width, img.height),
  );
  if (probs.length === 1) {
    const mask = binarize(probs[0]!, threshold);
    const v = p.structures[0]!;
    return { width: img.width, height: img.height, prob: probs[0]!, mask, probs, labelMap: v === 1 ? mask : Uint8Array.from(mask, (m) => m * v), labelValues: p.structures };
  }
  const n = img.width * img.height;
  const prob = new Float32Array(n);
  const labelMap = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < probs.length; c++) if (probs[c]![i]! > probs[best]![i]!) best = c;
    prob[i] = probs[best]![i]!;
    if (prob[i]! > threshold) labelMap[i] = p.structures[best]!;
  }
  return { width: img.width, height: img.height, prob, mask: binarize(prob, threshold), probs, labelMap, labelValues: p.structures };
}

export async function predictImages(
  ws: Workspace,
  p: Predictor,
  imageIds: readonly number[],
  opts: { signal?: AbortSignal; onImage?: (done: number, total: number) => void; threshold?: number } = {},
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (let i = 0; i < imageIds.length; i++) {
    opts.signal?.throwIfAborted();
    const id = imageIds[i]!;
    const pred = await predictRgb(p, loadModelRgb(ws, id), opts.threshold);
    out.push({ ...pred, imageId: id });
    opts.onImage?.(i + 1, imageIds.length);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}
