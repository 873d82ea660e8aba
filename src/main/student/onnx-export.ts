import { encodeModel, ONNX_FLOAT, type Initializer, type NodeSpec } from '../onnx/proto-writer';
import { bnOf, buildGraph, countParams, paramSpecs, type GraphOps, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * The student as an ONNX model (opset 17), built by running the same graph builder as tfjs with
 * symbolic tensors (unetpp.ts `buildGraph`), so topology cannot drift between the two.
 *   input  "input"  float32 [batch, 3, size, size]  NCHW, ImageNet-normalised RGB
 *   output "probs"  float32 [batch, 1, size, size]  sigmoid probabilities
 * Ops: Conv (each BatchNormalization folded into its conv's weights and bias, eval mode), Relu,
 * MaxPool, Add, Concat, Resize (nearest ×2, asymmetric/floor = PyTorch's nearest), Sigmoid.
 * Filters are transposed from tfjs HWIO to ONNX OIHW.
 */

interface Sym {
  name: string;
  channels: number;
}

export interface ExportOptions {
  /** Spatial size written into the input shape (height = width); any multiple of 32 runs. */
  size?: number;
  /** Dynamic batch dimension ("batch"); otherwise fixed at 1. */
  dynamicBatch?: boolean;
  producerVersion?: string;
}

export function exportOnnx(config: UnetConfig, weights: WeightArrays, opts: ExportOptions = {}): Uint8Array {
  const size = opts.size ?? 224;
  const nodes: NodeSpec[] = [];
  const inits: Initializer[] = [];
  const specs = new Map(paramSpecs(config).map((s) => [s.name, s]));
  let counter = 0;
  const fresh = (hint: string) => `${hint}_${counter++}`;

  const convInit = (convName: string, withBn: boolean): { w: string; b: string; cout: number; k: number } => {
    const s = specs.get(convName)!;
    const [kh, kw, cin, cout] = s.shape as [number, number, number, number];
    const w = weights.get(convName)!;
    const scale = new Float32Array(cout).fill(1);
    const bias = new Float32Array(cout);
    if (withBn) {
      const bn = bnOf(convName);
      const gamma = weights.get(`${bn}.weight`)!;
      const beta = weights.get(`${bn}.bias`)!;
      const mean = weights.get(`${bn}.running_mean`)!;
      const variance = weights.get(`${bn}.running_var`)!;
      for (let c = 0; c < cout; c++) {
        scale[c] = gamma[c]! / Math.sqrt(variance[c]! + config.bnEps);
        bias[c] = beta[c]! - mean[c]! * scale[c]!;
      }
    } else {
      const b = weights.get(convName.replace(/\.weight$/, '.bias'));
      if (b) bias.set(b);
    }
    // HWIO → OIHW, BN scale folded in — the same arithmetic as FoldedUnet
    const oihw = new Float32Array(w.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) {
            const src = ((y * kw + x) * cin + i) * cout + o;
            oihw[((o * cin + i) * kh + y) * kw + x] = w[src]! * scale[o]!;
          }
    const base = convName.replace(/\.weight$/, '');
    inits.push({ name: `${base}.weight`, dims: [cout, cin, kh, kw], elemType: ONNX_FLOAT, values: oihw });
    inits.push({ name: `${base}.bias`, dims: [cout], elemType: ONNX_FLOAT, values: bias });
    return { w: `${base}.weight`, b: `${base}.bias`, cout, k: kh };
  };

  const conv = (x: Sym, convName: string, stride: number, pad: number, withBn: boolean, relu: boolean): Sym => {
    const c = convInit(convName, withBn);
    const out = fresh(convName.replace(/\.weight$/, '').replace(/\./g, '_'));
    nodes.push({
      op: 'Conv',
      name: `${out}_conv`,
      inputs: [x.name, c.w, c.b],
      outputs: [relu ? `${out}_pre` : out],
      attrs: {
        kernel_shape: [c.k, c.k],
        strides: [stride, stride],
        pads: [pad, pad, pad, pad],
        dilations: [1, 1],
        group: 1,
      },
    });
    if (relu) nodes.push({ op: 'Relu', name: `${out}_relu`, inputs: [`${out}_pre`], outputs: [out] });
    return { name: out, channels: c.cout };
  };

  inits.push({ name: 'upsample_scales', dims: [4], elemType: ONNX_FLOAT, values: [1, 1, 2, 2] });

  const ops: GraphOps<Sym> = {
    convBn: (x, convName, _bn, stride, pad, relu) => conv(x, convName, stride, pad, true, relu),
    head: (x) => conv(x, 'head.weight', 1, 1, false, false),
    upsample: (x) => {
      const out = fresh('up');
      nodes.push({
        op: 'Resize',
        name: out,
        inputs: [x.name, '', 'upsample_scales'],
        outputs: [out],
        attrs: {
          mode: 'nearest',
          coordinate_transformation_mode: 'asymmetric',
          nearest_mode: 'floor',
        },
      });
      return { name: out, channels: x.channels };
    },
    maxPool: (x) => {
      const out = fresh('maxpool');
      nodes.push({
        op: 'MaxPool',
        name: out,
        inputs: [x.name],
        outputs: [out],
        attrs: {
          kernel_shape: [3, 3],
          strides: [2, 2],
          pads: [1, 1, 1, 1],
        },
      });
      return { name: out, channels: x.channels };
    },
    addRelu: (a, b) => {
      const out = fresh('res');
      nodes.push({ op: 'Add', name: `${out}_add`, inputs: [a.name, b.name], outputs: [`${out}_sum`] });
      nodes.push({ op: 'Relu', name: `${out}_relu`, inputs: [`${out}_sum`], outputs: [out] });
      return { name: out, channels: a.channels };
    },
    concat: (xs) => {
      const out = fresh('cat');
      nodes.push({ op: 'Concat', name: out, inputs: xs.map((x) => x.name), outputs: [out], attrs: { axis: 1 } });
      return { name: out, channels: xs.reduce((s, x) => s + x.channels, 0) };
    },
  };

  const logits = buildGraph(config, ops, { name: 'input', channels: config.inChannels }, [size, size]);
  nodes.push({ op: 'Sigmoid', name: 'sigmoid', inputs: [logits.name], outputs: ['probs'] });

  const batch: number | string = opts.dynamicBatch === false ? 1 : 'batch';
  return encodeModel({
    producer: 'apprentice',
    producerVersion: opts.producerVersion ?? '0.1.0',
    opset: 17,
    name: 'unetpp_resnet',
    docString: `U-Net++ / ResNet student (${countParams(config).trainable} parameters), BN folded; input NCHW ImageNet-normalised RGB, output sigmoid probabilities`,
    nodes,
    initializers: inits,
    inputs: [{ name: 'input', elemType: ONNX_FLOAT, shape: [batch, config.inChannels, size, size] }],
    outputs: [{ name: 'probs', elemType: ONNX_FLOAT, shape: [batch, config.classes, size, size] }],
  });
}
