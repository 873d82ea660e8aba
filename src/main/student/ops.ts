import { tf, type Tensor, type Tensor1D, type Tensor4D } from './tf';

/**
 * The few differentiable building blocks of the student, each with a hand-written gradient so the
 * heavy work lands on fast kernels on every backend (all NHWC, float32):
 *
 * - `conv2d`: forward is tf.conv2d (XNNPACK on wasm). The input gradient is itself a stride-1
 *   convolution of the (zero-dilated, for stride > 1) output gradient with the flipped filter, not
 *   the Conv2DBackpropInput kernel, which is a naive loop on wasm (~10× slower). The filter gradient
 *   is also a convolution (`conv2dFilterGrad`), the same routine the wasm backend gets as its
 *   missing Conv2DBackpropFilter kernel (backend.ts). On tfjs-node, TensorFlow's kernels are used.
 * - `batchNormTrain`: batch statistics (biased variance, as PyTorch normalises) with the closed-form
 *   gradient; the statistics are handed out for the running-average update.
 * - `upsample2x`: nearest-neighbour ×2 whose gradient is a sum over each 2×2 block — correct for any
 *   batch size (the cpu backend's ResizeNearestNeighborGrad is not for batch > 1).
 */

export interface Pad2D {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function symmetricPad(p: number): Pad2D {
  return { top: p, bottom: p, left: p, right: p };
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

function explicit(p: Pad2D): Explicit {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** Output size of a convolution/pooling along one axis (floor, as PyTorch). */
export function convOutSize(size: number, k: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((size + padBefore + padAfter - k) / stride) + 1;
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: Tensor4D, p: Pad2D): Tensor4D {
  const pos: Pad2D = { top: Math.max(0, p.top), bottom: Math.max(0, p.bottom), left: Math.max(0, p.left), right: Math.max(0, p.right) };
  let y = pos.top || pos.bottom || pos.left || pos.right ? tf.pad(x, explicit(pos)) : x;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) {
    const [b, h, w, c] = y.shape;
    const t = Math.max(0, -p.top);
    const l = Math.max(0, -p.left);
    y = tf.slice(y, [0, t, l, 0], [b, h - t - Math.max(0, -p.bottom), w - l - Math.max(0, -p.right), c]);
  }
  return y;
}

/**
 * dL/dW of y = conv2d(x, W) for a filter [kh, kw, cin, cout], computed as one more convolution (the
 * fast XNNPACK path on wasm) with batch and channels swapped: the padded input seen as
 * [cin, H, W, batch] is convolved with dy seen as a [ho, wo, batch, cout] filter dilated by the
 * stride, which gives [cin, kh, kw, cout]. Dilation 1 only. (On wasm this is 1.3–8× faster than one
 * matMul per filter tap, the slow case being few output channels over many pixels.)
 */
export function conv2dFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  kh: number,
  kw: number,
  strideH: number,
  strideW: number,
  pad: Pad2D,
): Tensor4D {
  return tf.tidy(() => {
    const [b, , , cin] = x.shape;
    const [, ho, wo] = dy.shape;
    let xp = padOrCrop(x, pad);
    const needH = kh + strideH * (ho - 1);
    const needW = kw + strideW * (wo - 1);
    if (xp.shape[1] > needH || xp.shape[2] > needW) xp = tf.slice(xp, [0, 0, 0, 0], [b, needH, needW, cin]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D; // [cin, needH, needW, batch]
    const ft = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; // [ho, wo, batch, cout]
    const out = tf.conv2d(xt, ft, 1, 'valid', 'NHWC', [strideH, strideW]); // [cin, kh, kw, cout]
    return tf.transpose(out, [1, 2, 0, 3]) as Tensor4D;
  });
}

/** W[kh, kw, cin, cout] → W rotated 180° and transposed, [kh, kw, cout, cin], in one JS pass. */
export function flipFilter(w: Tensor4D): Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const src = w.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) {
      const s0 = (y * kw + x) * cin * cout;
      const d0 = ((kh - 1 - y) * kw + (kw - 1 - x)) * cout * cin;
      for (let i = 0; i < cin; i++) {
        const s = s0 + i * cout;
        for (let o = 0; o < cout; o++) out[d0 + o * cin + i] = src[s + o]!;
      }
    }
  return tf.tensor4d(out, [kh, kw, cout, cin]);
}

/** dL/dx of y = conv2d(x, W): a stride-1 convolution of the zero-dilated dy with the flipped filter. */
export function conv2dInputGrad(
  dy: Tensor4D,
  w: Tensor4D,
  inShape: readonly number[],
  strideH: number,
  strideW: number,
  pad: Pad2D,
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = w.shape;
    const [b, ho, wo, cout] = dy.shape;
    const h = inShape[1]!;
    const wd = inShape[2]!;
    let d: Tensor4D = dy;
    if (strideH > 1 || strideW > 1) {
      const six = tf.reshape(dy, [b, ho, 1, wo, 1, cout]);
      const dilated = tf.pad(six, [
        [0, 0],
        [0, 0],
        [0, strideH - 1],
        [0, 0],
        [0, strideW - 1],
        [0, 0],
      ]);
      d = tf.reshape(dilated, [b, ho * strideH, wo * strideW, cout]) as Tensor4D;
    }
    const top = kh - 1 - pad.top;
    const left = kw - 1 - pad.left;
    const bottom = h + kh - 1 - top - d.shape[1];
    const right = wd + kw - 1 - left - d.shape[2];
    const flipped = flipFilter(w); // [kh, kw, cout, cin]
    const needsCrop = top < 0 || bottom < 0 || left < 0 || right < 0;
    if (needsCrop) {
      return tf.conv2d(padOrCrop(d, { top, bottom, left, right }), flipped, 1, 'valid');
    }
    return tf.conv2d(d, flipped, 1, explicit({ top, bottom, left, right }));
  });
}

type ConvFn = (x: Tensor4D, w: Tensor4D) => Tensor4D;
const convCache = new Map<string, ConvFn>();

/**
 * 2-D convolution, NHWC, filter [kh, kw, cin, cout], explicit symmetric padding (PyTorch's
 * `padding=p`), with the gradient described above. `inputGrad: false` skips dL/dx (the stem conv
 * on the image, whose gradient nobody needs).
 */
export function conv2d(x: Tensor4D, w: Tensor4D, stride: number, pad: number, inputGrad = true): Tensor4D {
  // TensorFlow's own kernels (tfjs-node) have fast, correct gradients: use them as they are.
  if (tf.getBackend() === 'tensorflow') return tf.conv2d(x, w, stride, explicit(symmetricPad(pad)));
  const key = `${stride}/${pad}/${inputGrad ? 1 : 0}`;
  let fn = convCache.get(key);
  if (!fn) {
    const p = symmetricPad(pad);
    fn = tf.customGrad((xi, wi, save) => {
      const xx = xi as Tensor4D;
      const ww = wi as Tensor4D;
      (save as (ts: Tensor[]) => void)([xx, ww]);
      const value = tf.conv2d(xx, ww, stride, explicit(p));
      return {
        value,
        gradFunc: (dy, saved) => {
          const [sx, sw] = saved as [Tensor4D, Tensor4D];
          const dW = conv2dFilterGrad(sx, dy as Tensor4D, sw.shape[0], sw.shape[1], stride, stride, p);
          const dX = inputGrad ? conv2dInputGrad(dy as Tensor4D, sw, sx.shape, stride, stride, p) : tf.zerosLike(sx);
          return [dX, dW];
        },
      };
    }) as unknown as ConvFn;
    convCache.set(key, fn);
  }
  return fn(x, w);
}

/** Inference-only convolution with bias and optional ReLU fused (one kernel on wasm/tensorflow). */
export function conv2dBiasAct(x: Tensor4D, w: Tensor4D, bias: Tensor1D | undefined, stride: number, pad: number, relu: boolean): Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: w,
    strides: stride,
    pad: explicit(symmetricPad(pad)),
    bias,
    activation: relu ? 'relu' : 'linear',
  });
}

export interface BatchStats {
  mean: Tensor1D;
  variance: Tensor1D; // biased (÷ N), as used to normalise
  count: number; // N = batch · height · width
}

type BnFn = (x: Tensor4D, gamma: Tensor1D, beta: Tensor1D) => Tensor4D;
const bnCache = new Map<number, BnFn>();
let bnStatsSink: ((s: BatchStats) => void) | null = null;

/**
 * Training-mode batch normalisation over N·H·W per channel. `onStats` receives the batch mean and
 * biased variance (kept tensors: the caller disposes them) for the running-average update.
 */
export function batchNormTrain(x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, eps: number, onStats?: (s: BatchStats) => void): Tensor4D {
  let fn = bnCache.get(eps);
  if (!fn) {
    fn = tf.customGrad((xi, gi, bi, save) => {
      const xx = xi as Tensor4D;
      const g = gi as Tensor1D;
      const be = bi as Tensor1D;
      const c = xx.shape[3];
      const n = xx.size / c;
      const x2 = tf.reshape(xx, [n, c]);
      const mean = tf.mean(x2, 0) as Tensor1D;
      const variance = tf.mean(tf.squaredDifference(x2, mean), 0) as Tensor1D;
      const inv = tf.rsqrt(tf.add(variance, eps)) as Tensor1D;
      const xhat = tf.mul(tf.sub(x2, mean), inv);
      const value = tf.reshape(tf.add(tf.mul(xhat, g), be), xx.shape) as Tensor4D;
      (save as (ts: Tensor[]) => void)([xhat, g, inv]);
      if (bnStatsSink) bnStatsSink({ mean: tf.keep(mean), variance: tf.keep(variance), count: n });
      return {
        value,
        gradFunc: (dy, saved) => {
          const [sxhat, sg, sinv] = saved as [Tensor, Tensor1D, Tensor1D];
          return tf.tidy(() => {
            const dy2 = tf.reshape(dy, [n, c]);
            const dbeta = tf.sum(dy2, 0);
            const dgamma = tf.sum(tf.mul(dy2, sxhat), 0);
            // dx = γ·inv/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
            const k = tf.div(tf.mul(sg, sinv), n);
            const inner = tf.sub(tf.sub(tf.mul(dy2, n), dbeta), tf.mul(sxhat, dgamma));
            const dx = tf.reshape(tf.mul(inner, k), dy.shape);
            return [dx, dgamma, dbeta];
          });
        },
      };
    }) as unknown as BnFn;
    bnCache.set(eps, fn);
  }
  const prev = bnStatsSink;
  bnStatsSink = onStats ?? null;
  try {
    return fn(x, gamma, beta);
  } finally {
    bnStatsSink = prev;
  }
}

type UpFn = (x: Tensor4D) => Tensor4D;
let upFn: UpFn | null = null;

/** Nearest-neighbour ×2 upsampling (PyTorch `interpolate(scale_factor=2, mode='nearest')`). */
export function upsample2x(x: Tensor4D): Tensor4D {
  if (!upFn) {
    upFn = tf.customGrad((xi) => {
      const xx = xi as Tensor4D;
      const [b, h, w, c] = xx.shape;
      const value = tf.image.resizeNearestNeighbor(xx, [2 * h, 2 * w], false, false);
      return {
        value,
        gradFunc: (dy) =>
          tf.tidy(() => {
            // rows: [B·H, 2, 2W·C] → sum the pair; columns: [B·H·W, 2, C] → sum the pair
            const r = tf.reshape(dy, [b * h, 2, 2 * w * c]);
            const rows = tf.add(tf.slice(r, [0, 0, 0], [b * h, 1, 2 * w * c]), tf.slice(r, [0, 1, 0], [b * h, 1, 2 * w * c]));
            const q = tf.reshape(rows, [b * h * w, 2, c]);
            const cols = tf.add(tf.slice(q, [0, 0, 0], [b * h * w, 1, c]), tf.slice(q, [0, 1, 0], [b * h * w, 1, c]));
            return tf.reshape(cols, [b, h, w, c]);
          }),
      };
    }) as unknown as UpFn;
  }
  return upFn(x);
}

/** 3×3 / stride 2 / padding 1 max pooling (the ResNet stem), output size floor((H+2−3)/2)+1. */
export function maxPool3s2(x: Tensor4D): Tensor4D {
  return tf.maxPool(x, 3, 2, 1, 'floor');
}
