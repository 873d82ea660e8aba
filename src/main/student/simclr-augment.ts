import { resample } from '../imaging/geometry/resample';
import { applyGeometric, drawAugment, type AugmentConfig } from './data';

/**
 * SimCLR's stochastic views (Chen et al. 2020, §3 and Appendix A), on the student's size×size RGB
 * bytes, drawn from a seeded RNG so a resumed epoch replays its views:
 *   crop     random resized crop: area ∈ [0.08, 1] of the image, aspect ratio ∈ [3/4, 4/3]
 *            (log-uniform), 10 tries then the whole image, resized back to size×size (bilinear)
 *   flips    the dihedral group of the square (flips, quarter turns, transpose; data.ts) — the
 *            paper flips horizontally; medical images have no upright, so rotations are free too
 *   colour   with p = 0.8: brightness, contrast, saturation ∈ [1 − 0.8s, 1 + 0.8s], hue ± 0.2s
 *            (s = strength; 0.5 is the paper's setting for small images, CIFAR-10, B.9), then
 *            grey with p = 0.2 — saturation, hue and grey only where the image is colour
 *   blur     with p = 0.5: Gaussian, σ ∈ [0.1, 2.0] px, kernel 10 % of the side
 * The order is torchvision's; the four colour factors apply in a fixed order (torchvision shuffles
 * them).
 */

export interface ViewAugment {
  cropScale: [number, number];
  cropRatio: [number, number];
  geometric: AugmentConfig;
  jitterStrength: number;
  jitterP: number;
  greyP: number;
  blurP: number;
  blurSigma: [number, number];
  blurKernelFraction: number;
}

export const DEFAULT_VIEW_AUGMENT: ViewAugment = {
  cropScale: [0.08, 1],
  cropRatio: [3 / 4, 4 / 3],
  geometric: { hflip: 0.5, vflip: 0.5, rotate90: 0.5, transpose: 0.5 },
  jitterStrength: 0.5,
  jitterP: 0.8,
  greyP: 0.2,
  blurP: 0.5,
  blurSigma: [0.1, 2],
  blurKernelFraction: 0.1,
};

const uniform = (random: () => number, [a, b]: readonly [number, number]) => a + (b - a) * random();

/** Whether any pixel's channels differ (a grey image replicated to RGB has none). */
export function isColour(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return true;
  return false;
}

function randomResizedCrop(rgb: Uint8Array, n: number, a: ViewAugment, random: () => number): Float32Array {
  const area = n * n;
  for (let t = 0; t < 10; t++) {
    const target = area * uniform(random, a.cropScale);
    const ratio = Math.exp(uniform(random, [Math.log(a.cropRatio[0]), Math.log(a.cropRatio[1])]));
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w > 0 && h > 0 && w <= n && h <= n) {
      const x = Math.floor(random() * (n - w + 1));
      const y = Math.floor(random() * (n - h + 1));
      return resample(rgb, n, n, 3, { x, y, width: w, height: h }, n, n);
    }
  }
  return Float32Array.from(rgb);
}

function jitter(f: Float32Array, colour: boolean, a: ViewAugment, random: () => number): void {
  const s = a.jitterStrength;
  const range: [number, number] = [Math.max(0, 1 - 0.8 * s), 1 + 0.8 * s];
  const bright = uniform(random, range);
  const contrast = uniform(random, range);
  const sat = uniform(random, range);
  const hue = uniform(random, [-0.2 * s, 0.2 * s]);
  const grey = (i: number) => 0.299 * f[i]! + 0.587 * f[i + 1]! + 0.114 * f[i + 2]!;
  for (let i = 0; i < f.length; i++) f[i] = Math.min(255, f[i]! * bright);
  let mean = 0;
  for (let i = 0; i < f.length; i += 3) mean += grey(i);
  mean /= f.length / 3;
  for (let i = 0; i < f.length; i++) f[i] = Math.min(255, Math.max(0, mean + (f[i]! - mean) * contrast));
  if (!colour) return;
  for (let i = 0; i < f.length; i += 3) {
    const g = grey(i);
    for (let c = 0; c < 3; c++) f[i + c] = Math.min(255, Math.max(0, g + (f[i + c]! - g) * sat));
    if (hue !== 0) rotateHue(f, i, hue);
  }
}

/** Shifts one pixel's hue by `turns` of the colour circle (HSV, as torchvision's adjust_hue). */
function rotateHue(f: Float32Array, i: number, turns: number): void {
  const r = f[i]! / 255, g = f[i + 1]! / 255, b = f[i + 2]! / 255;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  if (d === 0) return;
  let h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  h = (((h / 6 + turns) % 1) + 1) % 1;
  const sv = d / max;
  const k = (m: number) => (m + h * 6) % 6;
  const ch = (m: number) => max * (1 - sv * Math.max(0, Math.min(k(m), 4 - k(m), 1)));
  f[i] = ch(5) * 255;
  f[i + 1] = ch(3) * 255;
  f[i + 2] = ch(1) * 255;
}

function toGrey(f: Float32Array): void {
  for (let i = 0; i < f.length; i += 3) {
    const g = 0.299 * f[i]! + 0.587 * f[i + 1]! + 0.114 * f[i + 2]!;
    f[i] = f[i + 1] = f[i + 2] = g;
  }
}

function gaussianBlur(f: Float32Array, n: number, sigma: number, kernel: number): Float32Array {
  const r = Math.max(1, Math.floor(kernel / 2));
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++)
        for (let c = 0; c < 3; c++) {
          let acc = 0;
          for (let t = -r; t <= r; t++) {
            // reflect at the borders, as torchvision's gaussian_blur
            let xx = horizontal ? x + t : x;
            let yy = horizontal ? y : y + t;
            xx = xx < 0 ? -xx : xx >= n ? 2 * n - 2 - xx : xx;
            yy = yy < 0 ? -yy : yy >= n ? 2 * n - 2 - yy : yy;
            acc += k[t + r]! * src[(yy * n + xx) * 3 + c]!;
          }
          out[(y * n + x) * 3 + c] = acc;
        }
    return out;
  };
  return pass(pass(f, true), false);
}

/** One random view of a square RGB image of side n (bytes in, bytes out). */
export function simclrView(rgb: Uint8Array, n: number, a: ViewAugment, random: () => number, colour = isColour(rgb)): Uint8Array {
  let f = randomResizedCrop(rgb, n, a, random);
  const g = drawAugment(a.geometric, random);
  if (random() < a.jitterP) jitter(f, colour, a, random);
  if (colour && random() < a.greyP) toGrey(f);
  if (random() < a.blurP) f = gaussianBlur(f, n, uniform(random, a.blurSigma), Math.round(a.blurKernelFraction * n));
  const bytes = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) bytes[i] = Math.round(f[i]!);
  return applyGeometric(bytes, n, 3, g);
}
