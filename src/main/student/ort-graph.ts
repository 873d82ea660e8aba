import { encodeModel, ONNX_FLOAT, ONNX_INT64, type Attrs, type Initializer, type NodeSpec, type ValueInfo } from '../onnx/proto-writer';
import { buildGraph, paramSpecs, type GraphOps, type UnetConfig } from './unetpp';

/**
 * The student's training step as one ONNX graph, for onnxruntime's CPU kernels (MLAS): forward in
 * training mode, the loss, and hand-written reverse-mode gradients of every trainable weight.
 * Built from the same graph builder as tfjs and the exporter (unetpp.ts `buildGraph`); every
 * forward op records how to send gradients back, and the tape is replayed in reverse.
 *
 * Layout NCHW; conv weights OIHW. Weights are graph inputs (not initialisers): one graph per
 * (batch, size, λ) serves every step; so are the targets y [B, K, H, W], the sample weights w [B] and
 * the pixel weights m [B, 1, H, W], and the flipped copies the stride-1 input gradients use
 * ("flip/<weight>", see convInputGrad). Outputs: "loss", "grad/<weight>" for each trainable weight,
 * and "stat/<bn>/mean", "stat/<bn>/var" (batch mean and biased variance) for the running averages.
 *
 * Gradient rules:
 *   Conv        dX = conv of dY with the flipped, transposed filter (stride 1), else
 *               ConvTranspose(dY, W) with output_padding restoring the input size;
 *               dW = dY(shifted) · x(shifted)ᵀ over batch and positions, channel-major — one
 *               MatMul per filter tap, shifting whichever of input and output gradient has fewer
 *               channels
 *   BN (train)  dβ = Σdy, dγ = Σ dy·x̂, dx = γ·inv/N · (N·dy − dβ − x̂·dγ) (x̂ kept as x − mean)
 *   ReLU        dy where the output is > 0
 *   MaxPool     scatter-add of dy to the argmax (MaxPool's Indices output)
 *   Resize ×2   sum over each 2×2 block;  Concat: Split;  Add: both inputs
 *   Loss        dz = m · w_b/B · (λ·(p − y)/(HW·K) + (1 − λ)/K · ∂Dice_bk/∂p · p(1 − p)),  p = σ(z), K
 *               channels (a structure each), m the pixel weight (0 on the ignore region)
 */

export interface Sym {
  name: string;
  c: number;
  h: number;
  w: number;
}

type Backward = (g: string) => void;

export class GraphWriter {
  readonly nodes: NodeSpec[] = [];
  readonly inits: Initializer[] = [];
  private n = 0;
  private consts = new Map<string, string>();

  fresh(hint: string): string {
    return `${hint.replace(/[^A-Za-z0-9_]/g, '_')}__${this.n++}`;
  }

  op(type: string, inputs: string[], attrs: Attrs = {}, outputs = 1, hint = type): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(hint));
    this.nodes.push({ op: type, name: this.fresh(`${hint}_node`), inputs, outputs: outs, attrs });
    return outs;
  }

  op1(type: string, inputs: string[], attrs: Attrs = {}, hint = type): string {
    return this.op(type, inputs, attrs, 1, hint)[0]!;
  }

  /** a · bᵀ over the last two axes, batched, without materialising bᵀ (onnxruntime's FusedMatMul). */
  matMulBT(a: string, b: string, hint = 'mm_bt'): string {
    const out = this.fresh(hint);
    this.nodes.push({ op: 'FusedMatMul', domain: 'com.microsoft', name: this.fresh(`${hint}_node`), inputs: [a, b], outputs: [out], attrs: { transB: 1 } });
    return out;
  }

  /** An int64 or float constant (deduplicated). */
  constant(values: number[], type: 'int64' | 'float', dims: number[] = [values.length]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.fresh(`const_${type}`);
      this.inits.push({ name, dims, elemType: type === 'float' ? ONNX_FLOAT : ONNX_INT64, values });
      this.consts.set(key, name);
    }
    return name;
  }

  scalar(v: number): string {
    return this.constant([v], 'float', []);
  }

  ints(vs: number[]): string {
    return this.constant(vs, 'int64');
  }
}

export interface TrainGraphSpec {
  config: UnetConfig;
  batch: number;
  size: number;
  lambda: number;
  smooth?: number;
}

export interface BuiltGraph {
  bytes: Uint8Array;
  /** Trainable weights, in graph-input order. */
  weightInputs: string[];
  /** BN layers whose batch statistics are outputs. */
  bnLayers: string[];
}

export interface TrainGraph extends BuiltGraph {
  /** Conv weights whose flipped, transposed copy (flipTransposeInto) is fed as `flippedInputName(w)`. */
  flipInputs: string[];
}

const convOut = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

/**
 * Differentiable graph ops on a tape: each forward op records how to send its output's gradient
 * back. Shared by every training graph (the supervised step here, SimCLR's in simclr-graph.ts).
 */
export interface TapeGraph {
  ops: GraphOps<Sym>;
  /** Adds a gradient contribution to a tensor (or a weight input) by name. */
  acc(name: string, g: string): void;
  /** The summed gradient of a tensor, null when nothing reached it. */
  gradOf(name: string): string | null;
  /** Runs every recorded op's gradient rule, last op first. */
  backprop(): void;
  /** BN layers whose batch statistics are outputs, and those outputs' names. */
  bnLayers: string[];
  statOutputs: string[];
  /** Weights whose flipped copy is a graph input (fedFlips), in first-use order. */
  flipInputs: string[];
  /**
   * The step's outputs after backprop: `loss`, `grad/<weight>` for each weight, then the BN
   * statistics. Throws when a weight gets no gradient (a graph that cannot train it).
   */
  stepOutputs(weightInputs: string[]): string[];
}

/** What a training-step session returns, read back by the names `stepOutputs` gave them. */
export interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  stats: Map<string, { mean: Float32Array; variance: Float32Array }>;
}

export function readStepOutputs(
  out: Record<string, { data: unknown }>,
  weightInputs: readonly string[],
  bnLayers: readonly string[],
): StepResult {
  const grads = new Map<string, Float32Array>();
  for (const name of weightInputs) grads.set(name, out[`grad/${name}`]!.data as Float32Array);
  const stats = new Map<string, { mean: Float32Array; variance: Float32Array }>();
  for (const bn of bnLayers) stats.set(bn, { mean: out[`stat/${bn}/mean`]!.data as Float32Array, variance: out[`stat/${bn}/var`]!.data as Float32Array });
  return { loss: (out.loss!.data as Float32Array)[0]!, grads, stats };
}

export interface TapeOptions {
  /** Stride-1 input gradients read each weight's flipped, transposed copy from an input (see convInputGrad). */
  fedFlips?: boolean;
}

/** The graph input holding a conv weight flipped spatially with its two channel axes swapped. */
export function flippedInputName(weight: string): string {
  return `flip/${weight}`;
}

export function tapeGraph(G: GraphWriter, config: UnetConfig, B: number, opts: TapeOptions = {}): TapeGraph {
  const flipInputs: string[] = [];
  const tape: { out: string; back: Backward }[] = [];
  const grads = new Map<string, string[]>();
  const specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
  const bnLayers: string[] = [];
  const statOutputs: string[] = [];
  const eps = config.bnEps;
  const axesNHW = G.ints([0, 2, 3]);
  const zero = G.scalar(0);

  const acc = (name: string, g: string) => {
    const list = grads.get(name);
    if (list) list.push(g);
    else grads.set(name, [g]);
  };
  const gradOf = (name: string): string | null => {
    const list = grads.get(name);
    if (!list || list.length === 0) return null;
    return list.length === 1 ? list[0]! : G.op1('Sum', list, {}, 'gsum');
  };
  const record = (out: string, back: Backward) => tape.push({ out, back });
  const perChannel = (v: string, c: number) => G.op1('Reshape', [v, G.ints([1, c, 1, 1])]);

  /**
   * dW of a convolution from its input x and output gradient g, one MatMul per filter tap. Both are
   * taken channel-major ([C, B, H, W], one Transpose each, shared by every conv that reads the same
   * tensor), so a tap is a [C, B·H·W] matrix and its product sums over batch and positions at once:
   * no per-image [B, Cout, Cin] products to reduce (the batched form spent ~5 % of the step in that
   * ReduceSum). Stride 1 with cout ≤ cin shifts g (the smaller tensor) and multiplies the input as
   * it is; otherwise each tap is a strided slice of the padded input.
   */
  const channelMajor = new Map<string, string>();
  const cmajor = (t: string): string => {
    let v = channelMajor.get(t);
    if (!v) {
      v = G.op1('Transpose', [t], { perm: [1, 0, 2, 3] }, 'cmajor');
      channelMajor.set(t, v);
    }
    return v;
  };
  const convWeightGrad = (x: Sym, gy: string, cout: number, k: number, s: number, p: number, ho: number, wo: number): string => {
    const taps: string[] = [];
    // g · xᵀ over B·H·W → [Cout, Cin, 1]; the taps then concatenate on the last axis straight into OIHW
    const perTap = (gs: string, xs: string) => G.op1('Reshape', [G.matMulBT(gs, xs, 'dw_mm'), G.ints([cout, x.c, 1])], {}, 'dw_tap');
    const pad = (t: string, hint: string) => (p > 0 ? G.op1('Pad', [t, G.ints([0, 0, p, p, 0, 0, p, p])], {}, hint) : t);
    if (s === 1 && cout <= x.c && ho === x.h && wo === x.w) {
      // dW[:, :, ky, kx] = (g shifted by (p − ky, p − kx)) · xᵀ
      const n = B * x.h * x.w;
      const x2 = G.op1('Reshape', [cmajor(x.name), G.ints([x.c, n])]);
      const gc = cmajor(gy);
      const gp = pad(gc, 'gpad'); // [Cout, B, H+2p, W+2p]
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const sy = 2 * p - ky;
          const sx = 2 * p - kx;
          const sh = k === 1 && p === 0 ? gc : G.op1('Slice', [gp, G.ints([sy, sx]), G.ints([sy + x.h, sx + x.w]), G.ints([2, 3])], {}, 'gtap');
          taps.push(perTap(G.op1('Reshape', [sh, G.ints([cout, n])]), x2));
        }
    } else {
      const n = B * ho * wo;
      const xc = cmajor(x.name);
      const src = pad(xc, 'pad');
      const g2 = G.op1('Reshape', [cmajor(gy), G.ints([cout, n])]);
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const t =
            k === 1 && s === 1 && p === 0
              ? xc
              : G.op1('Slice', [src, G.ints([ky, kx]), G.ints([ky + s * (ho - 1) + 1, kx + s * (wo - 1) + 1]), G.ints([2, 3]), G.ints([s, s])], {}, 'tap');
          taps.push(perTap(g2, G.op1('Reshape', [t, G.ints([x.c, n])])));
        }
    }
    const all = taps.length === 1 ? taps[0]! : G.op1('Concat', taps, { axis: 2 }, 'dw_taps'); // [Cout, Cin, K]
    return G.op1('Reshape', [all, G.ints([cout, x.c, k, k])], {}, 'dw'); // OIHW
  };

  /**
   * dX of a convolution: stride 1 as a convolution with the flipped, transposed filter; else
   * ConvTranspose (output_padding restores an input size that striding rounded away). ConvTranspose
   * would serve stride 1 as well, but onnxruntime's col2im made it ~2× slower than the Conv. With
   * `fedFlips` the flipped filter is a graph input the engine refreshes after each update
   * (flipTransposeInto): flipping inside the graph (a negative-step Slice and a Transpose of every
   * weight) took ~10 % of the 128² step.
   */
  const convInputGrad = (x: Sym, g: string, wName: string, k: number, stride: number, pad: number, ho: number, wo: number): string => {
    if (stride === 1 && ho === x.h && wo === x.w && 2 * pad === k - 1) {
      let flipped: string;
      if (opts.fedFlips) {
        flipped = flippedInputName(wName);
        if (!flipInputs.includes(wName)) flipInputs.push(wName);
      } else {
        const wt = G.op1('Transpose', [wName], { perm: [1, 0, 2, 3] }); // [Cin, Cout, k, k]
        flipped = k === 1 ? wt : G.op1('Slice', [wt, G.ints([-1, -1]), G.ints([-(k + 1), -(k + 1)]), G.ints([2, 3]), G.ints([-1, -1])], {}, 'wflip');
      }
      return G.op1('Conv', [g, flipped], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] }, 'dx');
    }
    const op = [x.h - (stride * (ho - 1) + k - 2 * pad), x.w - (stride * (wo - 1) + k - 2 * pad)];
    return G.op1(
      'ConvTranspose',
      [g, wName],
      { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], output_padding: op },
      'dx',
    );
  };

  const conv = (x: Sym, wName: string, stride: number, pad: number, inputGrad: boolean, bias: string | null): Sym => {
    const [cout, , k] = oihwShape(specs.get(wName)!.shape);
    const ho = convOut(x.h, k!, stride, pad);
    const wo = convOut(x.w, k!, stride, pad);
    const inputs = bias ? [x.name, wName, bias] : [x.name, wName];
    const y = G.op1('Conv', inputs, { kernel_shape: [k!, k!], strides: [stride, stride], pads: [pad, pad, pad, pad] }, 'conv');
    record(y, (g) => {
      acc(wName, convWeightGrad(x, g, cout!, k!, stride, pad, ho, wo));
      if (bias) acc(bias, G.op1('ReduceSum', [g, axesNHW], { keepdims: 0 }, 'db'));
      if (inputGrad) acc(x.name, convInputGrad(x, g, wName, k!, stride, pad, ho, wo));
    });
    return { name: y, c: cout!, h: ho, w: wo };
  };

  const batchNorm = (x: Sym, bn: string): Sym => {
    const n = B * x.h * x.w;
    const gamma = `${bn}.weight`;
    const beta = `${bn}.bias`;
    const mean = G.op1('ReduceMean', [x.name], { axes: [0, 2, 3], keepdims: 1 }, 'mean');
    const xc = G.op1('Sub', [x.name, mean]);
    const variance = G.op1('ReduceMean', [G.op1('Mul', [xc, xc])], { axes: [0, 2, 3], keepdims: 1 }, 'var');
    const inv = G.op1('Reciprocal', [G.op1('Sqrt', [G.op1('Add', [variance, G.scalar(eps)])])], {}, 'inv');
    // γ·inv per channel first: the normalised x̂ is never materialised (one pass fewer over the tensor)
    const scale = G.op1('Mul', [perChannel(gamma, x.c), inv], {}, 'scale');
    const y = G.op1('Add', [G.op1('Mul', [xc, scale]), perChannel(beta, x.c)], {}, 'bn');
    bnLayers.push(bn);
    const mOut = `stat/${bn}/mean`;
    const vOut = `stat/${bn}/var`;
    G.nodes.push({ op: 'Reshape', name: G.fresh('stat'), inputs: [mean, G.ints([x.c])], outputs: [mOut] });
    G.nodes.push({ op: 'Reshape', name: G.fresh('stat'), inputs: [variance, G.ints([x.c])], outputs: [vOut] });
    statOutputs.push(mOut, vOut);
    record(y, (g) => {
      // dβ = Σg, dγ = inv·Σ g·xc, and dx = γ·inv/N·(N·g − dβ − x̂·dγ) regrouped per channel as
      // g·scale + xc·k2 + k3 (k2 = −scale·inv²·Σ g·xc / N, k3 = −scale·dβ / N): five passes over the
      // tensor instead of six
      const dbeta = G.op1('ReduceSum', [g, axesNHW], { keepdims: 0 }, 'dbeta');
      const sgx = G.op1('ReduceSum', [G.op1('Mul', [g, xc]), axesNHW], { keepdims: 0 }, 'sgx');
      acc(beta, dbeta);
      acc(gamma, G.op1('Mul', [sgx, G.op1('Reshape', [inv, G.ints([x.c])])], {}, 'dgamma'));
      const k2 = G.op1('Mul', [G.op1('Mul', [scale, G.op1('Mul', [inv, inv])]), G.op1('Mul', [perChannel(sgx, x.c), G.scalar(-1 / n)])], {}, 'k2');
      const k3 = G.op1('Mul', [scale, G.op1('Mul', [perChannel(dbeta, x.c), G.scalar(-1 / n)])], {}, 'k3');
      acc(x.name, G.op1('Add', [G.op1('Add', [G.op1('Mul', [g, scale]), G.op1('Mul', [xc, k2])]), k3], {}, 'dbn'));
    });
    return { ...x, name: y };
  };

  const relu = (x: Sym): Sym => {
    const y = G.op1('Relu', [x.name]);
    record(y, (g) => acc(x.name, G.op1('Where', [G.op1('Greater', [y, zero]), g, zero], {}, 'drelu')));
    return { ...x, name: y };
  };

  const ops: GraphOps<Sym> = {
    convBn(x, convName, bn, stride, pad, doRelu, inputGrad = true) {
      const y = batchNorm(conv(x, convName, stride, pad, inputGrad, null), bn);
      return doRelu ? relu(y) : y;
    },
    head(x) {
      return conv(x, 'head.weight', 1, 1, true, 'head.bias');
    },
    upsample(x) {
      const y = G.op1('Resize', [x.name, '', G.constant([1, 1, 2, 2], 'float')], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
      record(y, (g) => {
        const six = G.op1('Reshape', [g, G.ints([B, x.c, x.h, 2, x.w, 2])]);
        acc(x.name, G.op1('ReduceSum', [six, G.ints([3, 5])], { keepdims: 0 }, 'dup'));
      });
      return { name: y, c: x.c, h: 2 * x.h, w: 2 * x.w };
    },
    maxPool(x) {
      const [y, idx] = G.op('MaxPool', [x.name], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 2, 'maxpool');
      const ho = convOut(x.h, 3, 2, 1);
      const wo = convOut(x.w, 3, 2, 1);
      record(y!, (g) => {
        const total = B * x.c * x.h * x.w;
        const zeros = G.op1('ConstantOfShape', [G.ints([total])], {}, 'zeros');
        const flatIdx = G.op1('Reshape', [idx!, G.ints([-1])]);
        const flatG = G.op1('Reshape', [g, G.ints([-1])]);
        const scattered = G.op1('ScatterElements', [zeros, flatIdx, flatG], { axis: 0, reduction: 'add' }, 'dpool');
        acc(x.name, G.op1('Reshape', [scattered, G.ints([B, x.c, x.h, x.w])]));
      });
      return { name: y!, c: x.c, h: ho, w: wo };
    },
    addRelu(a, b) {
      const s = G.op1('Add', [a.name, b.name]);
      const y = G.op1('Relu', [s]);
      record(y, (g) => {
        const gs = G.op1('Where', [G.op1('Greater', [y, zero]), g, zero], {}, 'dres');
        acc(a.name, gs);
        acc(b.name, gs);
      });
      return { ...a, name: y };
    },
    concat(xs) {
      const y = G.op1('Concat', xs.map((x) => x.name), { axis: 1 });
      record(y, (g) => {
        const parts = G.op('Split', [g, G.ints(xs.map((x) => x.c))], { axis: 1 }, xs.length, 'dcat');
        xs.forEach((x, i) => acc(x.name, parts[i]!));
      });
      return { name: y, c: xs.reduce((s, x) => s + x.c, 0), h: xs[0]!.h, w: xs[0]!.w };
    },
  };


  const backprop = () => {
    for (let i = tape.length - 1; i >= 0; i--) {
      const t = tape[i]!;
      const g = gradOf(t.out);
      if (g) t.back(g);
    }
  };
  const stepOutputs = (weightInputs: string[]): string[] => {
    const outputs = ['loss'];
    for (const name of weightInputs) {
      const g = gradOf(name);
      if (!g) throw new Error(`no gradient reaches ${name}`);
      const out = `grad/${name}`;
      G.nodes.push({ op: 'Identity', name: G.fresh('gout'), inputs: [g], outputs: [out] });
      outputs.push(out);
    }
    return [...outputs, ...statOutputs];
  };
  return { ops, acc, gradOf, backprop, bnLayers, statOutputs, flipInputs, stepOutputs };
}

/** The training-step graph (see the file comment). */
export function buildTrainGraph(spec: TrainGraphSpec): TrainGraph {
  const { config, batch: B, size, lambda } = spec;
  const smooth = spec.smooth ?? 1;
  const G = new GraphWriter();
  const { ops, acc, backprop, bnLayers, flipInputs, stepOutputs } = tapeGraph(G, config, B, { fedFlips: true });
  const specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
  const logits = buildGraph(config, ops, { name: 'x', c: config.inChannels, h: size, w: size }, [size, size]);

  // ---- loss and its gradient (closed form), a channel per structure; m (0 on the ignore region) weighs every pixel
  const z = logits.name;
  const K = config.classes;
  const hw = size * size;
  const axesHW = G.ints([2, 3]);
  const p = G.op1('Sigmoid', [z], {}, 'p');
  const pm = G.op1('Mul', [p, 'm'], {}, 'pm');
  const inter = G.op1('ReduceSum', [G.op1('Mul', [pm, 'y']), axesHW], { keepdims: 0 }, 'inter'); // [B, K]
  const psum = G.op1('ReduceSum', [pm, axesHW], { keepdims: 0 });
  const tsum = G.op1('ReduceSum', [G.op1('Mul', ['y', 'm']), axesHW], { keepdims: 0 });
  const D = G.op1('Add', [G.op1('Add', [psum, tsum]), G.scalar(smooth)], {}, 'D'); // [B, K]
  const num = G.op1('Add', [G.op1('Mul', [inter, G.scalar(2)]), G.scalar(smooth)], {}, 'num'); // [B, K]
  const diceLoss = G.op1('ReduceMean', [G.op1('Sub', [G.scalar(1), G.op1('Div', [num, D])])], { axes: [1], keepdims: 0 }, 'dice'); // [B]
  const bceElem = G.op1('Add', [G.op1('Sub', [G.op1('Relu', [z]), G.op1('Mul', [z, 'y'])]), G.op1('Softplus', [G.op1('Neg', [G.op1('Abs', [z])])])]);
  const bce = G.op1('ReduceMean', [G.op1('Mul', [bceElem, 'm'])], { axes: [1, 2, 3], keepdims: 0 }, 'bce');
  const perImage = G.op1('Add', [G.op1('Mul', [bce, G.scalar(lambda)]), G.op1('Mul', [diceLoss, G.scalar(1 - lambda)])]);
  G.nodes.push({
    op: 'Div',
    name: G.fresh('loss'),
    inputs: [G.op1('ReduceSum', [G.op1('Mul', [perImage, 'w']), G.ints([0])], { keepdims: 0 }), G.scalar(B)],
    outputs: ['loss'],
  });
  const col = (v: string) => G.op1('Reshape', [v, G.ints([B, 1, 1, 1])]);
  const perChannelOfImage = (v: string) => G.op1('Reshape', [v, G.ints([B, K, 1, 1])]);
  // ∂Dice_bk/∂p = −m·(2y·D − num) / D²  (m enters through both sums)
  const dDice = G.op1('Neg', [
    G.op1('Div', [G.op1('Sub', [G.op1('Mul', ['y', G.op1('Mul', [perChannelOfImage(D), G.scalar(2)])]), perChannelOfImage(num)]), perChannelOfImage(G.op1('Mul', [D, D]))]),
  ]);
  const sig = G.op1('Mul', [p, G.op1('Sub', [G.scalar(1), p])]);
  const dz = G.op1('Mul', [
    G.op1('Mul', [
      G.op1('Add', [G.op1('Mul', [G.op1('Sub', [p, 'y']), G.scalar(lambda / (hw * K))]), G.op1('Mul', [G.op1('Mul', [dDice, sig]), G.scalar((1 - lambda) / K)])]),
      col(G.op1('Div', ['w', G.scalar(B)])),
    ]),
    'm',
  ], {}, 'dz');
  acc(z, dz);

  backprop();

  const weightInputs = paramSpecs(config)
    .filter((s) => s.trainable)
    .map((s) => s.name);
  const outputs = stepOutputs(weightInputs);

  const shapeOf = (name: string): number[] => oihwShape(specs.get(name)!.shape);
  const bytes = encodeModel({
    producer: 'apprentice',
    producerVersion: '0.1.0',
    opset: 17,
    name: 'unetpp_train_step',
    nodes: G.nodes,
    initializers: G.inits,
    inputs: [
      { name: 'x', elemType: ONNX_FLOAT, shape: [B, config.inChannels, size, size] },
      { name: 'y', elemType: ONNX_FLOAT, shape: [B, config.classes, size, size] },
      { name: 'w', elemType: ONNX_FLOAT, shape: [B] },
      { name: 'm', elemType: ONNX_FLOAT, shape: [B, 1, size, size] },
      ...weightInputs.map((n): ValueInfo => ({ name: n, elemType: ONNX_FLOAT, shape: shapeOf(n) })),
      ...flipInputs.map((n): ValueInfo => ({ name: flippedInputName(n), elemType: ONNX_FLOAT, shape: flippedShape(shapeOf(n)) })),
    ],
    outputs: outputs.map((n): ValueInfo => ({ name: n, elemType: ONNX_FLOAT, shape: outputShape(n, shapeOf, config, B) })),
  });
  return { bytes, weightInputs, bnLayers, flipInputs };
}

/** [O, I, k, k] → [I, O, k, k]. */
export function flippedShape(oihw: number[]): number[] {
  const [o, i, kh, kw] = oihw as [number, number, number, number];
  return [i, o, kh, kw];
}

/**
 * A conv weight (OIHW) flipped spatially with its channel axes swapped, into `dst` ([I, O, kh, kw]):
 * the filter whose convolution with an output gradient is the input gradient (stride 1). Flipping
 * both spatial axes reverses each kh·kw block.
 */
export function flipTransposeInto(dst: Float32Array, src: Float32Array, oihw: number[]): void {
  const [cout, cin, kh, kw] = oihw as [number, number, number, number];
  const kk = kh * kw;
  if (kk === 9) {
    // 3×3, nearly every flipped filter of the student (refreshed after each step): unrolled,
    // reading in order — ~35 % faster than the general loop on its 22 M values
    const stride = cout * 9;
    for (let o = 0, s = 0; o < cout; o++)
      for (let i = 0, d = o * 9; i < cin; i++, s += 9, d += stride) {
        dst[d] = src[s + 8]!;
        dst[d + 1] = src[s + 7]!;
        dst[d + 2] = src[s + 6]!;
        dst[d + 3] = src[s + 5]!;
        dst[d + 4] = src[s + 4]!;
        dst[d + 5] = src[s + 3]!;
        dst[d + 6] = src[s + 2]!;
        dst[d + 7] = src[s + 1]!;
        dst[d + 8] = src[s]!;
      }
    return;
  }
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++) {
      const s = (o * cin + i) * kk + kk - 1;
      const d = (i * cout + o) * kk;
      for (let t = 0; t < kk; t++) dst[d + t] = src[s - t]!;
    }
}

/** HWIO (tfjs) → OIHW (ONNX) shape; 1-D shapes unchanged. */
export function oihwShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[3]!, shape[2]!, shape[0]!, shape[1]!] : shape;
}

function outputShape(name: string, shapeOf: (n: string) => number[], config: UnetConfig, _b: number): (number | string)[] {
  if (name === 'loss') return [];
  if (name.startsWith('grad/')) return shapeOf(name.slice(5));
  // stat/<bn>/mean|var: channels of that BN
  const bn = name.slice(5, name.lastIndexOf('/'));
  const s = paramSpecs(config).find((p) => p.name === `${bn}.weight`)!;
  return s.shape;
}

/** Eval-mode logits with weights and BN running statistics as inputs (validation, mining's view). */
export function buildEvalGraph(config: UnetConfig, batch: number, size: number): Uint8Array {
  const G = new GraphWriter();
  const specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
  const conv = (x: Sym, wName: string, stride: number, pad: number, bias: string | null): Sym => {
    const [cout, , k] = oihwShape(specs.get(wName)!.shape);
    const y = G.op1('Conv', bias ? [x.name, wName, bias] : [x.name, wName], {
      kernel_shape: [k!, k!],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    });
    return { name: y, c: cout!, h: convOut(x.h, k!, stride, pad), w: convOut(x.w, k!, stride, pad) };
  };
  const ops: GraphOps<Sym> = {
    convBn(x, convName, bn, stride, pad, doRelu) {
      const c = conv(x, convName, stride, pad, null);
      const y = G.op1('BatchNormalization', [c.name, `${bn}.weight`, `${bn}.bias`, `${bn}.running_mean`, `${bn}.running_var`], {
        epsilon: { float: config.bnEps },
      });
      return { ...c, name: doRelu ? G.op1('Relu', [y]) : y };
    },
    head: (x) => conv(x, 'head.weight', 1, 1, 'head.bias'),
    upsample: (x) => ({
      name: G.op1('Resize', [x.name, '', G.constant([1, 1, 2, 2], 'float')], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      }),
      c: x.c,
      h: 2 * x.h,
      w: 2 * x.w,
    }),
    maxPool: (x) => ({
      name: G.op1('MaxPool', [x.name], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      c: x.c,
      h: convOut(x.h, 3, 2, 1),
      w: convOut(x.w, 3, 2, 1),
    }),
    addRelu: (a, b) => ({ ...a, name: G.op1('Relu', [G.op1('Add', [a.name, b.name])]) }),
    concat: (xs) => ({ name: G.op1('Concat', xs.map((x) => x.name), { axis: 1 }), c: xs.reduce((s, x) => s + x.c, 0), h: xs[0]!.h, w: xs[0]!.w }),
  };
  const logits = buildGraph(config, ops, { name: 'x', c: config.inChannels, h: size, w: size }, [size, size]);
  G.nodes.push({ op: 'Identity', name: G.fresh('out'), inputs: [logits.name], outputs: ['logits'] });
  const all = paramSpecs(config);
  return encodeModel({
    producer: 'apprentice',
    producerVersion: '0.1.0',
    opset: 17,
    name: 'unetpp_eval',
    nodes: G.nodes,
    initializers: G.inits,
    inputs: [
      { name: 'x', elemType: ONNX_FLOAT, shape: [batch, config.inChannels, size, size] },
      ...all.map((s): ValueInfo => ({ name: s.name, elemType: ONNX_FLOAT, shape: oihwShape(s.shape) })),
    ],
    outputs: [{ name: 'logits', elemType: ONNX_FLOAT, shape: [batch, config.classes, size, size] }],
  });
}
