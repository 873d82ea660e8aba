import { encodeModel, ONNX_FLOAT, type ValueInfo } from '../onnx/proto-writer';
import { GraphWriter, oihwShape, tapeGraph, type BuiltGraph } from './ort-graph';
import { buildEncoder, paramSpecs, type UnetConfig } from './unetpp';

/**
 * SimCLR's training step (Chen et al. 2020) for the student's encoder as one ONNX graph, built like
 * the supervised step (ort-graph.ts): the same taped encoder ops, then
 *
 *   h = global average pool of the deepest encoder feature            [2N, C]
 *   z = W₂ᵀ·relu(W₁ᵀ·h + b₁) + b₂   (the projection head g, 2-layer MLP)  [2N, D]
 *   u = z / √(‖z‖² + 1e-12),  S = u·uᵀ / τ,  S_ii = −1e9 (a view is not its own negative)
 *   loss = NT-Xent = −1/2N · Σ_i log softmax(S_i)[pos(i)],  pos(i) = (i + N) mod 2N
 *
 * The batch holds view 1 of the N images in rows 0…N−1 and view 2 in rows N…2N−1.
 * Gradients (closed form, then the encoder's tape):
 *   dS = (softmax(S) − onehot(pos)) / (2N·τ),   du = (dS + dSᵀ)·u
 *   dz = (du − u·⟨u, du⟩) / √(‖z‖² + 1e-12)
 *   head: dW₂ = rᵀ·dz, db₂ = Σdz, dr = dz·W₂ᵀ, da = dr where r > 0, dW₁ = hᵀ·da, db₁ = Σda, dh = da·W₁ᵀ
 *   pool: each pixel of the feature gets dh / (h·w)
 *
 * Inputs: "x" [2N, 3, size, size] (NCHW, ImageNet-normalised), the encoder's trainable weights
 * (ONNX layout) and the head's ("proj.0.weight" [C, H], "proj.0.bias", "proj.2.weight" [H, D],
 * "proj.2.bias": PyTorch's nn.Sequential(Linear, ReLU, Linear) names, stored input-major).
 * Outputs: "loss", "grad/<weight>" and the encoder BN layers' "stat/<bn>/mean|var".
 */

export interface ProjectionHead {
  /** Hidden width of the MLP (the paper: the representation's width). */
  hidden: number;
  /** Output dimension (the paper: 128). */
  out: number;
}

export interface SimclrGraphSpec {
  config: UnetConfig;
  /** Images per step: the graph's batch is both views, 2·images. */
  images: number;
  size: number;
  temperature: number;
  head: ProjectionHead;
}

/** The projection head's tensors with their shapes (input-major matrices). */
export function headSpecs(config: UnetConfig, head: ProjectionHead): { name: string; shape: number[] }[] {
  const c = config.encoderChannels[4];
  return [
    { name: 'proj.0.weight', shape: [c, head.hidden] },
    { name: 'proj.0.bias', shape: [head.hidden] },
    { name: 'proj.2.weight', shape: [head.hidden, head.out] },
    { name: 'proj.2.bias', shape: [head.out] },
  ];
}

/** The encoder's trainable weights: what pre-training updates in the U-Net (the decoder keeps its initialisation). */
export function encoderTrainable(config: UnetConfig): string[] {
  return paramSpecs(config)
    .filter((s) => s.trainable && s.name.startsWith('encoder.'))
    .map((s) => s.name);
}

export function buildSimclrGraph(spec: SimclrGraphSpec): BuiltGraph {
  const { config, images: N, size, temperature: tau, head } = spec;
  if (N < 2) throw new Error('SimCLR needs at least 2 images per step (the other images are the negatives)');
  const M = 2 * N;
  const G = new GraphWriter();
  const { ops, acc, backprop, bnLayers, stepOutputs } = tapeGraph(G, config, M);
  const feat = buildEncoder(config, ops, { name: 'x', c: config.inChannels, h: size, w: size }, [size, size]).at(-1)!;

  // ---- forward: pool, projection head, NT-Xent
  const h = G.op1('ReduceMean', [feat.name], { axes: [2, 3], keepdims: 0 }, 'gap'); // [M, C]
  const a = G.op1('Add', [G.op1('MatMul', [h, 'proj.0.weight']), 'proj.0.bias'], {}, 'proj_a');
  const r = G.op1('Relu', [a], {}, 'proj_r');
  const z = G.op1('Add', [G.op1('MatMul', [r, 'proj.2.weight']), 'proj.2.bias'], {}, 'proj_z');
  const axis1 = G.ints([1]);
  const norm = G.op1('Sqrt', [G.op1('Add', [G.op1('ReduceSum', [G.op1('Mul', [z, z]), axis1], { keepdims: 1 }), G.scalar(1e-12)])], {}, 'znorm'); // [M, 1]
  const u = G.op1('Div', [z, norm], {}, 'u');
  const diagMask = new Array<number>(M * M).fill(0);
  const positives = new Array<number>(M * M).fill(0);
  for (let i = 0; i < M; i++) {
    diagMask[i * M + i] = -1e9;
    positives[i * M + ((i + N) % M)] = 1;
  }
  const T = G.constant(positives, 'float', [M, M]);
  const S = G.op1('Add', [G.op1('Mul', [G.matMulBT(u, u, 'sim'), G.scalar(1 / tau)]), G.constant(diagMask, 'float', [M, M])], {}, 'S');
  const logp = G.op1('LogSoftmax', [S], { axis: 1 }, 'logp');
  G.nodes.push({
    op: 'Mul',
    name: G.fresh('loss'),
    inputs: [G.op1('ReduceSum', [G.op1('Mul', [logp, T]), G.ints([0, 1])], { keepdims: 0 }), G.scalar(-1 / M)],
    outputs: ['loss'],
  });

  // ---- backward of the loss and the head (closed form)
  const dS = G.op1('Mul', [G.op1('Sub', [G.op1('Exp', [logp]), T]), G.scalar(1 / (M * tau))], {}, 'dS');
  const du = G.op1('MatMul', [G.op1('Add', [dS, G.op1('Transpose', [dS], { perm: [1, 0] })]), u], {}, 'du');
  const dz = G.op1('Div', [G.op1('Sub', [du, G.op1('Mul', [u, G.op1('ReduceSum', [G.op1('Mul', [u, du]), axis1], { keepdims: 1 })])]), norm], {}, 'dz');
  const axis0 = G.ints([0]);
  acc('proj.2.bias', G.op1('ReduceSum', [dz, axis0], { keepdims: 0 }, 'db2'));
  acc('proj.2.weight', G.op1('MatMul', [G.op1('Transpose', [r], { perm: [1, 0] }), dz], {}, 'dW2'));
  const da = G.op1('Where', [G.op1('Greater', [r, G.scalar(0)]), G.matMulBT(dz, 'proj.2.weight', 'dr'), G.scalar(0)], {}, 'da');
  acc('proj.0.bias', G.op1('ReduceSum', [da, axis0], { keepdims: 0 }, 'db1'));
  acc('proj.0.weight', G.op1('MatMul', [G.op1('Transpose', [h], { perm: [1, 0] }), da], {}, 'dW1'));
  const dh = G.matMulBT(da, 'proj.0.weight', 'dh'); // [M, C]
  const spread = G.op1('Expand', [G.op1('Reshape', [dh, G.ints([M, feat.c, 1, 1])]), G.ints([M, feat.c, feat.h, feat.w])], {}, 'dgap');
  acc(feat.name, G.op1('Mul', [spread, G.scalar(1 / (feat.h * feat.w))]));
  backprop();

  // ---- outputs
  const heads = headSpecs(config, head);
  const weightInputs = [...encoderTrainable(config), ...heads.map((s) => s.name)];
  const outputs = stepOutputs(weightInputs);
  const unet = new Map(paramSpecs(config).map((s) => [s.name, s.shape]));
  const headShapes = new Map(heads.map((s) => [s.name, s.shape]));
  const shapeOf = (name: string): number[] => headShapes.get(name) ?? oihwShape(unet.get(name)!);
  const outputShape = (name: string): number[] => {
    if (name === 'loss') return [];
    if (name.startsWith('grad/')) return shapeOf(name.slice(5));
    return unet.get(`${name.slice(5, name.lastIndexOf('/'))}.weight`)!; // stat/<bn>/mean|var: that BN's channels
  };
  const bytes = encodeModel({
    producer: 'apprentice',
    producerVersion: '0.1.0',
    opset: 17,
    name: 'simclr_train_step',
    nodes: G.nodes,
    initializers: G.inits,
    inputs: [
      { name: 'x', elemType: ONNX_FLOAT, shape: [M, config.inChannels, size, size] },
      ...weightInputs.map((n): ValueInfo => ({ name: n, elemType: ONNX_FLOAT, shape: shapeOf(n) })),
    ],
    outputs: outputs.map((n): ValueInfo => ({ name: n, elemType: ONNX_FLOAT, shape: outputShape(n) })),
  });
  return { bytes, weightInputs, bnLayers };
}
