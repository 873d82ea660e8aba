import type { Rgb } from '../imaging/raster';
import { IGNORE_LABEL, valueHistogram, type LabelMap, type Mask } from '../imaging/mask';
import { loadModelRgb } from '../workspace/images';
import { loadLabelMap } from '../workspace/masks';
import type { Subset } from '../../shared/contract';
import { trainingMasksVisible } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';
import { centreSquare, wholeImage, type Region } from '../imaging/geometry/frames';
import { resample, resampleRgb } from '../imaging/geometry/resample';

/**
 * Turning workspace images into the student's inputs, once per run, kept in memory as bytes:
 *   - geometry: the short side is scaled to `size` and the centred size×size square kept
 *     (training, validation: `studentTrainFrame`); inference sees the whole image resized to
 *     size×size (no crop: `studentInferFrame`). Both frames are in imaging/geometry/frames.ts.
 *   - resampling: area average when shrinking, bilinear when enlarging (imaging/geometry/
 *     resample.ts); each structure of a label map (and its ignore region) is resampled the same
 *     way and kept where it covers at least half the pixel.
 *   - structures: the student has a channel per structure of the workspace's schema (values
 *     sorted); a sample's mask is a "channel map": 0 background, c + 1 for channel c,
 *     IGNORE_LABEL ignored. One structure: 0/1, the binary mask it always was.
 *   - normalisation: ImageNet statistics, x = (rgb/255 − mean) / std with
 *     mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225), applied per batch.
 */

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface Sample {
  imageId: number;
  size: number;
  rgb: Uint8Array; // size·size·3
  /** size·size channel map: 0 background, c + 1 for channel c, IGNORE_LABEL ignored (binary: 0/1). */
  mask: Uint8Array | null;
}

export function rgbToModelFrame(img: Rgb, size: number, region: Region): Uint8Array {
  return resampleRgb(img, region, size, size).data;
}

export function maskToModelFrame(mask: Mask, size: number, region: Region): Uint8Array {
  const f = resample(mask.data, mask.width, mask.height, 1, region, size, size);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = f[i]! >= 0.5 ? 1 : 0;
  return out;
}

/**
 * A label map (schema values) as a channel map at size×size: each value present is resampled as
 * its own indicator and a pixel takes the value covering the largest share of it, if at least half
 * (a binary mask: thresholded at 0.5, as always). `structures` lists the schema value of each
 * channel; other values become background.
 */
export function labelMapToModelFrame(map: LabelMap, size: number, region: Region, structures: readonly number[]): Uint8Array {
  const hist = valueHistogram(map);
  const out = new Uint8Array(size * size);
  const best = new Float32Array(size * size);
  const indicator = new Uint8Array(map.data.length);
  for (let v = 1; v < 256; v++) {
    if (!hist[v]) continue;
    const channel = v === IGNORE_LABEL ? IGNORE_LABEL : structures.indexOf(v) + 1;
    if (channel === 0) continue;
    for (let i = 0; i < indicator.length; i++) indicator[i] = map.data[i] === v ? 1 : 0;
    const f = resample(indicator, map.width, map.height, 1, region, size, size);
    for (let i = 0; i < f.length; i++)
      if (f[i]! >= 0.5 && f[i]! > best[i]!) {
        best[i] = f[i]!;
        out[i] = channel;
      }
  }
  return out;
}

/** A label map's values (schema values) as channels: c + 1 for structures[c], the ignore value kept, the rest 0. */
export function channelMap(values: Uint8Array, structures: readonly number[]): Uint8Array {
  const lut = new Uint8Array(256);
  structures.forEach((v, c) => (lut[v] = c + 1));
  lut[IGNORE_LABEL] = IGNORE_LABEL;
  return Uint8Array.from(values, (v) => lut[v]!);
}

/**
 * A batch's targets from channel maps: 0/1 planes [N, K, H, W], and the pixel weights [N, H, W]
 * (0 on the ignore region) — null when no pixel is ignored, so such batches cost what they did.
 */
export function channelTargets(maps: readonly Uint8Array[], channels: number, plane: number): { y: Float32Array; m: Float32Array | null } {
  const y = new Float32Array(maps.length * channels * plane);
  let m: Float32Array | null = null;
  maps.forEach((map, b) => {
    for (let i = 0; i < plane; i++) {
      const v = map[i]!;
      if (v === IGNORE_LABEL) {
        if (!m) m = new Float32Array(maps.length * plane).fill(1);
        m[b * plane + i] = 0;
      } else if (v > 0 && v <= channels) y[(b * channels + v - 1) * plane + i] = 1;
    }
  });
  return { y, m };
}

/**
 * Samples of one subset at `size` (short side → size, centre crop). Masks are read only for
 * subsets whose ground truth training may see ("unlabeled" never); `structures` are the schema
 * values of the student's channels (default: the one structure of a binary project).
 */
export function loadSamples(
  ws: Workspace,
  imageIds: readonly number[],
  subset: Subset,
  size: number,
  onImage?: (done: number, total: number) => void,
  structures: readonly number[] = [1],
): Sample[] {
  const withMasks = trainingMasksVisible(subset);
  const out: Sample[] = [];
  imageIds.forEach((id, i) => {
    const img = loadModelRgb(ws, id);
    const region = centreSquare(img.width, img.height, size);
    let mask: Uint8Array | null = null;
    if (withMasks) {
      const m = loadLabelMap(ws, id);
      if (!m) throw new Error(`image ${id} is in the "${subset}" subset but has no mask`);
      mask = labelMapToModelFrame(m, size, region, structures);
    }
    out.push({ imageId: id, size, rgb: rgbToModelFrame(img, size, region), mask });
    onImage?.(i + 1, imageIds.length);
  });
  return out;
}

/** The whole image at size×size (inference: nothing cropped away). */
export function wholeImageInput(img: Rgb, size: number): Uint8Array {
  return rgbToModelFrame(img, size, wholeImage(img.width, img.height));
}

/** Writes ImageNet-normalised floats of `rgb` (HWC bytes) at `offset` of `out`. */
export function normalizeInto(rgb: Uint8Array, out: Float32Array, offset: number): void {
  const m0 = IMAGENET_MEAN[0] * 255, m1 = IMAGENET_MEAN[1] * 255, m2 = IMAGENET_MEAN[2] * 255;
  const s0 = 1 / (IMAGENET_STD[0] * 255), s1 = 1 / (IMAGENET_STD[1] * 255), s2 = 1 / (IMAGENET_STD[2] * 255);
  for (let i = 0, o = offset; i < rgb.length; i += 3, o += 3) {
    out[o] = (rgb[i]! - m0) * s0;
    out[o + 1] = (rgb[i + 1]! - m1) * s1;
    out[o + 2] = (rgb[i + 2]! - m2) * s2;
  }
}

// ---------------------------------------------------------------------------------------------
// Augmentation: the dihedral group of the square, applied identically to image and mask.

export interface AugmentConfig {
  hflip: number; // probability of a horizontal flip
  vflip: number; // probability of a vertical flip
  rotate90: number; // probability of a rotation by a random multiple of 90° (90, 180 or 270, uniform)
  transpose: number; // probability of swapping rows and columns
}

export const DEFAULT_AUGMENT: AugmentConfig = { hflip: 0.5, vflip: 0.5, rotate90: 0.5, transpose: 0.5 };

export interface Geometric {
  hflip: boolean;
  vflip: boolean;
  quarterTurns: 0 | 1 | 2 | 3; // counter-clockwise
  transpose: boolean;
}

/** Draws one augmentation; always consumes exactly five random numbers (replayable from a seed). */
export function drawAugment(cfg: AugmentConfig, random: () => number): Geometric {
  const h = random() < cfg.hflip;
  const v = random() < cfg.vflip;
  const r = random() < cfg.rotate90;
  const k = 1 + Math.min(2, Math.floor(random() * 3));
  const t = random() < cfg.transpose;
  return { hflip: h, vflip: v, quarterTurns: (r ? k : 0) as Geometric['quarterTurns'], transpose: t };
}

/**
 * Where output pixel (x, y) of an n×n square comes from, for hflip → vflip → rotate → transpose
 * applied in that order to the image.
 */
function sourceOf(g: Geometric, n: number, x: number, y: number): [number, number] {
  // undo the steps in reverse order
  if (g.transpose) [x, y] = [y, x];
  for (let k = 0; k < g.quarterTurns; k++) {
    // a CCW quarter turn maps source (sx, sy) → (sy, n−1−sx); inverse: (x, y) ← (n−1−y, x)
    [x, y] = [n - 1 - y, x];
  }
  if (g.vflip) y = n - 1 - y;
  if (g.hflip) x = n - 1 - x;
  return [x, y];
}

/** Applies `g` to a square image of `channels` interleaved bytes. */
export function applyGeometric(src: Uint8Array, n: number, channels: number, g: Geometric): Uint8Array {
  if (!g.hflip && !g.vflip && g.quarterTurns === 0 && !g.transpose) return src;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [sx, sy] = sourceOf(g, n, x, y);
      const s = (sy * n + sx) * channels;
      const d = (y * n + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = src[s + c]!;
    }
  }
  return out;
}
