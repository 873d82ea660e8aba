import { describe, expect, it } from 'vitest';
import { decodeLimits } from '../../src/main/imaging/decode-limits';
import { decodeDicom } from '../../src/main/imaging/dicom';
import { decodeRaster } from '../../src/main/imaging/raster';
import { nativeDicom, pngBomb, pngWithHeader } from '../fixtures/hostile-files';

describe('decoding is bounded before allocation', () => {
  it('refuses a 70-byte PNG whose header claims 2^31−1 pixels wide (pngjs would abort the process)', () => {
    const file = pngWithHeader(0x7fffffff, 1);
    expect(file.length).toBeLessThan(80);
    expect(() => decodeRaster(file)).toThrow(/2147483647×1 .*above the limit/);
  });

  it('refuses PNG headers that are not images: zero size, a width past the spec, unknown colour types', () => {
    expect(() => decodeRaster(pngWithHeader(0, 10))).toThrow(/invalid size 0×10/);
    expect(() => decodeRaster(pngWithHeader(0x80000000, 1))).toThrow(/invalid size/);
    const badType = pngWithHeader(4, 4);
    badType[25] = 7; // colour type byte inside IHDR
    expect(() => decodeRaster(badType)).toThrow(/colour type 7/);
  });

  it('refuses a header claiming 30000×30000 without decoding it, in milliseconds', () => {
    const t0 = performance.now();
    expect(() => decodeRaster(pngWithHeader(30000, 30000))).toThrow(/900 megapixels, above the limit of 100/);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('refuses a real decompression bomb under a pixel limit, and decodes it when the setting allows', () => {
    const bomb = pngBomb(1500); // 2.25 MP of black in a few KB
    expect(bomb.length).toBeLessThan(20_000);
    expect(() => decodeRaster(bomb, decodeLimits({ maxPixels: 1e6 }))).toThrow(/1500×1500 is 2 megapixels, above the limit of 1/);
    const img = decodeRaster(bomb, decodeLimits({ maxPixels: 4e6 }));
    expect([img.width, img.height]).toEqual([1500, 1500]);
  });

  it('the pixel limit is settable from the environment', () => {
    process.env.APPRENTICE_MAX_PIXELS = '500';
    try {
      expect(decodeLimits().maxPixels).toBe(500);
      expect(() => decodeRaster(pngBomb(30))).toThrow(/above the limit/);
    } finally {
      delete process.env.APPRENTICE_MAX_PIXELS;
    }
  });

  it('refuses a 100 KB DICOM with 100,000 frames of 1×1 before making a frame', async () => {
    const file = nativeDicom(1, 1, 100_000);
    expect(file.length).toBeLessThan(110_000);
    await expect(decodeDicom(file)).rejects.toThrow(/100000 frames, above the limit of 10000/);
  });

  it('refuses DICOM frames whose total decoded size is beyond the byte limit, and decodes within it', async () => {
    const file = nativeDicom(64, 64, 20);
    process.env.APPRENTICE_MAX_DECODED_BYTES = String(64 * 64 * 10);
    try {
      await expect(decodeDicom(file)).rejects.toThrow(/20 frames decode to .* above the limit/);
    } finally {
      delete process.env.APPRENTICE_MAX_DECODED_BYTES;
    }
    const { frames } = await decodeDicom(file);
    expect(frames).toHaveLength(20);
  });
});
