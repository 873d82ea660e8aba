import type { ResolvedDevice } from '../../shared/contract';
import { createSession } from '../onnx/device';
import { loadOrt, type Ort } from '../onnx/runtime';
import { adamUpdateArray, type AdamState } from './adam';
import { bnStride, hwioToOihw, nhwcToNchw, oihwToHwio, updateRunningStats } from './ort-engine';
import { oihwShape, readStepOutputs } from './ort-graph';
import { buildSimclrGraph, headSpecs, type ProjectionHead } from './simclr-graph';
import { paramSpecs, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * SimCLR pre-training on onnxruntime's CPU kernels: the step graph of simclr-graph.ts gives the
 * NT-Xent loss, the gradients of the encoder and the projection head and the encoder's BN batch
 * statistics; Adam and the running averages are updated here as in the supervised engine
 * (ort-engine.ts). The whole U-Net is held so its weights come out as a student weights file
 * (the decoder untouched); the head is kept beside it for resuming and thrown away after, as the
 * paper does.
 */

export interface SimclrTrainerOptions {
  lr: number;
  temperature: number;
  head: ProjectionHead;
  /** Canonical layout (HWIO convolutions), as in checkpoints. */
  adam?: AdamState | null;
  device?: ResolvedDevice;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class SimclrTrainer {
  /** U-Net weights (ONNX layout) and the head's tensors. */
  readonly params = new Map<string, Float32Array>();
  private readonly shapes = new Map<string, number[]>(); // canonical shapes
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly sessions = new Map<string, Promise<{ session: Ort.InferenceSession; weightInputs: string[]; bnLayers: string[] }>>();
  step = 0;
  lr: number;

  constructor(
    readonly config: UnetConfig,
    weights: WeightArrays,
    head: WeightArrays,
    private readonly opts: SimclrTrainerOptions,
  ) {
    this.lr = opts.lr;
    for (const s of paramSpecs(config)) {
      const a = weights.get(s.name);
      if (!a) throw new Error(`weights lack "${s.name}"`);
      this.shapes.set(s.name, s.shape);
      this.params.set(s.name, hwioToOihw(Float32Array.from(a), s.shape));
    }
    for (const s of headSpecs(config, opts.head)) {
      const a = head.get(s.name);
      if (!a || a.length !== s.shape.reduce((x, y) => x * y, 1)) throw new Error(`projection head lacks "${s.name}" of ${s.shape.join('×')}`);
      this.shapes.set(s.name, s.shape);
      this.params.set(s.name, Float32Array.from(a));
    }
    if (opts.adam) {
      this.step = opts.adam.step;
      for (const [k, a] of opts.adam.m) this.m.set(k, hwioToOihw(Float32Array.from(a), this.shapes.get(k)!));
      for (const [k, a] of opts.adam.v) this.v.set(k, hwioToOihw(Float32Array.from(a), this.shapes.get(k)!));
    }
  }

  private session(images: number, size: number) {
    const key = `${images}/${size}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const g = buildSimclrGraph({ config: this.config, images, size, temperature: this.opts.temperature, head: this.opts.head });
        const { session } = await createSession(g.bytes, this.opts.device ?? 'cpu');
        return { session, weightInputs: g.weightInputs, bnLayers: g.bnLayers };
      })();
      this.sessions.set(key, s);
    }
    return s;
  }

  /**
   * Loss, gradients and BN statistics of one step (no update). x: both views, NHWC normalised,
   * view 1 of the `images` images first, then view 2 in the same order.
   */
  async gradients(x: Float32Array, images: number, size: number) {
    const { session, weightInputs, bnLayers } = await this.session(images, size);
    const ort = await loadOrt();
    const feeds: Record<string, Ort.Tensor> = { x: new ort.Tensor('float32', nhwcToNchw(x, 2 * images, size), [2 * images, 3, size, size]) };
    for (const name of weightInputs) feeds[name] = new ort.Tensor('float32', this.params.get(name)!, oihwShape(this.shapes.get(name)!));
    return readStepOutputs(await session.run(feeds), weightInputs, bnLayers);
  }

  /** One step: gradients, Adam, the encoder's BN running averages. Returns the loss before the update. */
  async trainStep(x: Float32Array, images: number, size: number): Promise<number> {
    const { loss, grads, stats } = await this.gradients(x, images, size);
    this.step += 1;
    const o = { lr: this.lr, beta1: this.opts.beta1 ?? 0.9, beta2: this.opts.beta2 ?? 0.999, eps: this.opts.eps ?? 1e-8 };
    for (const [name, g] of grads) {
      const p = this.params.get(name)!;
      if (!this.m.has(name)) {
        this.m.set(name, new Float32Array(p.length));
        this.v.set(name, new Float32Array(p.length));
      }
      adamUpdateArray(p, g, this.m.get(name)!, this.v.get(name)!, this.step, o);
    }
    updateRunningStats(this.params, stats, this.config.bnMomentum, (bn) => 2 * images * (size / bnStride(bn)) ** 2);
    return loss;
  }

  /** The U-Net's weights, canonical layout: a student weights file whose encoder is pre-trained. */
  weightArrays(): WeightArrays {
    const out: WeightArrays = new Map();
    for (const s of paramSpecs(this.config)) out.set(s.name, oihwToHwio(this.params.get(s.name)!, s.shape).slice());
    return out;
  }

  headArrays(): WeightArrays {
    return new Map(headSpecs(this.config, this.opts.head).map((s) => [s.name, this.params.get(s.name)!.slice()]));
  }

  adamState(): AdamState {
    const canon = (src: Map<string, Float32Array>) => new Map([...src].map(([k, a]) => [k, oihwToHwio(a, this.shapes.get(k)!).slice()]));
    return { step: this.step, m: canon(this.m), v: canon(this.v) };
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).session.release();
    this.sessions.clear();
  }
}

/** A fresh projection head: PyTorch's nn.Linear initialisation, U(±1/√fan_in), from the seeded PRNG. */
export function initHead(config: UnetConfig, head: ProjectionHead, random: () => number): WeightArrays {
  const out: WeightArrays = new Map();
  const fanIn = { 'proj.0': config.encoderChannels[4], 'proj.2': head.hidden };
  for (const s of headSpecs(config, head)) {
    const bound = 1 / Math.sqrt(fanIn[s.name.slice(0, 6) as keyof typeof fanIn]);
    out.set(s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * bound));
  }
  return out;
}
