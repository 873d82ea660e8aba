import type { Rgb } from '../raster';

/**
 * Pillow's antialiased resizing of 8-bit RGB, byte for byte (the filters SAM-family preprocessing
 * needs: 'bilinear' is SAM's `ResizeLongestSide.apply_image`, 'bicubic' the closest to MedSAM's
 * order-3 resize). The teacher's cached embeddings depend on every byte, so this follows Pillow's
 * Resample.c exactly: per-axis weights in double, normalised, then turned into 22-bit fixed-point
 * integers; each pass sums byte × coefficient in int32 from a half-unit start and keeps the top
 * bits, clamped to 0..255. Float sums rounded to nearest (the obvious port) differ from Pillow by 1
 * on a few hundred bytes per image; test/fixtures/pillow-resize holds digests of Pillow's own output.
 *
 * `axisTaps` and `resizeKernel` are exported for pil-resize-simd.ts, whose SIMD passes do the same
 * integer arithmetic straight into SAM's normalised planes.
 */

export type Kernel = { support: number; weight: (x: number) => number };

// Pillow's bilinear_filter and bicubic_filter (Keys' cubic with a = -0.5).
const TRIANGLE: Kernel = {
  support: 1,
  weight: (x) => {
    if (x < 0) x = -x;
    return x < 1 ? 1 - x : 0;
  },
};
const CUBIC: Kernel = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    if (x < 0) x = -x;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** Pillow's PRECISION_BITS for 8-bit images: 32 − 8 − 2, two bits of headroom for negative lobes. */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc`: per output pixel, its first source index and fixed-point weights. */
function axisWeights(inSize: number, outSize: number, kernel: Kernel): { start: Int32Array; count: Int32Array; coef: Int32Array; span: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale); // widen the kernel when shrinking: antialiasing
  const support = kernel.support * filterScale;
  const span = Math.ceil(support) * 2 + 1;
  const ss = 1 / filterScale;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const coef = new Int32Array(outSize * span);
  const w = new Float64Array(span);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    // C's (int) cast truncates towards zero
    const lo = Math.max(0, Math.trunc(centre - support + 0.5));
    const n = Math.min(inSize, Math.trunc(centre + support + 0.5)) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) total += w[j] = kernel.weight((j + lo - centre + 0.5) * ss);
    for (let j = 0; j < n; j++) {
      const v = (total !== 0 ? w[j]! / total : w[j]!) * (1 << PRECISION_BITS);
      coef[i * span + j] = v < 0 ? Math.trunc(v - 0.5) : Math.trunc(v + 0.5);
    }
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, coef, span };
}

/**
 * One axis's taps, padded to a fixed width: for output i, tap j reads source index
 * `index[i·span + j]` with fixed-point weight `coef[i·span + j]`. Taps whose weight is 0 are left
 * out (a bilinear upscale has 3 taps of which one is always 0, so it runs on 2) and outputs with
 * fewer taps get weight-0 taps at the end that re-read their first index: integer sums are exact,
 * so every byte is what Pillow's loop over all its taps gives, and the inner loops get a fixed trip
 * count and are unrolled for the usual widths.
 */
export interface Taps {
  span: number;
  index: Int32Array;
  coef: Int32Array;
}

export function axisTaps(inSize: number, outSize: number, kernel: Kernel): Taps {
  const a = axisWeights(inSize, outSize, kernel);
  let span = 1;
  for (let i = 0; i < outSize; i++) {
    let used = 0;
    for (let j = 0; j < a.count[i]!; j++) if (a.coef[i * a.span + j] !== 0) used++;
    span = Math.max(span, used);
  }
  const index = new Int32Array(outSize * span);
  const coef = new Int32Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const s = a.start[i]!, n = a.count[i]!;
    let k = i * span;
    for (let j = 0; j < n; j++) {
      const c = a.coef[i * a.span + j]!;
      if (c === 0) continue;
      index[k] = s + j;
      coef[k++] = c;
    }
    for (; k < (i + 1) * span; k++) index[k] = s; // weight 0
  }
  return { span, index, coef };
}

/**
 * Pillow's `clip8`: a fixed-point sum (already holding the half unit) → its byte. The sums stay
 * within int32 (Pillow's headroom bits), so `>>` is the exact floor.
 */
const fixedByte = (ss: number) => {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * `v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)`, as an int32 and about 3× faster than that in
 * loops that round float sums to bytes (no Math.round, no double left to convert at the byte
 * store). Exact for every double: below 0.5 both give 0 and from 254.5 both give 255; in between
 * v + 0.5 is computed without a rounding that could change its floor (v ≥ 0.5, so 0.5 is a multiple
 * of v's ulp, and a sum that reaches the next binade lands on or just above a power of two ≥ 1), so
 * truncation is Math.round's floor(v + 0.5). NaN gives 0 either way once stored in a byte array.
 */
export const clampByte = (v: number) => (v < 0.5 ? 0 : v >= 254.5 ? 255 : (v + 0.5) | 0);

/**
 * The horizontal pass's output, kept between resizes (a few MB; resizing is synchronous, so one
 * buffer serves every call) — fresh buffers of this size each time mostly feed the garbage collector.
 */
let passBuffer = new Uint8Array(0);

/**
 * Horizontal pass: every source row resampled to `width` pixels, rounded to 8 bits (Pillow's first
 * pass). `tap.index` holds pixel indices; the result (a view of `passBuffer`, valid until the next
 * pass) is `width × srcHeight × 3` bytes.
 */
function horizontalPass(src: Uint8Array, srcWidth: number, srcHeight: number, width: number, tap: Taps): Uint8Array {
  const size = width * srcHeight * 3;
  if (passBuffer.length < size) passBuffer = new Uint8Array(size);
  const out = passBuffer.subarray(0, size); // every byte is written below
  const { span, index, coef } = tap;
  // Byte offsets of the taps within a row.
  const off = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) off[i] = index[i]! * 3;
  if (span === 2) horizontal2(src, srcWidth * 3, srcHeight, out, width, off, coef);
  else if (span === 3) horizontal3(src, srcWidth * 3, srcHeight, out, width, off, coef);
  else if (span === 4) horizontal4(src, srcWidth * 3, srcHeight, out, width, off, coef);
  else horizontalN(src, srcWidth * 3, srcHeight, out, width, off, coef, span);
  return out;
}

// Products are byte × weight < 2^30 and Pillow's sums stay within int32, so Math.imul and `| 0`
// keep every step in int32 without changing a value.

function horizontal2(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, k: Int32Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 2) {
      const a = row + off[q]!, b = row + off[q + 1]!;
      const k0 = k[q]!, k1 = k[q + 1]!;
      out[t] = fixedByte((HALF + Math.imul(src[a]!, k0) + Math.imul(src[b]!, k1)) | 0);
      out[t + 1] = fixedByte((HALF + Math.imul(src[a + 1]!, k0) + Math.imul(src[b + 1]!, k1)) | 0);
      out[t + 2] = fixedByte((HALF + Math.imul(src[a + 2]!, k0) + Math.imul(src[b + 2]!, k1)) | 0);
      t += 3;
    }
  }
}

function horizontal3(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, k: Int32Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 3) {
      const a = row + off[q]!, b = row + off[q + 1]!, c = row + off[q + 2]!;
      const k0 = k[q]!, k1 = k[q + 1]!, k2 = k[q + 2]!;
      out[t] = fixedByte((HALF + Math.imul(src[a]!, k0) + Math.imul(src[b]!, k1) + Math.imul(src[c]!, k2)) | 0);
      out[t + 1] = fixedByte((HALF + Math.imul(src[a + 1]!, k0) + Math.imul(src[b + 1]!, k1) + Math.imul(src[c + 1]!, k2)) | 0);
      out[t + 2] = fixedByte((HALF + Math.imul(src[a + 2]!, k0) + Math.imul(src[b + 2]!, k1) + Math.imul(src[c + 2]!, k2)) | 0);
      t += 3;
    }
  }
}

function horizontal4(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, k: Int32Array): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += 4) {
      const a = row + off[q]!, b = row + off[q + 1]!, c = row + off[q + 2]!, d = row + off[q + 3]!;
      const k0 = k[q]!, k1 = k[q + 1]!, k2 = k[q + 2]!, k3 = k[q + 3]!;
      out[t] = fixedByte((HALF + Math.imul(src[a]!, k0) + Math.imul(src[b]!, k1) + Math.imul(src[c]!, k2) + Math.imul(src[d]!, k3)) | 0);
      out[t + 1] = fixedByte((HALF + Math.imul(src[a + 1]!, k0) + Math.imul(src[b + 1]!, k1) + Math.imul(src[c + 1]!, k2) + Math.imul(src[d + 1]!, k3)) | 0);
      out[t + 2] = fixedByte((HALF + Math.imul(src[a + 2]!, k0) + Math.imul(src[b + 2]!, k1) + Math.imul(src[c + 2]!, k2) + Math.imul(src[d + 2]!, k3)) | 0);
      t += 3;
    }
  }
}

function horizontalN(src: Uint8Array, stride: number, rows: number, out: Uint8Array, width: number, off: Int32Array, k: Int32Array, span: number): void {
  let t = 0;
  for (let y = 0; y < rows; y++) {
    const row = y * stride;
    for (let x = 0, q = 0; x < width; x++, q += span) {
      let r = HALF, g = HALF, b = HALF;
      for (let j = 0; j < span; j++) {
        const p = row + off[q + j]!;
        const kj = k[q + j]!;
        r = (r + Math.imul(src[p]!, kj)) | 0;
        g = (g + Math.imul(src[p + 1]!, kj)) | 0;
        b = (b + Math.imul(src[p + 2]!, kj)) | 0;
      }
      out[t] = fixedByte(r);
      out[t + 1] = fixedByte(g);
      out[t + 2] = fixedByte(b);
      t += 3;
    }
  }
}

/**
 * Vertical pass for output row `y` of `rowLen` bytes (width × 3) from the horizontal pass's rows,
 * rounded to 8 bits (Pillow's second pass) into `row`.
 */
function verticalRow(tmp: Uint8Array, rowLen: number, tap: Taps, y: number, row: Uint8Array, acc: Int32Array): void {
  const { span, index, coef } = tap;
  const q = y * span;
  if (span === 1) {
    const a = index[q]! * rowLen, k0 = coef[q]!;
    for (let i = 0; i < rowLen; i++) row[i] = fixedByte((HALF + Math.imul(tmp[a + i]!, k0)) | 0);
  } else if (span === 2) vertical2(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, coef[q]!, coef[q + 1]!, rowLen, row);
  else if (span === 3) vertical3(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, index[q + 2]! * rowLen, coef[q]!, coef[q + 1]!, coef[q + 2]!, rowLen, row);
  else {
    // Wider: the sums are built in a row of int32s, one tap per pass.
    acc.fill(HALF, 0, rowLen);
    for (let j = 0; j < span; j++) {
      const a = index[q + j]! * rowLen, kj = coef[q + j]!;
      for (let i = 0; i < rowLen; i++) acc[i] = (acc[i]! + Math.imul(tmp[a + i]!, kj)) | 0;
    }
    for (let i = 0; i < rowLen; i++) row[i] = fixedByte(acc[i]!);
  }
}

function vertical2(tmp: Uint8Array, a: number, b: number, k0: number, k1: number, n: number, row: Uint8Array): void {
  for (let i = 0; i < n; i++) row[i] = fixedByte((HALF + Math.imul(tmp[a + i]!, k0) + Math.imul(tmp[b + i]!, k1)) | 0);
}

function vertical3(tmp: Uint8Array, a: number, b: number, c: number, k0: number, k1: number, k2: number, n: number, row: Uint8Array): void {
  for (let i = 0; i < n; i++) row[i] = fixedByte((HALF + Math.imul(tmp[a + i]!, k0) + Math.imul(tmp[b + i]!, k1) + Math.imul(tmp[c + i]!, k2)) | 0);
}

/** Pillow's filter of that name: the triangle (bilinear) or Keys' cubic (bicubic). */
export function resizeKernel(filter: 'bilinear' | 'bicubic'): Kernel {
  return filter === 'bicubic' ? CUBIC : TRIANGLE;
}

/**
 * Resizes 8-bit RGB as Pillow's `Image.resize` does with BILINEAR or BICUBIC (antialiased,
 * separable, horizontal then vertical, each pass rounded to 8 bits in fixed point).
 */
export function resizeRgb(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic' = 'bilinear'): Rgb {
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  const kernel = resizeKernel(filter);
  const rowLen = width * 3;
  // Pillow skips a pass whose axis keeps its size (its weights would be the identity anyway).
  const tmp = width === img.width ? img.data : horizontalPass(img.data, img.width, img.height, width, axisTaps(img.width, width, kernel));
  if (height === img.height) return { width, height, data: tmp.slice(0, rowLen * height) };
  const out = new Uint8Array(rowLen * height);
  const vy = axisTaps(img.height, height, kernel);
  const acc = new Int32Array(vy.span > 3 ? rowLen : 0);
  for (let y = 0; y < height; y++) verticalRow(tmp, rowLen, vy, y, out.subarray(y * rowLen, (y + 1) * rowLen), acc);
  return { width, height, data: out };
}
