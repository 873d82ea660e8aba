import type { Rgb } from '../raster';
import { toFrame, wholeImage, type Frame, type Region } from './frames';

/**
 * Separable resampling of interleaved (HWC) images in the directions the student, mining and
 * thumbnails need: source → model frame (downscaling: exact area average, i.e. a box filter with
 * fractional pixel coverage, so a 1920-px frame does not alias at 224) and model frame → source
 * (upscaling: bilinear with half-pixel centres, as PyTorch/OpenCV `align_corners=False`). The
 * choice is made per axis from the scale. The teacher's encoder input needs PIL's filters instead
 * (pil-resize.ts): its embeddings must match the reference preprocessing byte for byte.
 */

interface Taps {
  index: Int32Array; // per output coordinate: first source index
  count: Int32Array; // number of taps
  offset: Int32Array; // start of its weights in `weight`
  weight: Float32Array;
  srcIndex: Int32Array;
}

/** Weights mapping the source span [start, start + span) of an axis of length `size` onto `out` samples. */
function taps(size: number, start: number, span: number, out: number): Taps {
  const scale = span / out;
  const idx: number[] = [];
  const w: number[] = [];
  const count = new Int32Array(out);
  const offset = new Int32Array(out);
  const first = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    offset[o] = w.length;
    if (scale > 1) {
      // area: the output pixel covers [a, b) in source coordinates
      const a = start + o * scale;
      const b = a + scale;
      let i0 = Math.floor(a);
      const i1 = Math.ceil(b);
      first[o] = i0;
      for (; i0 < i1; i0++) {
        const cover = Math.min(b, i0 + 1) - Math.max(a, i0);
        if (cover <= 0) continue;
        idx.push(Math.min(size - 1, Math.max(0, i0)));
        w.push(cover / scale);
      }
    } else {
      // bilinear, half-pixel centres, clamped at the border
      const c = start + (o + 0.5) * scale - 0.5;
      const i0 = Math.floor(c);
      const f = c - i0;
      first[o] = i0;
      idx.push(Math.min(size - 1, Math.max(0, i0)));
      w.push(1 - f);
      idx.push(Math.min(size - 1, Math.max(0, i0 + 1)));
      w.push(f);
    }
    count[o] = w.length - offset[o]!;
  }
  return { index: first, count, offset, weight: Float32Array.from(w), srcIndex: Int32Array.from(idx) };
}

/**
 * Resamples `region` of a `width`×`height`×`channels` image to `outW`×`outH`. Input may be any
 * numeric array (bytes or floats); the output is float.
 */
export function resample(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  region: Region,
  outW: number,
  outH: number,
): Float32Array {
  const tx = taps(width, region.x, region.width, outW);
  const ty = taps(height, region.y, region.height, outH);
  // rows touched by the vertical taps only
  const rowsNeeded = new Set<number>();
  for (let i = 0; i < ty.srcIndex.length; i++) rowsNeeded.add(ty.srcIndex[i]!);
  const tmp = new Map<number, Float32Array>();
  for (const r of rowsNeeded) {
    const row = new Float32Array(outW * channels);
    const base = r * width * channels;
    for (let o = 0; o < outW; o++) {
      const off = tx.offset[o]!;
      const n = tx.count[o]!;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weight[off + k]! * src[base + tx.srcIndex[off + k]! * channels + c]!;
        row[o * channels + c] = acc;
      }
    }
    tmp.set(r, row);
  }
  const out = new Float32Array(outW * outH * channels);
  const rowLen = outW * channels;
  for (let o = 0; o < outH; o++) {
    const off = ty.offset[o]!;
    const n = ty.count[o]!;
    const dst = o * rowLen;
    for (let k = 0; k < n; k++) {
      const wk = ty.weight[off + k]!;
      const row = tmp.get(ty.srcIndex[off + k]!)!;
      for (let i = 0; i < rowLen; i++) out[dst + i] += wk * row[i]!;
    }
  }
  return out;
}

/** `resample` of an 8-bit RGB image, rounded back to bytes. */
export function resampleRgb(img: Rgb, region: Region, width: number, height: number): Rgb {
  const f = resample(img.data, img.width, img.height, 3, region, width, height);
  const data = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) data[i] = Math.round(f[i]!); // Uint8Array clamps to 0…255
  return { width, height, data };
}

/** Area-average downscale so the longer side is at most `maxSide` (never upscales): thumbnails. */
export function downscaleRgb(img: Rgb, maxSide: number): Rgb {
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  return resampleRgb(img, wholeImage(img.width, img.height), width, height);
}

/**
 * A grid of values (SAM's low-resolution logits) at the pixel centres of a `width`×`height` source
 * image, thresholded: 1 where the bilinear sample (half-pixel centres, clamped at the border) is
 * above `threshold`. `grid` is the grid's frame over the source (`lowResFrame`); its values start at
 * `offset` of `values`, row by row. Also returns the count of 1s (the mask's area).
 */
export function upsampleThresholded(
  values: Float32Array,
  offset: number,
  grid: Frame,
  width: number,
  height: number,
  threshold: number,
): { data: Uint8Array; area: number } {
  const gw = grid.width, gh = grid.height;
  const data = new Uint8Array(width * height);
  // Grid coordinates of the pixel centres, rounded to float32 as the teacher's masks have always
  // been made: a pixel right at the threshold stays on the same side.
  const gx = new Float32Array(width);
  const gy = new Float32Array(height);
  for (let u = 0; u < width; u++) gx[u] = Math.min(gw - 1, Math.max(0, toFrame(grid, { x: u + 0.5, y: 0 }).x - 0.5));
  for (let v = 0; v < height; v++) gy[v] = Math.min(gh - 1, Math.max(0, toFrame(grid, { x: 0, y: v + 0.5 }).y - 0.5));
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float64Array(width);
  for (let u = 0; u < width; u++) {
    const x = gx[u]!;
    const x0 = Math.floor(x);
    x0s[u] = x0;
    x1s[u] = Math.min(gw - 1, x0 + 1);
    fxs[u] = x - x0;
  }
  // With threshold ≥ 0, a pixel whose four grid values are all ≤ 0 is off: each term of the
  // interpolation keeps its sign under rounding, so their sum is ≤ 0 too. A mask covers a small part
  // of most images, so only the columns between a grid row's first and last positive value are
  // interpolated (rows with none are skipped); every other pixel keeps the 0 it was made with.
  const span = threshold >= 0 ? positiveSpans(values, offset, gw, gh) : null;
  // The sample is (row y0 interpolated across) · (1 − fy) + (row y1 interpolated across) · fy, and
  // the across-interpolation of a grid row is the same for every pixel row that reads it (~2–4 of
  // them): it is made once per grid row and kept for the next pixel rows, the same operations in
  // the same order, so the mask is bit for bit what the per-pixel formula gives.
  const across = new AcrossRows(values, offset, gw, x0s, x1s, fxs);
  let area = 0;
  for (let v = 0; v < height; v++) {
    const y = gy[v]!;
    const y0 = Math.floor(y), y1 = Math.min(gh - 1, y0 + 1), fy = y - y0;
    let from = 0, to = width;
    if (span) {
      const lo = Math.min(span.first[y0]!, span.first[y1]!), hi = Math.max(span.last[y0]!, span.last[y1]!);
      if (lo > hi) continue;
      while (from < to && x1s[from]! < lo) from++;
      while (to > from && x0s[to - 1]! > hi) to--;
    }
    area += thresholdedRow(across.row(y0, from, to), across.row(y1, from, to), fy, threshold, data, v * width, from, to);
  }
  return { data, area };
}

/**
 * Grid rows interpolated at the pixel columns, `a·(1 − fx) + b·fx` in double, the last two made
 * kept: pixel rows ask for grid rows in ascending order, two at a time. A row is made only over the
 * columns asked for so far (a small mask needs few).
 */
class AcrossRows {
  private readonly rows: [Float64Array, Float64Array];
  private readonly of = [-1, -1];
  /** Columns [from, to) made in each kept row. */
  private readonly made = [
    [0, 0],
    [0, 0],
  ];

  constructor(
    private readonly values: Float32Array,
    private readonly offset: number,
    private readonly gw: number,
    private readonly x0s: Int32Array,
    private readonly x1s: Int32Array,
    private readonly fxs: Float64Array,
  ) {
    this.rows = [new Float64Array(x0s.length), new Float64Array(x0s.length)];
  }

  /** Grid row r, made at least over columns [from, to). */
  row(r: number, from: number, to: number): Float64Array {
    let slot = this.of[0] === r ? 0 : this.of[1] === r ? 1 : -1;
    if (slot < 0) {
      // Replace the lower of the two: rows come in ascending order.
      slot = this.of[0]! < this.of[1]! ? 0 : 1;
      this.of[slot] = r;
      this.made[slot] = [from, from];
    }
    const made = this.made[slot]!;
    const base = this.offset + r * this.gw;
    const out = this.rows[slot];
    if (from < made[0]!) {
      this.fill(out, base, from, made[0]!);
      made[0] = from;
    }
    if (to > made[1]!) {
      this.fill(out, base, made[1]!, to);
      made[1] = to;
    }
    return out;
  }

  private fill(out: Float64Array, base: number, from: number, to: number): void {
    const { values, x0s, x1s, fxs } = this;
    for (let u = from; u < to; u++) {
      const fx = fxs[u]!;
      out[u] = values[base + x0s[u]!]! * (1 - fx) + values[base + x1s[u]!]! * fx;
    }
  }
}

/** Per grid row, the first and last column holding a value > 0 (first > last when none does). */
function positiveSpans(values: Float32Array, offset: number, gw: number, gh: number): { first: Int32Array; last: Int32Array } {
  const first = new Int32Array(gh).fill(gw);
  const last = new Int32Array(gh).fill(-1);
  for (let r = 0; r < gh; r++) {
    const base = offset + r * gw;
    let x = 0;
    while (x < gw && !(values[base + x]! > 0)) x++;
    if (x === gw) continue;
    first[r] = x;
    let z = gw - 1;
    while (!(values[base + z]! > 0)) z--;
    last[r] = z;
  }
  return { first, last };
}

/** Columns [from, to) of one output row of `upsampleThresholded`; returns their count of 1s. */
function thresholdedRow(top: Float64Array, bottom: Float64Array, fy: number, threshold: number, out: Uint8Array, o: number, from: number, to: number): number {
  let ones = 0;
  for (let u = from; u < to; u++) {
    // Number(boolean), not `? 1 : 0`: V8 compiles the comparison without a branch, and a noisy mask's edges mispredict.
    const on = Number(top[u]! * (1 - fy) + bottom[u]! * fy > threshold);
    out[o + u] = on;
    ones += on;
  }
  return ones;
}
