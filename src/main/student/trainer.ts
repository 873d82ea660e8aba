import { Adam, type AdamState } from './adam';
import { initStudentBackend } from './backend';
import { OrtTrainer } from './ort-engine';
import { StudentStep } from './step';
import { nodeRequire, tf, type Tensor4D } from './tf';
import { forward, UnetWeights, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * The training engine behind the loop in train.ts. Two implementations, same arithmetic (the
 * gradient tests hold both to a tfjs autodiff reference):
 *   - "onnxruntime": the training-step graph on onnxruntime-node's CPU kernels (ort-engine.ts) —
 *     about 5× faster than tfjs-wasm here, the default;
 *   - "tfjs": tfjs with the backend picked at start (tensorflow-gpu → tensorflow → wasm → cpu).
 * Checkpoints hold the same canonical arrays whichever engine wrote them, so a run can be resumed
 * by the other engine.
 */

export type TrainEngine = 'onnxruntime' | 'tfjs';
export type TrainEngineSetting = TrainEngine | 'auto';

export interface StudentTrainer {
  readonly engine: TrainEngine;
  /** What runs.backend records: "onnxruntime-cpu" or the tfjs backend's name. */
  readonly backend: string;
  lr: number;
  /** One optimisation step; x NHWC ImageNet-normalised, y NHW 0/1. Returns the batch loss. */
  step(x: Float32Array, y: Float32Array, n: number, size: number, lambda: number, sampleWeights?: Float32Array): Promise<number>;
  /** Eval-mode logits (BN running statistics), NHW. */
  evalLogits(x: Float32Array, n: number, size: number): Promise<Float32Array>;
  weightArrays(): WeightArrays;
  adamState(): AdamState;
  dispose(): Promise<void>;
}

let ortUsable: boolean | null = null;

function gpuTensorflowInstalled(): boolean {
  try {
    nodeRequire.resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

/**
 * "auto" → tfjs when a GPU build of TensorFlow is installed (tfjs-node-gpu: the GPU beats any CPU
 * path), else onnxruntime when onnxruntime-node loads here, else tfjs on its best CPU backend.
 */
export async function resolveEngine(setting: TrainEngineSetting): Promise<TrainEngine> {
  if (setting !== 'auto') return setting;
  if (gpuTensorflowInstalled()) return 'tfjs';
  if (ortUsable === null) {
    try {
      await import('onnxruntime-node');
      ortUsable = true;
    } catch {
      ortUsable = false;
    }
  }
  return ortUsable ? 'onnxruntime' : 'tfjs';
}

export async function createTrainer(
  engine: TrainEngine,
  config: UnetConfig,
  weights: WeightArrays,
  opts: { lr: number; adam?: AdamState | null; threads?: number },
): Promise<StudentTrainer> {
  if (engine === 'onnxruntime') {
    const t = new OrtTrainer(config, weights, { lr: opts.lr, adam: opts.adam ?? undefined, threads: opts.threads });
    return {
      engine,
      backend: 'onnxruntime-cpu',
      get lr() {
        return t.lr;
      },
      set lr(v: number) {
        t.lr = v;
      },
      step: (x, y, n, size, lambda, sw) => t.trainStep(x, y, n, size, lambda, sw),
      evalLogits: (x, n, size) => t.evalLogits(x, n, size),
      weightArrays: () => t.weightArrays(),
      adamState: () => t.adamState(),
      dispose: () => t.dispose(),
    };
  }
  const info = await initStudentBackend();
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
    step: (x, y, n, size, lambda, sw) => step.run(x, y, n, size, lambda, sw),
    async evalLogits(x, n, size) {
      const t = tf.tidy(() => forward(w, tf.tensor4d(x, [n, size, size, 3]) as Tensor4D, { training: false }));
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
