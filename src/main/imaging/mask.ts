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
  return encodeGreyPng({ width: mask.width, height: mask.height, data: grey });
}

/** An 8-bit greyscale image (e.g. a probability map × 255) as PNG. */
export function encodeGreyPng(img: { width: number; height: number; data: Uint8Array }): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

export function decodeMaskPng(bytes: Uint8Array): Mask {
  return decodeMaskFile(bytes);
}

export function maskArea(mask: Mask): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) n += mask.data[i]!;
  return n;
}
