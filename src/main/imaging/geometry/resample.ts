/**
 * Separable resampling of interleaved (HWC) images, used for both directions the student needs:
 * source → model frame (downscaling: exact area average, i.e. a box filter with fractional pixel
 * coverage, so a 1920-px frame does not alias at 224) and model frame → source (upscaling:
 * bilinear with half-pixel centres, as PyTorch/OpenCV `align_corners=False`). The choice is made
 * per axis from the scale.
 */

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

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

/** The centred square of side min(w, h): what "short side → size, centre crop" keeps. */
export function centreSquare(width: number, height: number): Region {
  const s = Math.min(width, height);
  return { x: (width - s) / 2, y: (height - s) / 2, width: s, height: s };
}

export function wholeImage(width: number, height: number): Region {
  return { x: 0, y: 0, width, height };
}
