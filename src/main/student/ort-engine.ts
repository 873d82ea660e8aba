import type { ResolvedDevice } from '../../shared/contract';
import { createSession } from '../onnx/device';
import { loadOrt, type Ort, type OrtModule } from '../onnx/runtime';
import { adamUpdateArray, type AdamState } from './adam';
import { buildEvalGraph, buildTrainGraph, flippedInputName, flippedShape, flipTransposeInto, oihwShape, readStepOutputs, type StepResult } from './ort-graph';
import { paramSpecs, type ParamSpec, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * The student trained on onnxruntime's CPU kernels instead of tfjs: the training-step graph of
 * ort-graph.ts gives the loss, every gradient and the BN batch statistics; Adam (PyTorch's rule,
 * as adam.ts) and the BN running averages are updated here, in plain Float32Arrays. Weights are
 * held in ONNX layout (conv OIHW) and converted to/from the canonical tfjs layout (HWIO) only for
 * checkpoints, so a checkpoint is the same file whichever engine wrote it.
 */

export function hwioToOihw(a: Float32Array, shape: number[]): Float32Array {
  if (shape.length !== 4) return a;
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(a.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = a[src + o]!;
      }
  return out;
}

export function oihwToHwio(a: Float32Array, hwioShape: number[]): Float32Array {
  if (hwioShape.length !== 4) return a;
  const [kh, kw, cin, cout] = hwioShape as [number, number, number, number];
  const out = new Float32Array(a.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const dst = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[dst + o] = a[((o * cin + i) * kh + y) * kw + x]!;
      }
  return out;
}

/** NHWC (3 channels) → NCHW, into `out` when given (a buffer reused step after step). */
export function nhwcToNchw(x: Float32Array, n: number, size: number, c = 3, out: Float32Array = new Float32Array(x.length)): Float32Array {
  const plane = size * size;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < plane; i++) for (let k = 0; k < c; k++) out[(b * c + k) * plane + i] = x[(b * plane + i) * c + k]!;
  return out;
}

export interface OrtTrainerOptions {
  lr: number;
  adam?: AdamState; // canonical (HWIO) layout, as in checkpoints
  threads?: number;
  /** Where the graphs run; resolved before the trainer is made (trainer.ts), so no session falls back silently. */
  device?: ResolvedDevice;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

interface TrainSession {
  session: Ort.InferenceSession;
  weightInputs: string[];
  bnLayers: string[];
  /**
   * Made once per session: the weight and flipped-weight tensors wrap arrays updated in place, the
   * batch is converted into `x`, unweighted batches share `ones` and batches without an ignore
   * region `pixelOnes`.
   */
  feeds: Record<string, Ort.Tensor>;
  x: Float32Array;
  ones: Float32Array;
  pixelOnes: Float32Array;
}

export class OrtTrainer {
  readonly specs: ParamSpec[];
  private readonly byName: Map<string, ParamSpec>;
  /** Every weight and BN buffer, ONNX layout. */
  readonly params = new Map<string, Float32Array>();
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  /** Flipped, transposed copies of the conv weights the training graph reads them from; stale after an update. */
  private readonly flips = new Map<string, Float32Array>();
  private flipsStale = true;
  step = 0;
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly trainSessions = new Map<string, Promise<TrainSession>>();
  private readonly evalSessions = new Map<string, Promise<Ort.InferenceSession>>();
  readonly device: ResolvedDevice;
  private readonly threads: number | undefined;

  constructor(
    readonly config: UnetConfig,
    weights: WeightArrays,
    opts: OrtTrainerOptions,
  ) {
    this.specs = paramSpecs(config);
    this.byName = new Map(this.specs.map((s) => [s.name, s]));
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const s of this.specs) {
      const a = weights.get(s.name);
      if (!a) throw new Error(`weights lack "${s.name}"`);
      this.params.set(s.name, hwioToOihw(Float32Array.from(a), s.shape));
    }
    if (opts.adam) {
      this.step = opts.adam.step;
      for (const [k, a] of opts.adam.m) this.m.set(k, hwioToOihw(Float32Array.from(a), this.byName.get(k)!.shape));
      for (const [k, a] of opts.adam.v) this.v.set(k, hwioToOihw(Float32Array.from(a), this.byName.get(k)!.shape));
    }
    this.device = opts.device ?? 'cpu';
    this.threads = opts.threads;
  }

  private trainSession(batch: number, size: number, lambda: number): Promise<TrainSession> {
    const key = `${batch}/${size}/${lambda}`;
    let s = this.trainSessions.get(key);
    if (!s) {
      s = (async () => {
        const g = buildTrainGraph({ config: this.config, batch, size, lambda });
        const { session } = await createSession(g.bytes, this.device, { threads: this.threads });
        const ort = await loadOrt();
        const x = new Float32Array(batch * this.config.inChannels * size * size);
        const feeds: Record<string, Ort.Tensor> = { x: new ort.Tensor('float32', x, [batch, this.config.inChannels, size, size]) };
        for (const name of g.weightInputs) feeds[name] = this.tensor(ort, name);
        for (const name of g.flipInputs) {
          const shape = flippedShape(oihwShape(this.byName.get(name)!.shape));
          let f = this.flips.get(name);
          if (!f) {
            f = new Float32Array(this.params.get(name)!.length);
            this.flips.set(name, f);
            this.flipsStale = true;
          }
          feeds[flippedInputName(name)] = new ort.Tensor('float32', f, shape);
        }
        return { session, weightInputs: g.weightInputs, bnLayers: g.bnLayers, feeds, x, ones: new Float32Array(batch).fill(1), pixelOnes: new Float32Array(batch * size * size).fill(1) };
      })();
      this.trainSessions.set(key, s);
    }
    return s;
  }

  private refreshFlips(): void {
    if (!this.flipsStale) return;
    for (const [name, f] of this.flips) flipTransposeInto(f, this.params.get(name)!, oihwShape(this.byName.get(name)!.shape));
    this.flipsStale = false;
  }

  private evalSession(batch: number, size: number): Promise<Ort.InferenceSession> {
    const key = `${batch}/${size}`;
    let s = this.evalSessions.get(key);
    if (!s) {
      s = createSession(buildEvalGraph(this.config, batch, size), this.device, { threads: this.threads }).then((d) => d.session);
      this.evalSessions.set(key, s);
    }
    return s;
  }

  private tensor(ort: OrtModule, name: string): Ort.Tensor {
    return new ort.Tensor('float32', this.params.get(name)!, oihwShape(this.byName.get(name)!.shape));
  }

  /**
   * Loss, gradients and BN statistics of one batch (no update). x: NHWC normalised; y: 0/1 planes
   * [N, K, H, W], a channel per structure; pixelWeights: [N, H, W], 0 on the ignore region.
   */
  async gradients(
    x: Float32Array,
    y: Float32Array,
    n: number,
    size: number,
    lambda: number,
    sampleWeights?: Float32Array,
    pixelWeights?: Float32Array,
  ): Promise<StepResult> {
    const { session, weightInputs, bnLayers, feeds: fixed, x: xNchw, ones, pixelOnes } = await this.trainSession(n, size, lambda);
    const ort = await loadOrt();
    this.refreshFlips();
    nhwcToNchw(x, n, size, this.config.inChannels, xNchw);
    const feeds: Record<string, Ort.Tensor> = {
      ...fixed,
      y: new ort.Tensor('float32', y, [n, this.config.classes, size, size]),
      w: new ort.Tensor('float32', sampleWeights ?? ones, [n]),
      m: new ort.Tensor('float32', pixelWeights ?? pixelOnes, [n, 1, size, size]),
    };
    return readStepOutputs(await session.run(feeds), weightInputs, bnLayers);
  }

  /** One training step: gradients, Adam, BN running averages. Returns the batch loss. */
  async trainStep(
    x: Float32Array,
    y: Float32Array,
    n: number,
    size: number,
    lambda: number,
    sampleWeights?: Float32Array,
    pixelWeights?: Float32Array,
  ): Promise<number> {
    const { loss, grads, stats } = await this.gradients(x, y, n, size, lambda, sampleWeights, pixelWeights);
    this.applyAdam(grads);
    updateRunningStats(this.params, stats, this.config.bnMomentum, (bn) => n * this.bnSpatial(bn, size));
    return loss;
  }

  private spatial = new Map<string, number>();

  /** H·W of a BN layer's input at this input size (for the unbiased running variance). */
  private bnSpatial(bn: string, size: number): number {
    const key = `${bn}@${size}`;
    let v = this.spatial.get(key);
    if (v === undefined) {
      v = (size / bnStride(bn)) ** 2;
      this.spatial.set(key, v);
    }
    return v;
  }

  private applyAdam(grads: Map<string, Float32Array>): void {
    this.step += 1;
    for (const [name, g] of grads) {
      const p = this.params.get(name)!;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(p.length);
        v = new Float32Array(p.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      adamUpdateArray(p, g, m, v, this.step, { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps });
    }
    this.flipsStale = true;
  }

  /** Eval-mode logits (running statistics) of an NHWC batch: channel planes [N, K, H, W]. */
  async evalLogits(x: Float32Array, n: number, size: number): Promise<Float32Array> {
    const session = await this.evalSession(n, size);
    const ort = await loadOrt();
    const feeds: Record<string, Ort.Tensor> = { x: new ort.Tensor('float32', nhwcToNchw(x, n, size), [n, 3, size, size]) };
    for (const s of this.specs) feeds[s.name] = this.tensor(ort, s.name);
    const out = await session.run(feeds);
    return out.logits!.data as Float32Array;
  }

  /** Weights in the canonical (tfjs, HWIO) layout: checkpoints, export, inference. */
  weightArrays(): WeightArrays {
    const out: WeightArrays = new Map();
    for (const s of this.specs) out.set(s.name, oihwToHwio(this.params.get(s.name)!, s.shape).slice());
    return out;
  }

  adamState(): AdamState {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [k, a] of this.m) m.set(k, oihwToHwio(a, this.byName.get(k)!.shape).slice());
    for (const [k, a] of this.v) v.set(k, oihwToHwio(a, this.byName.get(k)!.shape).slice());
    return { step: this.step, m, v };
  }

  async dispose(): Promise<void> {
    for (const s of this.trainSessions.values()) await (await s).session.release();
    for (const s of this.evalSessions.values()) await (await s).release();
    this.trainSessions.clear();
    this.evalSessions.clear();
  }
}

/**
 * PyTorch's BN running averages from one step's batch statistics (biased variance made unbiased
 * by the layer's element count), in place on plain arrays.
 */
export function updateRunningStats(
  params: Map<string, Float32Array>,
  stats: Map<string, { mean: Float32Array; variance: Float32Array }>,
  momentum: number,
  countOf: (bn: string) => number,
): void {
  for (const [bn, s] of stats) {
    const rm = params.get(`${bn}.running_mean`)!;
    const rv = params.get(`${bn}.running_var`)!;
    const count = countOf(bn);
    const unbiased = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < rm.length; c++) {
      rm[c] = (1 - momentum) * rm[c]! + momentum * s.mean[c]!;
      rv[c] = (1 - momentum) * rv[c]! + momentum * s.variance[c]! * unbiased;
    }
  }
}

/** The downsampling factor of the tensor a BN layer normalises (by the naming of unetpp.ts). */
export function bnStride(bn: string): number {
  if (bn === 'encoder.bn1') return 2;
  const enc = /^encoder\.layer(\d)\./.exec(bn);
  if (enc) return [4, 8, 16, 32][Number(enc[1]) - 1]!;
  const dec = /^decoder\.nodes\.x_(\d)_(\d)\./.exec(bn);
  if (dec) {
    // node x_{d}_{l} upsamples the /2^(5−l) level once: its output is at /2^(4−l)
    const l = Number(dec[2]);
    return 2 ** (4 - l);
  }
  throw new Error(`unknown BN layer ${bn}`);
}
