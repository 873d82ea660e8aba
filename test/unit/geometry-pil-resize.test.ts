import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/main/imaging/raster';
import { clampByte, resizeRgb } from '../../src/main/imaging/geometry/pil-resize';
import { preprocessSam, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from '../../src/main/teacher/preprocess';
import { samResizedSize } from '../../src/main/imaging/geometry/frames';

/** The rounding PIL's passes do, written the obvious way: the fast clampByte must give the same byte. */
const plainClamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * PIL's antialiased separable resize as a plain loop (weights per output pixel, normalised, each
 * pass rounded to 8 bits): the reference the unrolled passes in pil-resize.ts must match byte for byte.
 */
function plainResize(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic'): Uint8Array {
  const kernel =
    filter === 'bilinear'
      ? { support: 1, weight: (x: number) => Math.max(0, 1 - Math.abs(x)) }
      : {
          support: 2,
          weight: (x: number) => {
            const a = -0.5;
            x = Math.abs(x);
            if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
            if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
            return 0;
          },
        };
  const axis = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    const filterScale = Math.max(1, scale);
    const support = kernel.support * filterScale;
    return Array.from({ length: outSize }, (_, i) => {
      const centre = (i + 0.5) * scale;
      const lo = Math.max(0, Math.floor(centre - support));
      const hi = Math.min(inSize, Math.ceil(centre + support));
      const n = Math.min(Math.ceil(support) * 2 + 1, hi - lo);
      const w = new Float32Array(n);
      let total = 0;
      for (let j = 0; j < n; j++) total += w[j] = kernel.weight((lo + j + 0.5 - centre) / filterScale);
      for (let j = 0; j < n; j++) w[j]! /= total || 1;
      return { lo, w };
    });
  };
  const ax = axis(img.width, width), ay = axis(img.height, height);
  const tmp = new Uint8Array(width * img.height * 3);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        ax[x]!.w.forEach((w, j) => (s += img.data[(y * img.width + ax[x]!.lo + j) * 3 + c]! * w));
        tmp[(y * width + x) * 3 + c] = plainClamp(s);
      }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        ay[y]!.w.forEach((w, j) => (s += tmp[((ay[y]!.lo + j) * width + x) * 3 + c]! * w));
        out[(y * width + x) * 3 + c] = plainClamp(s);
      }
  return out;
}

function noise(width: number, height: number, seed: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width, height, data };
}

describe('PIL resize passes', () => {
  it('clampByte is the plain clamp-and-round, on edge values and a dense sweep', () => {
    const values: number[] = [NaN, -0, 0, -1e-300, 1e-300, Number.MIN_VALUE, -0.5, 0.5, 254.5, 255, 255.5, 256, -1e9, 1e9, Infinity, -Infinity];
    for (let n = -2; n <= 257; n++) {
      const half = n + 0.5;
      values.push(n, half, n - Number.EPSILON * Math.max(1, Math.abs(n)), n + Number.EPSILON * Math.max(1, Math.abs(n)));
      // the doubles right beside each .5 tie, where a sloppy round-half-up goes wrong
      const f = new Float64Array([half]);
      const bits = new BigInt64Array(f.buffer);
      for (const d of [-2n, -1n, 1n, 2n]) {
        const g = new BigInt64Array([bits[0]! + d]);
        values.push(new Float64Array(g.buffer)[0]!);
      }
    }
    for (let i = 0; i <= 300 * 4096; i++) values.push(i / 4096 - 10);
    let s = 7;
    for (let i = 0; i < 200_000; i++) values.push(((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 280 - 10);
    const bytesFast = new Uint8Array(values.length), bytesPlain = new Uint8Array(values.length);
    values.forEach((v, i) => {
      bytesFast[i] = clampByte(v);
      bytesPlain[i] = plainClamp(v);
    });
    expect(Buffer.compare(Buffer.from(bytesFast), Buffer.from(bytesPlain))).toBe(0);
    expect(values.filter((v) => !Number.isNaN(v) && clampByte(v) !== plainClamp(v))).toEqual([]);
  });

  it('resizeRgb equals the plain loop byte for byte: bilinear and bicubic, enlarging and shrinking', () => {
    const cases: [Rgb, number, number][] = [
      [noise(61, 43, 1), 100, 71], // SAM's usual case: enlarge (2–3 taps)
      [noise(61, 43, 2), 17, 12], // shrink: antialiased, wide taps
      [noise(40, 90, 3), 81, 30], // enlarge one axis, shrink the other
      [noise(1, 5, 4), 7, 3],
      [noise(33, 33, 5), 33, 64],
    ];
    for (const [img, w, h] of cases)
      for (const filter of ['bilinear', 'bicubic'] as const) {
        const fast = resizeRgb(img, w, h, filter).data;
        expect(Buffer.compare(Buffer.from(fast), Buffer.from(plainResize(img, w, h, filter))), `${img.width}×${img.height} → ${w}×${h} ${filter}`).toBe(0);
      }
  });

  it("SAM's fused preprocessing equals resize, then (v − mean) / std as float32, then zero padding, bit for bit", () => {
    for (const img of [noise(300, 200, 9), noise(200, 300, 10), noise(1500, 700, 11)]) {
      const size = samResizedSize(img.width, img.height);
      const resized = plainResize(img, size.width, size.height, 'bilinear');
      const expected = new Float32Array(3 * 1024 * 1024);
      for (let y = 0; y < size.height; y++)
        for (let x = 0; x < size.width; x++)
          for (let c = 0; c < 3; c++) expected[c * 1024 * 1024 + y * 1024 + x] = (resized[(y * size.width + x) * 3 + c]! - SAM_PIXEL_MEAN[c]!) / SAM_PIXEL_STD[c]!;
      const into = new Float32Array(3 * 1024 * 1024).fill(3); // a reused buffer's stale values must not survive
      for (const got of [preprocessSam(img, 'sam', 'nchw').data, preprocessSam(img, 'sam', 'nchw', 'float32', into).data]) {
        const a = got as Float32Array;
        expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(expected.buffer)), `${img.width}×${img.height}`).toBe(0);
      }
    }
  });
});
