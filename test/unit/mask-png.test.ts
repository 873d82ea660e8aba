import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLabelMapPng, decodeMaskFile, decodeMaskPng, encodeGreyPng, encodeLabelMapPng, encodeMaskPng, IGNORE_LABEL } from '../../src/main/imaging/mask';
import { KVASIR_MASKS } from '../helpers/data';

// Masks and label maps are stored as unfiltered greyscale PNGs (cheap to make by the hundred in an
// import): what goes in must come back pixel for pixel, and the rows must really be unfiltered.

/** Each row's PNG filter byte (the first byte of every row of the inflated IDAT data; 8-bit grey). */
function rowFilters(png: Buffer): number[] {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  return Array.from({ length: height }, (_, y) => raw[y * (width + 1)]!);
}

describe('stored mask and label-map PNGs', () => {
  const kvasir = readdirSync(KVASIR_MASKS).sort().slice(0, 3).map((n) => decodeMaskFile(readFileSync(join(KVASIR_MASKS, n))));

  it('a Kvasir mask comes back exactly, with unfiltered rows, no larger than the adaptive filters make it', () => {
    for (const mask of kvasir) {
      const png = encodeMaskPng(mask);
      expect(decodeMaskPng(png)).toEqual(mask);
      expect(new Set(rowFilters(png))).toEqual(new Set([0]));
      const grey = mask.data.map((v) => v * 255);
      expect(png.length).toBeLessThanOrEqual(encodeGreyPng({ ...mask, data: grey }, 'adaptive').length);
    }
  });

  it('a label map keeps every value, ignore included, at odd sizes', () => {
    for (const [width, height] of [[1, 1], [7, 3], [33, 17]] as const) {
      const data = new Uint8Array(width * height).map((_, i) => [0, 1, 2, 7, 254, IGNORE_LABEL][(i * 5 + (i >> 3)) % 6]!);
      const png = encodeLabelMapPng({ width, height, data });
      expect(decodeLabelMapPng(png)).toEqual({ width, height, data });
      expect(new Set(rowFilters(png))).toEqual(new Set([0]));
    }
  });

  it('other grey images keep the adaptive filters', () => {
    const width = 64;
    const ramp = new Uint8Array(width * width).map((_, i) => (i % width) * 4 + (i >> 6));
    expect(rowFilters(encodeGreyPng({ width, height: width, data: ramp })).some((f) => f !== 0)).toBe(true);
  });
});
