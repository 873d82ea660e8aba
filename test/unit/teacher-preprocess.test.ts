import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/main/imaging/raster';
import { resizeRgb } from '../../src/main/imaging/geometry/pil-resize';
import { preprocessForTeacher, preprocessMedSam, preprocessSam, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from '../../src/main/teacher/preprocess';

function solid(width: number, height: number, rgb: [number, number, number]): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

function gradient(width: number, height: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([Math.round((255 * x) / (width - 1)), Math.round((255 * y) / (height - 1)), 77], (y * width + x) * 3);
  return { width, height, data };
}

const P = 1024 * 1024;

describe('teacher preprocessing', () => {
  it('resize keeps a constant image constant and follows a gradient', () => {
    const r = resizeRgb(solid(37, 23, [10, 200, 99]), 101, 9);
    expect(r.width).toBe(101);
    expect(new Set(r.data.filter((_, i) => i % 3 === 0))).toEqual(new Set([10]));
    const g = resizeRgb(gradient(300, 200), 150, 100);
    for (let x = 1; x < 150; x++) expect(g.data[(50 * 150 + x) * 3]!).toBeGreaterThanOrEqual(g.data[(50 * 150 + x - 1) * 3]!);
    expect(Math.abs(g.data[(50 * 150 + 75) * 3]! - 128)).toBeLessThanOrEqual(2);
  });

  it('SAM/MobileSAM nchw: longest side → 1024, mean/std per channel, zero padding bottom/right', () => {
    for (const family of ['sam', 'mobilesam'] as const) {
      const img = solid(600, 300, [200, 100, 50]);
      const inp = preprocessSam(img, family, 'nchw');
      expect(inp.dims).toEqual([1, 3, 1024, 1024]);
      expect(inp.type).toBe('float32');
      const d = inp.data as Float32Array;
      const expected = [200, 100, 50].map((v, c) => (v - SAM_PIXEL_MEAN[c]!) / SAM_PIXEL_STD[c]!);
      for (let c = 0; c < 3; c++) {
        expect(d[c * P + 0]).toBeCloseTo(expected[c]!, 5); // top-left
        expect(d[c * P + 511 * 1024 + 1023]).toBeCloseTo(expected[c]!, 5); // last row of the image (512 rows)
        expect(d[c * P + 512 * 1024 + 10]).toBe(0); // padding below
      }
      expect(inp.frame.sx).toBeCloseTo(1024 / 600, 9);
    }
    // a portrait image pads on the right
    const tall = preprocessSam(solid(300, 600, [255, 255, 255]), 'sam', 'nchw');
    expect((tall.data as Float32Array)[100 * 1024 + 511]).not.toBe(0);
    expect((tall.data as Float32Array)[100 * 1024 + 512]).toBe(0);
  });

  it('SAM hwc: the resized 0..255 image as [h,w,3] (the export normalises and pads inside)', () => {
    const inp = preprocessForTeacher(solid(600, 300, [200, 100, 50]), 'sam', 'hwc', 'float32');
    expect(inp.dims).toEqual([512, 1024, 3]);
    expect(Array.from(inp.data.subarray(0, 3))).toEqual([200, 100, 50]);
    const u8 = preprocessForTeacher(solid(600, 300, [200, 100, 50]), 'mobilesam', 'hwc', 'uint8');
    expect(u8.data).toBeInstanceOf(Uint8Array);
    expect(u8.recipe).not.toBe(inp.recipe);
  });

  it('MedSAM: stretched to 1024×1024, min–max to [0,1], no padding', () => {
    const inp = preprocessMedSam(gradient(640, 200));
    expect(inp.dims).toEqual([1, 3, 1024, 1024]);
    const d = inp.data as Float32Array;
    let min = Infinity, max = -Infinity;
    for (const v of d) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // the bottom-right pixel is image, not padding: red and green both near 1
    expect(d[0 * P + P - 1]).toBeGreaterThan(0.95);
    expect(d[1 * P + P - 1]).toBeGreaterThan(0.95);
    expect(inp.frame.sx).toBeCloseTo(1024 / 640, 9);
    expect(inp.frame.sy).toBeCloseTo(1024 / 200, 9);
    expect(() => preprocessForTeacher(gradient(10, 10), 'medsam', 'hwc')).toThrow(/MedSAM/);
  });

  it('upscales small images too', () => {
    const inp = preprocessSam(solid(64, 32, [123, 116, 103]), 'sam', 'hwc');
    expect(inp.dims).toEqual([512, 1024, 3]);
  });
});
