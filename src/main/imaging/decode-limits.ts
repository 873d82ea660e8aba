import { positiveEnv } from '../util/env';

/**
 * Bounds on what one file may make us allocate, checked from headers before any pixel is decoded.
 * A few hundred bytes of header can claim gigabytes of pixels (a PNG whose IHDR says 30000×30000, a
 * DICOM with 100,000 frames of 1×1); decoding first and checking after is how a workstation runs
 * out of memory. Every limit is a setting: the environment variables below override the defaults
 * for a machine that really holds larger images.
 */
export interface DecodeLimits {
  /** Pixels in one image or frame. */
  maxPixels: number;
  /** Frames in one DICOM file (each becomes an image row). */
  maxFrames: number;
  /** Decoded bytes of one file, all frames together. */
  maxDecodedBytes: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxPixels: 100e6,
  maxFrames: 10_000,
  maxDecodedBytes: 2 ** 30,
});

const ENV: Record<keyof DecodeLimits, string> = {
  maxPixels: 'APPRENTICE_MAX_PIXELS',
  maxFrames: 'APPRENTICE_MAX_FRAMES',
  maxDecodedBytes: 'APPRENTICE_MAX_DECODED_BYTES',
};

export function decodeLimits(overrides: Partial<DecodeLimits> = {}): DecodeLimits {
  const limits = { ...DEFAULT_DECODE_LIMITS };
  for (const key of Object.keys(ENV) as (keyof DecodeLimits)[]) {
    const fromEnv = positiveEnv(ENV[key]);
    if (fromEnv !== null) limits[key] = fromEnv;
    const given = overrides[key];
    if (given !== undefined && Number.isFinite(given) && given > 0) limits[key] = given;
  }
  return limits;
}

export class DecodeLimitError extends Error {}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}

/** Throws before allocation when an image's claimed size is beyond the limits. */
export function checkImageSize(what: string, width: number, height: number, bytesPerPixel: number, limits = decodeLimits()): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new DecodeLimitError(`${what}: invalid size ${width}×${height}`);
  }
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new DecodeLimitError(
      `${what}: ${width}×${height} is ${(pixels / 1e6).toFixed(0)} megapixels, above the limit of ${(limits.maxPixels / 1e6).toFixed(0)} (APPRENTICE_MAX_PIXELS)`,
    );
  }
  const bytes = pixels * bytesPerPixel;
  if (bytes > limits.maxDecodedBytes) {
    throw new DecodeLimitError(`${what}: ${width}×${height} decodes to ${mib(bytes)}, above the limit of ${mib(limits.maxDecodedBytes)} (APPRENTICE_MAX_DECODED_BYTES)`);
  }
}

/**
 * Throws when a file claims more frames than the limit. Apart from checkFrames because a header
 * reader must ask it before anything it builds per frame (positions, offsets), when the frame size
 * may not be known or valid yet.
 */
export function checkFrameCount(frames: number, limits = decodeLimits()): void {
  if (frames > limits.maxFrames) {
    throw new DecodeLimitError(`${frames} frames, above the limit of ${limits.maxFrames} per file (APPRENTICE_MAX_FRAMES)`);
  }
}

/** Throws when a multi-frame file claims more frames, or more decoded bytes, than the limits allow. */
export function checkFrames(frames: number, bytesPerFrame: number, limits = decodeLimits()): void {
  checkFrameCount(frames, limits);
  const total = frames * bytesPerFrame;
  if (total > limits.maxDecodedBytes) {
    throw new DecodeLimitError(
      `${frames} frames decode to ${mib(total)}, above the limit of ${mib(limits.maxDecodedBytes)} per file (APPRENTICE_MAX_DECODED_BYTES)`,
    );
  }
}
