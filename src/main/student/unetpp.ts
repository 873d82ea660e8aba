import { InitScheme } from '../../shared/contract';
import { seededRandom } from '../util/random';
import { batchNormTrain, conv2d, conv2dBiasAct, maxPool3s2, upsample2x, type BatchStats } from './ops';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Variable } from './tf';

/**
 * U-Net++ (nested U-Net, Zhou et al. 2018) with a ResNet encoder, as an explicit weights map and a
 * pure forward function over tf ops. The layout is that of segmentation_models_pytorch's
 * UnetPlusPlus defaults (see ../shared/bench/unetpp_torch.py): ResNet34 encoder (no pretrained
 * weights), decoder channels (256, 128, 64, 32, 16), nearest ×2 upsampling, 3×3 conv head →
 * 1 logit: 26,078,609 trainable parameters. Weights are named like the PyTorch state_dict
 * ("encoder.layer2.0.conv1.weight", "decoder.nodes.x_0_1.conv1.0.weight", …); convolution
 * filters are stored as tfjs HWIO [kh, kw, cin, cout] (PyTorch: OIHW).
 *
 * Input: NHWC float32, ImageNet-normalised RGB, height and width multiples of 32.
 * Output: logits NHW1 (sigmoid gives the foreground probability).
 */

export interface UnetConfig {
  inChannels: number;
  /** Stem and the four ResNet stages: [64, 64, 128, 256, 512] for ResNet34. */
  encoderChannels: [number, number, number, number, number];
  /** BasicBlocks per stage: [3, 4, 6, 3] for ResNet34. */
  encoderBlocks: [number, number, number, number];
  decoderChannels: [number, number, number, number, number];
  classes: number;
  bnEps: number;
  bnMomentum: number; // PyTorch convention: running = (1 − m)·running + m·batch
}

export const RESNET34_UNETPP: UnetConfig = {
  inChannels: 3,
  encoderChannels: [64, 64, 128, 256, 512],
  encoderBlocks: [3, 4, 6, 3],
  decoderChannels: [256, 128, 64, 32, 16],
  classes: 1,
  bnEps: 1e-5,
  bnMomentum: 0.1,
};

/** A configurable-width variant: `width` is the encoder's base channels (64 for ResNet34). */
export function unetConfig(opts: { width?: number; blocks?: number[]; decoder?: number[] } = {}): UnetConfig {
  const w = opts.width ?? 64;
  const blocks = opts.blocks ?? RESNET34_UNETPP.encoderBlocks;
  const decoder = opts.decoder ?? RESNET34_UNETPP.decoderChannels;
  if (blocks.length !== 4 || blocks.some((b) => !Number.isInteger(b) || b < 1)) throw new Error('blocks: four positive integers (ResNet stages)');
  if (decoder.length !== 5 || decoder.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('decoder: five positive channel counts');
  if (!Number.isInteger(w) || w < 1) throw new Error('width: a positive integer');
  return {
    ...RESNET34_UNETPP,
    encoderChannels: [w, w, 2 * w, 4 * w, 8 * w],
    encoderBlocks: blocks as UnetConfig['encoderBlocks'],
    decoderChannels: decoder as UnetConfig['decoderChannels'],
  };
}

/** The small model the tests train in seconds. */
export const TINY_UNETPP: UnetConfig = unetConfig({ width: 8, blocks: [1, 1, 1, 1], decoder: [32, 16, 8, 8, 4] });

export type ParamKind = 'conv' | 'bn_weight' | 'bn_bias' | 'bn_mean' | 'bn_var' | 'bias';

export interface ParamSpec {
  name: string;
  shape: number[];
  kind: ParamKind;
  trainable: boolean;
}

interface DecoderNodeSpec {
  key: string; // "x_{d}_{layer}"
  cin: number;
  cskip: number;
  cout: number;
}

function decoderLayout(cfg: UnetConfig): { nodes: DecoderNodeSpec[]; depth: number } {
  const e = cfg.encoderChannels;
  const enc = [e[4], e[3], e[2], e[1], e[0]]; // deepest first
  const dec = cfg.decoderChannels;
  const inCh = [enc[0], dec[0], dec[1], dec[2], dec[3]];
  const skipCh = [enc[1], enc[2], enc[3], enc[4], 0];
  const depth = 4;
  const nodes: DecoderNodeSpec[] = [];
  for (let layer = 0; layer < depth; layer++) {
    for (let d = 0; d <= layer; d++) {
      if (d === 0) nodes.push({ key: `x_${d}_${layer}`, cin: inCh[layer]!, cskip: skipCh[layer]! * (layer + 1), cout: dec[layer]! });
      else nodes.push({ key: `x_${d}_${layer}`, cin: skipCh[layer - 1]!, cskip: skipCh[layer]! * (layer + 1 - d), cout: skipCh[layer]! });
    }
  }
  nodes.push({ key: `x_0_${depth}`, cin: inCh[4]!, cskip: 0, cout: dec[4]! });
  return { nodes, depth };
}

/** Every tensor of the model, in a stable order (the order of checkpoints and exports). */
export function paramSpecs(cfg: UnetConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, cin: number, cout: number) => specs.push({ name, shape: [k, k, cin, cout], kind: 'conv', trainable: true });
  const bn = (prefix: string, c: number) => {
    specs.push({ name: `${prefix}.weight`, shape: [c], kind: 'bn_weight', trainable: true });
    specs.push({ name: `${prefix}.bias`, shape: [c], kind: 'bn_bias', trainable: true });
    specs.push({ name: `${prefix}.running_mean`, shape: [c], kind: 'bn_mean', trainable: false });
    specs.push({ name: `${prefix}.running_var`, shape: [c], kind: 'bn_var', trainable: false });
  };
  const e = cfg.encoderChannels;
  conv('encoder.conv1.weight', 7, cfg.inChannels, e[0]);
  bn('encoder.bn1', e[0]);
  let cin = e[0];
  for (let s = 0; s < 4; s++) {
    const cout = e[s + 1]!;
    for (let b = 0; b < cfg.encoderBlocks[s]!; b++) {
      const p = `encoder.layer${s + 1}.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      const bin = b === 0 ? cin : cout;
      conv(`${p}.conv1.weight`, 3, bin, cout);
      bn(`${p}.bn1`, cout);
      conv(`${p}.conv2.weight`, 3, cout, cout);
      bn(`${p}.bn2`, cout);
      if (b === 0 && (stride !== 1 || bin !== cout)) {
        conv(`${p}.downsample.0.weight`, 1, bin, cout);
        bn(`${p}.downsample.1`, cout);
      }
    }
    cin = cout;
  }
  for (const n of decoderLayout(cfg).nodes) {
    const p = `decoder.nodes.${n.key}`;
    conv(`${p}.conv1.0.weight`, 3, n.cin + n.cskip, n.cout);
    bn(`${p}.conv1.1`, n.cout);
    conv(`${p}.conv2.0.weight`, 3, n.cout, n.cout);
    bn(`${p}.conv2.1`, n.cout);
  }
  conv('head.weight', 3, cfg.decoderChannels[4], cfg.classes);
  specs.push({ name: 'head.bias', shape: [cfg.classes], kind: 'bias', trainable: true });
  return specs;
}

export function countParams(cfg: UnetConfig): { trainable: number; buffers: number } {
  let trainable = 0;
  let buffers = 0;
  for (const s of paramSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.trainable) trainable += n;
    else buffers += n;
  }
  return { trainable, buffers };
}

/** Plain arrays of every tensor: what checkpoints and weight files hold. */
export type WeightArrays = Map<string, Float32Array>;

/**
 * How fresh weights are drawn. Every scheme sets BN γ = 1, β = 0, running mean 0 / variance 1.
 * - "pytorch": what the PyTorch reference (../shared/bench/unetpp_torch.py) gets — torchvision's
 *   ResNet (Kaiming normal over fan-out) in the encoder and PyTorch's layer default in the decoder
 *   and head (uniform ±1/√fan-in, the head's bias too). Under Adam and BN a weight's scale sets how
 *   fast it learns, so the decoder's 2.45× smaller start is not cosmetic.
 * - "smp": segmentation_models_pytorch's UnetPlusPlus — torchvision's encoder, Kaiming uniform over
 *   fan-in in the decoder, Xavier uniform head with zero bias.
 * - "he": Kaiming normal over fan-in for every convolution, head bias 0 (the app's first scheme).
 */
export const INIT_SCHEMES: readonly InitScheme[] = InitScheme.options;
export const DEFAULT_INIT_SCHEME: InitScheme = 'pytorch';

/**
 * Fresh weights in the given scheme, drawn from the seeded PRNG (Box–Muller for normals), so a seed
 * gives the same weights on every backend.
 */
export function initWeights(cfg: UnetConfig, seed: number, scheme: InitScheme = DEFAULT_INIT_SCHEME): WeightArrays {
  const random = seededRandom(seed);
  const normal = (): number => {
    let u = 0;
    while (u <= 1e-12) u = random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const fill = (a: Float32Array, draw: () => number) => {
    for (let i = 0; i < a.length; i++) a[i] = draw();
  };
  const fillNormal = (a: Float32Array, std: number) => fill(a, () => normal() * std);
  const fillUniform = (a: Float32Array, bound: number) => fill(a, () => (2 * random() - 1) * bound);
  const out: WeightArrays = new Map();
  const specs = paramSpecs(cfg);
  const headFanIn = (() => {
    const h = specs.find((s) => s.name === 'head.weight')!.shape;
    return h[0]! * h[1]! * h[2]!;
  })();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (s.kind === 'conv') {
      const [kh, kw, cin, cout] = s.shape as [number, number, number, number];
      const d = convDraw(scheme, s.name, kh * kw * cin, kh * kw * cout);
      if (d.normal) fillNormal(a, d.scale);
      else fillUniform(a, d.scale);
    } else if (s.kind === 'bias' && scheme === 'pytorch') fillUniform(a, 1 / Math.sqrt(headFanIn));
    else if (s.kind === 'bn_weight' || s.kind === 'bn_var') a.fill(1);
    out.set(s.name, a);
  }
  return out;
}

/** A convolution's distribution in a scheme: normal with std `scale`, or uniform on ±`scale`. */
function convDraw(scheme: InitScheme, name: string, fanIn: number, fanOut: number): { normal: boolean; scale: number } {
  if (scheme === 'he') return { normal: true, scale: Math.sqrt(2 / fanIn) };
  if (name.startsWith('encoder.')) return { normal: true, scale: Math.sqrt(2 / fanOut) }; // torchvision's ResNet
  const head = name.startsWith('head.');
  if (scheme === 'smp') return { normal: false, scale: head ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn) };
  return { normal: false, scale: 1 / Math.sqrt(fanIn) }; // PyTorch's Conv2d default, kaiming_uniform(a=√5)
}

/** Live model weights: trainable ones as Variables, BN running statistics as tensors. */
export class UnetWeights {
  readonly specs: ParamSpec[];
  readonly vars = new Map<string, Variable>();
  readonly buffers = new Map<string, Tensor>();

  constructor(
    readonly config: UnetConfig,
    arrays: WeightArrays,
  ) {
    this.specs = paramSpecs(config);
    for (const s of this.specs) {
      const a = arrays.get(s.name);
      if (!a) throw new Error(`weights lack "${s.name}"`);
      const n = s.shape.reduce((x, y) => x * y, 1);
      if (a.length !== n) throw new Error(`weights "${s.name}": ${a.length} values, the model needs ${n} (${s.shape.join('×')})`);
      const t = tf.tensor(a, s.shape, 'float32');
      if (s.trainable) {
        this.vars.set(s.name, tf.variable(t, true, `${s.name}#${nextId++}`));
        t.dispose();
      } else this.buffers.set(s.name, t);
    }
  }

  get(name: string): Tensor {
    const t = this.vars.get(name) ?? this.buffers.get(name);
    if (!t) throw new Error(`no weight "${name}"`);
    return t;
  }

  trainableList(): Variable[] {
    return this.specs.filter((s) => s.trainable).map((s) => this.vars.get(s.name)!);
  }

  /** Running-average update of the BN statistics from one training step's batch statistics. */
  updateRunningStats(stats: Map<string, BatchStats>): void {
    const m = this.config.bnMomentum;
    for (const [prefix, s] of stats) {
      const meanName = `${prefix}.running_mean`;
      const varName = `${prefix}.running_var`;
      const oldMean = this.buffers.get(meanName)!;
      const oldVar = this.buffers.get(varName)!;
      const unbiased = s.count > 1 ? s.count / (s.count - 1) : 1;
      const newMean = tf.tidy(() => tf.add(tf.mul(oldMean, 1 - m), tf.mul(s.mean, m)));
      const newVar = tf.tidy(() => tf.add(tf.mul(oldVar, 1 - m), tf.mul(s.variance, m * unbiased)));
      oldMean.dispose();
      oldVar.dispose();
      this.buffers.set(meanName, newMean);
      this.buffers.set(varName, newVar);
    }
  }

  async toArrays(): Promise<WeightArrays> {
    const out: WeightArrays = new Map();
    for (const s of this.specs) out.set(s.name, (await this.get(s.name).data()) as Float32Array);
    return out;
  }

  toArraysSync(): WeightArrays {
    const out: WeightArrays = new Map();
    for (const s of this.specs) out.set(s.name, this.get(s.name).dataSync() as Float32Array);
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    for (const b of this.buffers.values()) b.dispose();
    this.vars.clear();
    this.buffers.clear();
  }
}

let nextId = 0;

export interface ForwardOptions {
  /** Batch statistics and gradients (training); otherwise running statistics. */
  training: boolean;
  /** Training: receives each BN layer's batch statistics (kept tensors; the caller disposes). */
  stats?: Map<string, BatchStats>;
}

/**
 * The operations the network is built from. The tf implementations compute (training, eval, folded
 * inference); the ONNX exporter implements the same interface with symbolic tensors and emits nodes,
 * so the exported graph is this graph by construction.
 */
export interface GraphOps<T> {
  /** conv (no bias) → BN → optional ReLU; `inputGrad: false` marks the stem (no dL/dx needed). */
  convBn(x: T, conv: string, bn: string, stride: number, pad: number, relu: boolean, inputGrad?: boolean): T;
  /** 3×3 conv with bias → logits */
  head(x: T): T;
  /** nearest ×2 */
  upsample(x: T): T;
  /** 3×3 / 2 / pad 1 */
  maxPool(x: T): T;
  /** relu(a + b), the residual join */
  addRelu(a: T, b: T): T;
  /** along channels */
  concat(xs: T[]): T;
}

export type Layers = Pick<GraphOps<Tensor4D>, 'convBn' | 'head'> & Partial<GraphOps<Tensor4D>>;

function tfOps(L: Layers): GraphOps<Tensor4D> {
  return {
    convBn: L.convBn,
    head: L.head,
    upsample: L.upsample ?? upsample2x,
    maxPool: L.maxPool ?? maxPool3s2,
    addRelu: L.addRelu ?? ((a, b) => tf.relu(tf.add(a, b)) as Tensor4D),
    concat: L.concat ?? ((xs) => tf.concat(xs, 3) as Tensor4D),
  };
}

function liveLayers(w: UnetWeights, opts: ForwardOptions): Layers {
  const eps = w.config.bnEps;
  return {
    convBn(x, conv, bn, stride, pad, relu, inputGrad = true) {
      const k = w.get(conv) as Tensor4D;
      const y = conv2d(x, k, stride, pad, inputGrad);
      const gamma = w.get(`${bn}.weight`) as Tensor1D;
      const beta = w.get(`${bn}.bias`) as Tensor1D;
      let z: Tensor4D;
      if (opts.training) {
        z = batchNormTrain(y, gamma, beta, eps, opts.stats ? (s) => opts.stats!.set(bn, s) : undefined);
      } else {
        const mean = w.get(`${bn}.running_mean`);
        const variance = w.get(`${bn}.running_var`);
        z = tf.batchNorm(y, mean as Tensor1D, variance as Tensor1D, beta, gamma, eps);
      }
      return relu ? tf.relu(z) : z;
    },
    head(x) {
      return tf.add(conv2d(x, w.get('head.weight') as Tensor4D, 1, 1), w.get('head.bias')) as Tensor4D;
    },
  };
}

/** Weights with each BN folded into its convolution (scale into the filter, shift into a bias). */
export class FoldedUnet {
  private readonly convs = new Map<string, { w: Tensor4D; b: Tensor1D }>();
  private readonly headW: Tensor4D;
  private readonly headB: Tensor1D;

  constructor(
    readonly config: UnetConfig,
    arrays: WeightArrays,
  ) {
    const eps = config.bnEps;
    for (const s of paramSpecs(config)) {
      if (s.kind !== 'conv' || s.name === 'head.weight') continue;
      const bn = bnOf(s.name);
      const w = arrays.get(s.name)!;
      const gamma = arrays.get(`${bn}.weight`)!;
      const beta = arrays.get(`${bn}.bias`)!;
      const mean = arrays.get(`${bn}.running_mean`)!;
      const variance = arrays.get(`${bn}.running_var`)!;
      const cout = s.shape[3]!;
      const scale = new Float32Array(cout);
      const bias = new Float32Array(cout);
      for (let c = 0; c < cout; c++) {
        scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
        bias[c] = beta[c]! - mean[c]! * scale[c]!;
      }
      const fw = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) fw[i] = w[i]! * scale[i % cout]!;
      this.convs.set(s.name, { w: tf.tensor4d(fw, s.shape as [number, number, number, number]), b: tf.tensor1d(bias) });
    }
    const hs = paramSpecs(config).find((s) => s.name === 'head.weight')!;
    this.headW = tf.tensor4d(arrays.get('head.weight')!, hs.shape as [number, number, number, number]);
    this.headB = tf.tensor1d(arrays.get('head.bias')!);
  }

  layers(): Layers {
    return {
      convBn: (x, conv, _bn, stride, pad, relu) => {
        const c = this.convs.get(conv)!;
        return conv2dBiasAct(x, c.w, c.b, stride, pad, relu);
      },
      head: (x) => conv2dBiasAct(x, this.headW, this.headB, 1, 1, false),
    };
  }

  dispose(): void {
    for (const c of this.convs.values()) {
      c.w.dispose();
      c.b.dispose();
    }
    this.headW.dispose();
    this.headB.dispose();
  }
}

/** The BN that follows a convolution, by the naming scheme of `paramSpecs`. */
export function bnOf(convWeight: string): string {
  const base = convWeight.replace(/\.weight$/, '');
  if (base === 'encoder.conv1') return 'encoder.bn1';
  if (base.endsWith('.downsample.0')) return base.replace(/\.0$/, '.1');
  if (/\.conv[12]\.0$/.test(base)) return base.replace(/\.0$/, '.1'); // decoder ConvBNReLU
  return base.replace(/\.conv([12])$/, '.bn$1'); // encoder BasicBlock
}

/**
 * The ResNet encoder alone over any op implementation: the stem's /2 feature and the four stages'
 * outputs (/4 … /32). The U-Net++ decodes them; SimCLR pre-training pools the last one.
 */
export function buildEncoder<T>(cfg: UnetConfig, L: Pick<GraphOps<T>, 'convBn' | 'maxPool' | 'addRelu'>, x: T, hw: readonly [number, number]): T[] {
  const [h, w] = hw;
  if (h % 32 !== 0 || w % 32 !== 0) throw new Error(`input height and width must be multiples of 32 (got ${h}×${w})`);
  const f1 = L.convBn(x, 'encoder.conv1.weight', 'encoder.bn1', 2, 3, true, false);
  let y = L.maxPool(f1);
  const feats: T[] = [f1];
  for (let s = 0; s < 4; s++) {
    for (let b = 0; b < cfg.encoderBlocks[s]!; b++) {
      const p = `encoder.layer${s + 1}.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      const hasDown = b === 0 && (stride !== 1 || (s === 0 ? cfg.encoderChannels[0] : cfg.encoderChannels[s]) !== cfg.encoderChannels[s + 1]);
      const idt = hasDown ? L.convBn(y, `${p}.downsample.0.weight`, `${p}.downsample.1`, stride, 0, false) : y;
      const o1 = L.convBn(y, `${p}.conv1.weight`, `${p}.bn1`, stride, 1, true);
      const o2 = L.convBn(o1, `${p}.conv2.weight`, `${p}.bn2`, 1, 1, false);
      y = L.addRelu(o2, idt);
    }
    feats.push(y);
  }
  return feats;
}

/** The U-Net++ graph over any op implementation; `hw` is the input's height and width. */
export function buildGraph<T>(cfg: UnetConfig, L: GraphOps<T>, x: T, hw: readonly [number, number]): T {
  const feats = buildEncoder(cfg, L, x, hw);
  // decoder: f[0] = /32 … f[4] = /2
  const f = [feats[4]!, feats[3]!, feats[2]!, feats[1]!, feats[0]!];
  const node = (key: string, xin: T, skip: T | null): T => {
    const up = L.upsample(xin);
    const cat = skip ? L.concat([up, skip]) : up;
    const p = `decoder.nodes.${key}`;
    const c1 = L.convBn(cat, `${p}.conv1.0.weight`, `${p}.conv1.1`, 1, 1, true);
    return L.convBn(c1, `${p}.conv2.0.weight`, `${p}.conv2.1`, 1, 1, true);
  };
  const depth = 4;
  const dense = new Map<string, T>();
  for (let layer = 0; layer < depth; layer++) {
    for (let d = 0; d < depth - layer; d++) {
      if (layer === 0) dense.set(`x_${d}_${d}`, node(`x_${d}_${d}`, f[d]!, f[d + 1]!));
      else {
        const l = d + layer;
        const parts: T[] = [];
        for (let i = d + 1; i <= l; i++) parts.push(dense.get(`x_${i}_${l}`)!);
        parts.push(f[l + 1]!);
        dense.set(`x_${d}_${l}`, node(`x_${d}_${l}`, dense.get(`x_${d}_${l - 1}`)!, L.concat(parts)));
      }
    }
  }
  const top = node(`x_0_${depth}`, dense.get(`x_0_${depth - 1}`)!, null);
  return L.head(top);
}

/** The graph on tf tensors. */
export function runGraph(cfg: UnetConfig, L: Layers, x: Tensor4D): Tensor4D {
  return buildGraph(cfg, tfOps(L), x, [x.shape[1], x.shape[2]]);
}

/** The encoder's deepest feature map [N, H/32, W/32, C] from live weights (SimCLR's representation before pooling). */
export function forwardEncoder(w: UnetWeights, x: Tensor4D, opts: ForwardOptions): Tensor4D {
  return buildEncoder(w.config, tfOps(liveLayers(w, opts)), x, [x.shape[1], x.shape[2]]).at(-1)!;
}

/** Logits [N, H, W, classes] from live weights (training or eval mode). */
export function forward(w: UnetWeights, x: Tensor4D, opts: ForwardOptions): Tensor4D {
  return runGraph(w.config, liveLayers(w, opts), x);
}

/** Logits from folded weights: the fast inference path (eval mode). */
export function forwardFolded(m: FoldedUnet, x: Tensor4D): Tensor4D {
  return runGraph(m.config, m.layers(), x);
}
