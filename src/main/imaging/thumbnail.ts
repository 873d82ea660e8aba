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
  // Where each thumbnail column's run of source columns starts (and, at `w`, where the last ends).
  const starts = new Uint32Array(w + 1);
  const columns = new Uint32Array(w);
  for (let x = 0; x < width; x++) columns[Math.floor((x * w) / width)]!++;
  for (let u = 0; u < w; u++) starts[u + 1] = starts[u]! + columns[u]!;
  const sums = new Uint32Array(w * 3);
  const out = new Uint8Array(w * h * 3);
  let y = 0;
  for (let v = 0; v < h; v++) {
    sums.fill(0);
    const y0 = y;
    for (; y < height && Math.floor((y * h) / height) === v; y++) {
      // A run is summed in locals and added once: three stores per run instead of per pixel.
      for (let u = 0, x = 0, i = y * width * 3; u < w; u++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (const end = starts[u + 1]!; x < end; x++, i += 3) {
          r += data[i]!;
          g += data[i + 1]!;
          b += data[i + 2]!;
        }
        sums[u * 3] += r;
        sums[u * 3 + 1] += g;
        sums[u * 3 + 2] += b;
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
