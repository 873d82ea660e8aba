import type { Rgb } from '../raster';

/**
 * PIL-exact antialiased resizing of 8-bit RGB (the filters SAM-family preprocessing needs:
 * 'bilinear' is SAM's `ResizeLongestSide.apply_image`, 'bicubic' the closest to MedSAM's order-3
 * resize). Every byte equals PIL's: the teacher's cached embeddings depend on it, so the unrolled
 * loops below must stay bit-identical to the plain loop over `axisWeights`.
 *
 * The passes (`axisTaps`, `horizontalPass`, `clampByte`) are exported for a caller that fuses the
 * vertical pass with its own output layout: SAM's normalised planes in teacher/preprocess.ts.
 */

type Kernel = { support: number; weight: (x: number) => number };

export const TRIANGLE: Kernel = { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) };
// Keys' cubic with a = -0.5, like PIL's BICUBIC.
const CUBIC: Kernel = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    x = Math.abs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** Per-output-pixel source ranges and normalised weights for one axis (PIL's resampling scheme). */
function axisWeights(inSize: number, outSize: number, kernel: Kernel): { start: Int32Array; count: Int32Array; weights: Float32Array; span: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale); // widen the kernel when shrinking: antialiasing
  const support = kernel.support * filterScale;
  const span = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    const n = Math.min(span, hi - lo);
    for (let j = 0; j < n; j++) {
      const w = kernel.weight((lo + j + 0.5 - centre) / filterScale);
      weights[i * span + j] = w;
      total += w;
    }
    for (let j = 0; j < n; j++) weights[i * span + j]! /= total || 1;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, span };
}

/**
 * One axis's taps, padded to a fixed width: for output i, tap j reads source index
 * `index[i·span + j]` with weight `weight[i·span + j]`. Taps of weight exactly 0 are left out (a
 * bilinear upscale has 3 taps of which one is always 0, so it runs on 2), the others keep their
 * order, and outputs with fewer taps get weight-0 taps at the end that re-read their first index.
 * Adding a ±0 product changes no sum (at most the sign of a zero, which rounds to byte 0 either
 * way), so every byte is exactly what the plain loop over `axisWeights` gives; the inner loops get
 * a fixed trip count and are unrolled for the usual widths.
 */
export interface Taps {
  span: number;
  index: Int32Array;
  weight: Float64Array;
}

export function axisTaps(inSize: number, outSize: number, kernel: Kernel): Taps {
  const a = axisWeights(inSize, outSize, kernel);
  let span = 1;
  for (let i = 0; i < outSize; i++) {
    let used = 0;
    for (let j = 0; j < a.count[i]!; j++) if (a.weights[i * a.span + j] !== 0) used++;
    span = Math.max(span, used);
  }
  const index = new Int32Array(outSize * span);
  const weight = new Float64Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const s = a.start[i]!, n = a.count[i]!;
    let k = i * span;
    for (let j = 0; j < n; j++) {
      const w = a.weights[i * a.span + j]!;
      if (w === 0) continue;
      index[k] = s + j;
      weight[k++] = w;
    }
    for (; k < (i + 1) * span; k++) index[k] = s; // weight 0
  }
  return { span, index, weight };
}

/**
 * `v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)`, as an int32 and about 3× faster in the resize
 * loops (no Math.round, no double left to convert at the byte store). Exact for every double:
 * below 0.5 both give 0 and from 254.5 both give 255; in between v + 0.5 is computed without a
 * rounding that could change its floor (v ≥ 0.5, so 0.5 is a multiple of v's ulp, and a sum that
 * reaches the next binade lands on or just above a power of two ≥ 1), so truncation is
 * Math.round's floor(v + 0.5). NaN gives 0 either way once stored in a byte array.
 */
export const clampByte = (v: number) => (v < 0.5 ? 0 : v >= 254.5 ? 255 : (v + 0.5) | 0);

/**
 * The horizontal pass's output, kept between resizes (a few MB; resizing is synchronous, so one
 * buffer serves every call) — fresh buffers of this size each time mostly feed the garbage collector.
 */
let passBuffer = new Uint8Array(0);

/**
 * Horizontal pass: every source row resampled to `width` pixels, rounded to 8 bits (PIL's first
 * pass). `tap.index` holds pixel indices; the result (a view of `passBuffer`, valid until the next
 * pass) is `width × srcHeight × 3` bytes.
 */
export function horizontalPass(src: Uint8Array, srcWidth: number, srcHeight: number, width: number, tap: Taps): Uint8Array {
  const size = width * srcHeight * 3;
  if (passBuffer.length < size) passBuffer = new Uint8Array(size);
  const out = passBuffer.subarray(0, size); // every byte is written below
  const { span, index, weight } = tap;
  // Byte offsets of the taps within a row.
  const off = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) off[i] = index[i]! * 3;
  if (span === 3) horizontal3(src, srcWidth * 3, srcHeight, out, width, off, weight);
  else if (span === 4) horizontal4(src, srcWidth * 3, srcHeight, out, width, off, weight);
  else if (span === 5) horizontal5(src, srcWidth * 3, srcHeight, out, width, off, weight);
  else if (span === 6) horizontal6(src, srcWidth * 3, srcHeight, out, width, off, weight);
  else if (span === 2) horizontal2(src, srcWidth * 3, srcHeight, out, width, off, weight);
  else horizontalN(src, srcWidth * 3, srcHeight, out, width, off, weight, span);
  return out;
}

function horizontal4(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 4) {
      const k0 = row + off[q]!, k1 = row + off[q + 1]!, k2 = row + off[q + 2]!, k3 = row + off[q + 3]!;
      const w0 = w[q]!, w1 = w[q + 1]!, w2 = w[q + 2]!, w3 = w[q + 3]!;
      out[t] = clampByte(src[k0]! * w0 + src[k1]! * w1 + src[k2]! * w2 + src[k3]! * w3);
      out[t + 1] = clampByte(src[k0 + 1]! * w0 + src[k1 + 1]! * w1 + src[k2 + 1]! * w2 + src[k3 + 1]! * w3);
      out[t + 2] = clampByte(src[k0 + 2]! * w0 + src[k1 + 2]! * w1 + src[k2 + 2]! * w2 + src[k3 + 2]! * w3);
      t += 3;
    }
  }
}

function horizontal3(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 3) {
      const k0 = row + off[q]!, k1 = row + off[q + 1]!, k2 = row + off[q + 2]!;
      const w0 = w[q]!, w1 = w[q + 1]!, w2 = w[q + 2]!;
      out[t] = clampByte(src[k0]! * w0 + src[k1]! * w1 + src[k2]! * w2);
      out[t + 1] = clampByte(src[k0 + 1]! * w0 + src[k1 + 1]! * w1 + src[k2 + 1]! * w2);
      out[t + 2] = clampByte(src[k0 + 2]! * w0 + src[k1 + 2]! * w1 + src[k2 + 2]! * w2);
      t += 3;
    }
  }
}

function horizontal2(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 2) {
      const k0 = row + off[q]!, k1 = row + off[q + 1]!;
      const w0 = w[q]!, w1 = w[q + 1]!;
      out[t] = clampByte(src[k0]! * w0 + src[k1]! * w1);
      out[t + 1] = clampByte(src[k0 + 1]! * w0 + src[k1 + 1]! * w1);
      out[t + 2] = clampByte(src[k0 + 2]! * w0 + src[k1 + 2]! * w1);
      t += 3;
    }
  }
}

function horizontal5(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 5) {
      const k0 = row + off[q]!, k1 = row + off[q + 1]!, k2 = row + off[q + 2]!, k3 = row + off[q + 3]!, k4 = row + off[q + 4]!;
      const w0 = w[q]!, w1 = w[q + 1]!, w2 = w[q + 2]!, w3 = w[q + 3]!, w4 = w[q + 4]!;
      out[t] = clampByte(src[k0]! * w0 + src[k1]! * w1 + src[k2]! * w2 + src[k3]! * w3 + src[k4]! * w4);
      out[t + 1] = clampByte(src[k0 + 1]! * w0 + src[k1 + 1]! * w1 + src[k2 + 1]! * w2 + src[k3 + 1]! * w3 + src[k4 + 1]! * w4);
      out[t + 2] = clampByte(src[k0 + 2]! * w0 + src[k1 + 2]! * w1 + src[k2 + 2]! * w2 + src[k3 + 2]! * w3 + src[k4 + 2]! * w4);
      t += 3;
    }
  }
}

function horizontal6(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 6) {
      const k0 = row + off[q]!, k1 = row + off[q + 1]!, k2 = row + off[q + 2]!, k3 = row + off[q + 3]!, k4 = row + off[q + 4]!, k5 = row + off[q + 5]!;
      const w0 = w[q]!, w1 = w[q + 1]!, w2 = w[q + 2]!, w3 = w[q + 3]!, w4 = w[q + 4]!, w5 = w[q + 5]!;
      out[t] = clampByte(src[k0]! * w0 + src[k1]! * w1 + src[k2]! * w2 + src[k3]! * w3 + src[k4]! * w4 + src[k5]! * w5);
      out[t + 1] = clampByte(src[k0 + 1]! * w0 + src[k1 + 1]! * w1 + src[k2 + 1]! * w2 + src[k3 + 1]! * w3 + src[k4 + 1]! * w4 + src[k5 + 1]! * w5);
      out[t + 2] = clampByte(src[k0 + 2]! * w0 + src[k1 + 2]! * w1 + src[k2 + 2]! * w2 + src[k3 + 2]! * w3 + src[k4 + 2]! * w4 + src[k5 + 2]! * w5);
      t += 3;
    }
  }
}

function horizontalN(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, w: Float64Array, span: number): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += span) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < span; j++) {
        const k = row + off[q + j]!;
        const wj = w[q + j]!;
        r += src[k]! * wj;
        g += src[k + 1]! * wj;
        b += src[k + 2]! * wj;
      }
      out[t] = clampByte(r);
      out[t + 1] = clampByte(g);
      out[t + 2] = clampByte(b);
      t += 3;
    }
  }
}

/**
 * Vertical pass for output row `y` of `rowLen` bytes (width × 3) from the horizontal pass's rows,
 * rounded to 8 bits (PIL's second pass) into `row`.
 */
function verticalRow(tmp: Uint8Array, rowLen: number, tap: Taps, y: number, row: Uint8Array, acc: Float64Array): void {
  const { span, index, weight } = tap;
  const q = y * span;
  if (span === 1) {
    const a = index[q]! * rowLen, w = weight[q]!;
    for (let i = 0; i < rowLen; i++) row[i] = clampByte(tmp[a + i]! * w);
  } else if (span === 2) vertical2(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, weight[q]!, weight[q + 1]!, rowLen, row);
  else if (span === 3) vertical3(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, index[q + 2]! * rowLen, weight[q]!, weight[q + 1]!, weight[q + 2]!, rowLen, row);
  else if (span === 4) {
    const a = index[q]! * rowLen, b = index[q + 1]! * rowLen, c = index[q + 2]! * rowLen, d = index[q + 3]! * rowLen;
    vertical4(tmp, a, b, c, d, weight[q]!, weight[q + 1]!, weight[q + 2]!, weight[q + 3]!, rowLen, row);
  } else {
    // Wider: the sums are built in a row of doubles, two taps per pass, still adding in tap order.
    let j = 2;
    start2(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, weight[q]!, weight[q + 1]!, rowLen, acc);
    for (; j + 1 < span; j += 2) add2(tmp, index[q + j]! * rowLen, index[q + j + 1]! * rowLen, weight[q + j]!, weight[q + j + 1]!, rowLen, acc);
    if (j < span) add1(tmp, index[q + j]! * rowLen, weight[q + j]!, rowLen, acc);
    for (let i = 0; i < rowLen; i++) row[i] = clampByte(acc[i]!);
  }
}

function vertical2(tmp: Uint8Array, a: number, b: number, w0: number, w1: number, n: number, row: Uint8Array): void {
  for (let i = 0; i < n; i++) row[i] = clampByte(tmp[a + i]! * w0 + tmp[b + i]! * w1);
}

function vertical3(tmp: Uint8Array, a: number, b: number, c: number, w0: number, w1: number, w2: number, n: number, row: Uint8Array): void {
  for (let i = 0; i < n; i++) row[i] = clampByte(tmp[a + i]! * w0 + tmp[b + i]! * w1 + tmp[c + i]! * w2);
}

function vertical4(tmp: Uint8Array, a: number, b: number, c: number, d: number, w0: number, w1: number, w2: number, w3: number, n: number, row: Uint8Array): void {
  for (let i = 0; i < n; i++) row[i] = clampByte(tmp[a + i]! * w0 + tmp[b + i]! * w1 + tmp[c + i]! * w2 + tmp[d + i]! * w3);
}

function start2(tmp: Uint8Array, a: number, b: number, w0: number, w1: number, n: number, acc: Float64Array): void {
  for (let i = 0; i < n; i++) acc[i] = tmp[a + i]! * w0 + tmp[b + i]! * w1;
}

function add2(tmp: Uint8Array, a: number, b: number, w0: number, w1: number, n: number, acc: Float64Array): void {
  for (let i = 0; i < n; i++) acc[i] = acc[i]! + tmp[a + i]! * w0 + tmp[b + i]! * w1;
}

function add1(tmp: Uint8Array, a: number, w: number, n: number, acc: Float64Array): void {
  for (let i = 0; i < n; i++) acc[i] = acc[i]! + tmp[a + i]! * w;
}

/**
 * The separable resize, handing over each output row (width × 3 bytes, valid until the next call)
 * in order: callers write rows straight into their own layout without a whole resized image.
 */
export function resizeRows(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic', onRow: (y: number, row: Uint8Array) => void): void {
  const rowLen = width * 3;
  if (width === img.width && height === img.height) {
    for (let y = 0; y < height; y++) onRow(y, img.data.subarray(y * rowLen, (y + 1) * rowLen));
    return;
  }
  const kernel = filter === 'bicubic' ? CUBIC : TRIANGLE;
  const tmp = horizontalPass(img.data, img.width, img.height, width, axisTaps(img.width, width, kernel));
  const vy = axisTaps(img.height, height, kernel);
  const row = new Uint8Array(rowLen);
  const acc = new Float64Array(vy.span > 4 ? rowLen : 0);
  for (let y = 0; y < height; y++) {
    verticalRow(tmp, rowLen, vy, y, row, acc);
    onRow(y, row);
  }
}

/**
 * Resizes 8-bit RGB with an antialiased separable filter (horizontal, then vertical, rounding to
 * 8 bits after each pass as PIL does). 'bilinear' matches SAM's `ResizeLongestSide.apply_image`
 * (PIL bilinear); 'bicubic' is closest to MedSAM's order-3 resize.
 */
export function resizeRgb(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic' = 'bilinear'): Rgb {
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  const out = new Uint8Array(width * height * 3);
  const rowLen = width * 3;
  resizeRows(img, width, height, filter, (y, row) => out.set(row, y * rowLen));
  return { width, height, data: out };
}

