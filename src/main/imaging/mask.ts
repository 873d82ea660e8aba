import { PNG } from 'pngjs';
import { decodeRaster } from './raster';

/** A binary mask at an image's source resolution: one byte per pixel, 0 or 1. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

// Kvasir-SEG masks are JPEG, so edges carry compression noise: the dataset's own rule is >127.
export const MASK_THRESHOLD = 127;

export function decodeMaskFile(bytes: Uint8Array): Mask {
  const rgb = decodeRaster(bytes);
  const data = new Uint8Array(rgb.width * rgb.height);
  for (let i = 0; i < data.length; i++) {
    const k = i * 3;
    const luma = (rgb.data[k]! + rgb.data[k + 1]! + rgb.data[k + 2]!) / 3;
    data[i] = luma > MASK_THRESHOLD ? 1 : 0;
  }
  return { width: rgb.width, height: rgb.height, data };
}

/** Stored form of every mask: 8-bit greyscale PNG, 0 or 255, so any viewer can open it. */
export function encodeMaskPng(mask: Mask): Buffer {
  const grey = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return encodeGreyPng({ width: mask.width, height: mask.height, data: grey }, 'none');
}

/**
 * Every byte form `encodeMaskPng` has stored this mask as, current first: masks imported before it
 * left rows unfiltered were encoded with pngjs's adaptive filters. A repair that makes a lost mask
 * again from its source file matches either against the hash its row names.
 */
export function storedMaskPngForms(mask: Mask): Buffer[] {
  const grey = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return [encodeMaskPng(mask), encodeGreyPng({ width: mask.width, height: mask.height, data: grey }, 'adaptive')];
}

/**
 * An 8-bit greyscale image (e.g. a probability map × 255) as PNG. pngjs's default tries all five
 * row filters per row, which pays off on smooth images; a mask or label map is flat regions, where
 * unfiltered rows are runs deflate takes whole: `none` is ~8x faster to encode and smaller too
 * (Kvasir masks: 1.4 kB instead of 1.8 kB), and masks are encoded by the hundred in an import.
 */
export function encodeGreyPng(img: { width: number; height: number; data: Uint8Array }, filter: 'adaptive' | 'none' = 'adaptive'): Buffer {
  const options = { colorType: 0, inputColorType: 0, inputHasAlpha: false, ...(filter === 'none' ? { filterType: 0 } : {}) } as const;
  const png = new PNG({ width: img.width, height: img.height, ...options });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, options);
}

export function decodeMaskPng(bytes: Uint8Array): Mask {
  return decodeMaskFile(bytes);
}

/** The stored value of pixels excluded from the loss, the metrics and the pseudo-label agreement. */
export const IGNORE_LABEL = 255;

/**
 * Ground truth with several structures: one byte per pixel, 0 background, 1..254 a structure's
 * value in the workspace's label schema, IGNORE_LABEL excluded. A binary Mask (0/1) is the label
 * map of structure 1.
 */
export type LabelMap = Mask;

/** A mask file's pixel values as they are (grey level; the mean of R, G, B for colour files), before any rule. */
export function decodeMaskValues(bytes: Uint8Array): LabelMap {
  const rgb = decodeRaster(bytes);
  const data = new Uint8Array(rgb.width * rgb.height);
  for (let i = 0; i < data.length; i++) {
    const k = i * 3;
    data[i] = Math.round((rgb.data[k]! + rgb.data[k + 1]! + rgb.data[k + 2]!) / 3);
  }
  return { width: rgb.width, height: rgb.height, data };
}

/** A stored label map: 8-bit greyscale PNG of the values themselves (no 0/255 scaling). */
export function encodeLabelMapPng(map: LabelMap): Buffer {
  return encodeGreyPng(map, 'none');
}

export function decodeLabelMapPng(bytes: Uint8Array): LabelMap {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  // pngjs hands back RGBA; a grey PNG repeats the value in R, G and B.
  const data = new Uint8Array(png.width * png.height);
  for (let i = 0; i < data.length; i++) data[i] = png.data[i * 4]!;
  return { width: png.width, height: png.height, data };
}

/** What a label map is stored as: the 0/255 PNG of structure 1, and the map's own PNG unless it is binary. */
export interface GroundTruthPngs {
  map: LabelMap;
  mask: Buffer;
  labelMap: Buffer | null;
}

export function groundTruthPngs(map: LabelMap): GroundTruthPngs {
  const hist = valueHistogram(map);
  let binary = hist[IGNORE_LABEL] === 0;
  for (let v = 2; binary && v < IGNORE_LABEL; v++) binary = hist[v] === 0;
  return { map, mask: encodeMaskPng(binary ? map : structureMask(map, 1)), labelMap: binary ? null : encodeLabelMapPng(map) };
}

/** One structure of a label map as a binary mask (ignored pixels are not the structure). */
export function structureMask(map: LabelMap, value: number): Mask {
  const data = new Uint8Array(map.data.length);
  for (let i = 0; i < data.length; i++) data[i] = map.data[i] === value ? 1 : 0;
  return { width: map.width, height: map.height, data };
}

/** The pixels a label map excludes (1) from the loss and the metrics. */
export function ignoreMask(map: LabelMap): Mask {
  return structureMask(map, IGNORE_LABEL);
}

/** Pixels per value, 256 bins. */
export function valueHistogram(map: LabelMap): Uint32Array {
  const h = new Uint32Array(256);
  const data = map.data;
  const n = data.length;
  // Masks are mostly background: four zero pixels at a time, read as one word, cost one test.
  const head = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  let i = 0;
  for (; i < head; i++) h[data[i]!]!++;
  const words = (n - i) >> 2;
  // (With no whole word left, `i` may be short of the word boundary: no view is made then.)
  const view = words > 0 ? new Uint32Array(data.buffer, data.byteOffset + i, words) : new Uint32Array(0);
  let zeros = 0;
  for (let w = 0; w < words; w++, i += 4) {
    if (view[w] === 0) zeros += 4;
    else {
      h[data[i]!]!++;
      h[data[i + 1]!]!++;
      h[data[i + 2]!]!++;
      h[data[i + 3]!]!++;
    }
  }
  for (; i < n; i++) h[data[i]!]!++;
  h[0]! += zeros;
  return h;
}

export function maskArea(mask: Mask): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) n += mask.data[i]!;
  return n;
}
