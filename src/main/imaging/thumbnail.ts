import { encodePngRgb, type Rgb } from './raster';

export const THUMBNAIL_SIDE = 160;

/**
 * A list thumbnail, as a PNG, the longer side at most `side` (never enlarged). Each thumbnail
 * pixel is the plain mean of the whole source pixels that fall in it, one integer pass over the
 * source: a thumbnail is looked at, never measured, and the exact area average (fractional pixel
 * coverage, geometry/resample.ts) of a full-size image cost more than decoding it.
 */
export function thumbnailPng(rgb: Rgb, side = THUMBNAIL_SIDE): Uint8Array {
  return encodePngRgb(shrinkByMeans(rgb, side), 'paeth');
}

function shrinkByMeans(rgb: Rgb, side: number): Rgb {
  const { width, height, data } = rgb;
  const scale = Math.min(1, side / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (w === width && h === height) return rgb;
  // Which thumbnail column each source column adds to (times 3), and how many columns each gets.
  const target = new Int32Array(width);
  const columns = new Uint32Array(w);
  for (let x = 0; x < width; x++) {
    const u = Math.floor((x * w) / width);
    target[x] = u * 3;
    columns[u]!++;
  }
  const sums = new Uint32Array(w * 3);
  const out = new Uint8Array(w * h * 3);
  let y = 0;
  for (let v = 0; v < h; v++) {
    sums.fill(0);
    const y0 = y;
    for (; y < height && Math.floor((y * h) / height) === v; y++) {
      for (let x = 0, i = y * width * 3; x < width; x++, i += 3) {
        const t = target[x]!;
        sums[t] += data[i]!;
        sums[t + 1] += data[i + 1]!;
        sums[t + 2] += data[i + 2]!;
      }
    }
    const rows = y - y0;
    for (let u = 0, o = v * w * 3; u < w; u++) {
      const n = rows * columns[u]!;
      for (let c = 0; c < 3; c++, o++) out[o] = Math.round(sums[u * 3 + c]! / n);
    }
  }
  return { width: w, height: h, data: out };
}
