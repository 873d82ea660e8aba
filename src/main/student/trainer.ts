import type { Device, ResolvedDevice } from '../../shared/contract';
import { resolveDevice } from '../onnx/device';
import { ortStatus } from '../onnx/runtime';
import { Adam, type AdamState } from './adam';
import { initStudentBackend } from './backend';
import { OrtTrainer } from './ort-engine';
import { StudentStep } from './step';
import { nodeRequire, tf, type Tensor4D } from './tf';
import { forward, UnetWeights, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * The training engine behind the loop in train.ts. Two implementations, same arithmetic (the
 * gradient tests hold both to a tfjs autodiff reference):
 *   - "onnxruntime": the training-step graph on onnxruntime-node (ort-engine.ts), on CUDA when a
 *     session proved it works here, else on its CPU kernels — about 5× faster than tfjs-wasm;
 *   - "tfjs": tfjs with the backend picked at start (tensorflow-gpu → tensorflow → wasm → cpu).
 * The engine is how the arithmetic is done; the device (auto|cpu|cuda, onnx/device.ts) is where —
 * two choices, so two settings (`--engine`, `--device`).
 * Checkpoints hold the same canonical arrays whichever engine wrote them, so a run can be resumed
 * by the other engine.
 */

export type TrainEngine = 'onnxruntime' | 'tfjs';
export type TrainEngineSetting = TrainEngine | 'auto';

export interface StudentTrainer {
  readonly engine: TrainEngine;
  /** What runs.backend records: "onnxruntime-cpu", "onnxruntime-cuda" or the tfjs backend's name. */
  readonly backend: string;
  lr: number;
  /**
   * One optimisation step; x NHWC ImageNet-normalised, y 0/1 planes [N, K, H, W] (a channel per
   * structure), pixelWeights [N, H, W] (0 on the ignore region; absent: all 1). Returns the batch loss.
   */
  step(x: Float32Array, y: Float32Array, n: number, size: number, lambda: number, sampleWeights?: Float32Array, pixelWeights?: Float32Array): Promise<number>;
  /** Eval-mode logits (BN running statistics), channel planes [N, K, H, W]. */
  evalLogits(x: Float32Array, n: number, size: number): Promise<Float32Array>;
  weightArrays(): WeightArrays;
  adamState(): AdamState;
  dispose(): Promise<void>;
}

/**
 * Whether a GPU build of TensorFlow loads here: installed is not enough (an install whose native
 * binary is missing resolves, then throws on load, and "auto" would fall back to tfjs on wasm).
 */
let gpuTensorflow: boolean | null = null;
function gpuTensorflowLoads(): boolean {
  if (gpuTensorflow === null) {
    try {
      nodeRequire('@tensorflow/tfjs-node-gpu');
      gpuTensorflow = true;
    } catch {
      gpuTensorflow = false;
    }
  }
  return gpuTensorflow;
}

/**
 * "auto" → tfjs when a GPU build of TensorFlow loads and the device may be a GPU
 * (tfjs-node-gpu: the GPU beats any CPU path), else onnxruntime when onnxruntime-node loads here,
 * else tfjs on its best CPU backend.
 */
export async function resolveEngine(setting: TrainEngineSetting, device: Device = 'auto'): Promise<TrainEngine> {
  if (setting !== 'auto') return setting;
  if (device !== 'cpu' && gpuTensorflowLoads()) return 'tfjs';
  return (await ortStatus()).ok ? 'onnxruntime' : 'tfjs';
}

/**
 * The device a run trains on with this engine: onnxruntime's CUDA once proven here (else CPU, or an
 * error for "cuda"); for tfjs, CUDA means the tensorflow-gpu backend.
 */
export async function resolveTrainDevice(engine: TrainEngine, device: Device): Promise<ResolvedDevice> {
  if (engine === 'onnxruntime') return resolveDevice(device);
  return (await initStudentBackend({ device })).name === 'tensorflow-gpu' ? 'cuda' : 'cpu';
}

/** What runs.backend records for an engine on a device. */
export async function trainBackendName(engine: TrainEngine, device: ResolvedDevice): Promise<string> {
  return engine === 'onnxruntime' ? `onnxruntime-${device}` : (await initStudentBackend({ device })).name;
}

export async function createTrainer(
  engine: TrainEngine,
  config: UnetConfig,
  weights: WeightArrays,
  opts: { lr: number; adam?: AdamState | null; threads?: number; device?: ResolvedDevice },
): Promise<StudentTrainer> {
  const device = opts.device ?? 'cpu';
  if (engine === 'onnxruntime') {
    const t = new OrtTrainer(config, weights, { lr: opts.lr, adam: opts.adam ?? undefined, threads: opts.threads, device });
    return {
      engine,
      backend: await trainBackendName(engine, device),
      get lr() {
        return t.lr;
      },
      set lr(v: number) {
        t.lr = v;
      },
      step: (x, y, n, size, lambda, sw, pw) => t.trainStep(x, y, n, size, lambda, sw, pw),
      evalLogits: (x, n, size) => t.evalLogits(x, n, size),
      weightArrays: () => t.weightArrays(),
      adamState: () => t.adamState(),
      dispose: () => t.dispose(),
    };
  }
  const info = await initStudentBackend({ device });
  const w = new UnetWeights(config, weights);
  const adam = new Adam(opts.lr);
  if (opts.adam) adam.load(opts.adam, new Map(w.specs.map((s) => [s.name, s.shape])));
  const step = new StudentStep(w, adam);
  return {
    engine,
    backend: info.name,
    get lr() {
      return adam.lr;
    },
    set lr(v: number) {
      adam.lr = v;
    },
    step: (x, y, n, size, lambda, sw, pw) => step.run(x, y, n, size, lambda, sw, pw),
    async evalLogits(x, n, size) {
      const t = tf.tidy(() => tf.transpose(forward(w, tf.tensor4d(x, [n, size, size, 3]) as Tensor4D, { training: false }), [0, 3, 1, 2]));
      const out = (await t.data()) as Float32Array;
      t.dispose();
      return out;
    },
    weightArrays: () => w.toArraysSync(),
    adamState: () => adam.state(),
    async dispose() {
      w.dispose();
      adam.dispose();
    },
  };
}
