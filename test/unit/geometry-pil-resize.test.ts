import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/main/imaging/raster';
import { clampByte, resizeRgb } from '../../src/main/imaging/geometry/pil-resize';
import { PlanesKernel } from '../../src/main/imaging/geometry/pil-resize-simd';
import { preprocessSam, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from '../../src/main/teacher/preprocess';
import { samResizedSize } from '../../src/main/imaging/geometry/frames';

/** The rounding PIL's passes do, written the obvious way: the fast clampByte must give the same byte. */
const plainClamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * Pillow's Resample.c for 8-bit images as a plain loop (precompute_coeffs, normalize_coeffs_8bpc,
 * the horizontal then the vertical pass with int32 sums and clip8): the reference the unrolled
 * passes in pil-resize.ts and the SIMD kernel must match byte for byte.
 */
function plainResize(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic'): Uint8Array {
  const support = filter === 'bilinear' ? 1 : 2;
  const weight = (x: number) => {
    if (x < 0) x = -x;
    if (filter === 'bilinear') return x < 1 ? 1 - x : 0;
    const a = -0.5;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  };
  const axis = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    const filterScale = Math.max(1, scale);
    const sup = support * filterScale;
    return Array.from({ length: outSize }, (_, i) => {
      const centre = (i + 0.5) * scale;
      const lo = Math.max(0, Math.trunc(centre - sup + 0.5));
      const n = Math.min(inSize, Math.trunc(centre + sup + 0.5)) - lo;
      const w = Array.from({ length: n }, (_, j) => weight((j + lo - centre + 0.5) * (1 / filterScale)));
      const total = w.reduce((a, b) => a + b, 0);
      const k = w.map((v) => (total !== 0 ? v / total : v) * 2 ** 22).map((v) => (v < 0 ? Math.trunc(v - 0.5) : Math.trunc(v + 0.5)));
      return { lo, k };
    });
  };
  const clip8 = (ss: number) => Math.min(255, Math.max(0, Math.floor(ss / 2 ** 22)));
  const ax = axis(img.width, width), ay = axis(img.height, height);
  const tmp = width === img.width ? img.data : new Uint8Array(width * img.height * 3);
  if (width !== img.width)
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) {
          let ss = 2 ** 21;
          ax[x]!.k.forEach((k, j) => (ss += img.data[(y * img.width + ax[x]!.lo + j) * 3 + c]! * k));
          tmp[(y * width + x) * 3 + c] = clip8(ss);
        }
  if (height === img.height) return tmp.slice();
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let ss = 2 ** 21;
        ay[y]!.k.forEach((k, j) => (ss += tmp[((ay[y]!.lo + j) * width + x) * 3 + c]! * k));
        out[(y * width + x) * 3 + c] = clip8(ss);
      }
  return out;
}

/** The images test/fixtures/pillow-resize/make-goldens.py makes: the same 32-bit generator. */
function noise(width: number, height: number, seed: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  return { width, height, data };
}

function gradient(width: number, height: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.floor((x * 255) / Math.max(1, width - 1));
      data[i + 1] = Math.floor((y * 255) / Math.max(1, height - 1));
      data[i + 2] = ((x + y) * 7) % 256;
    }
  return { width, height, data };
}

/** float32 (v − mean) / std, each step in float32 as PyTorch computes it on SAM's buffers. */
const f32 = Math.fround;
const normalise = (v: number, c: number) => f32(f32(v - f32(SAM_PIXEL_MEAN[c]!)) / f32(SAM_PIXEL_STD[c]!));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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

  it("gives Pillow's own bytes (digests of Pillow 9.4's output in test/fixtures/pillow-resize)", () => {
    const { goldens } = JSON.parse(readFileSync(new URL('../fixtures/pillow-resize/goldens.json', import.meta.url), 'utf8')) as {
      goldens: { image: string; width: number; height: number; seed: number; to: [number, number]; filter: 'bilinear' | 'bicubic'; sha256: string }[];
    };
    expect(goldens.length).toBeGreaterThan(10);
    for (const g of goldens) {
      const img = g.image === 'noise' ? noise(g.width, g.height, g.seed) : gradient(g.width, g.height);
      expect(sha256(resizeRgb(img, g.to[0], g.to[1], g.filter).data), `${g.image} ${g.width}×${g.height} → ${g.to.join('×')} ${g.filter}`).toBe(g.sha256);
    }
  });

  it("SAM's preprocessing (SIMD kernel) equals resize, then float32 (v − mean) / std, then zero padding, bit for bit", () => {
    const arena = new PlanesKernel();
    // small, then large (the arena's memory grows), then small again (stale values must not survive)
    for (const img of [noise(300, 200, 9), noise(1500, 700, 11), noise(200, 300, 10), gradient(97, 61)]) {
      const size = samResizedSize(img.width, img.height);
      const resized = plainResize(img, size.width, size.height, 'bilinear');
      const expected = new Float32Array(3 * 1024 * 1024);
      for (let y = 0; y < size.height; y++)
        for (let x = 0; x < size.width; x++)
          for (let c = 0; c < 3; c++) expected[c * 1024 * 1024 + y * 1024 + x] = normalise(resized[(y * size.width + x) * 3 + c]!, c);
      for (const got of [preprocessSam(img, 'sam', 'nchw').data, preprocessSam(img, 'sam', 'nchw', 'float32', arena).data]) {
        const a = got as Float32Array;
        expect(a.length).toBe(expected.length);
        expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(expected.buffer)), `${img.width}×${img.height}`).toBe(0);
      }
    }
  });

  it('the SIMD kernel equals the scalar resize for shrinking, bicubic (negative lobes) and kept axes', () => {
    const arena = new PlanesKernel();
    const mean = [10, 20, 30], std = [2, 3, 4];
    const cases: [Rgb, number, number, 'bilinear' | 'bicubic'][] = [
      [noise(1500, 700, 3), 1024, 478, 'bicubic'],
      [noise(61, 43, 4), 17, 12, 'bilinear'],
      [noise(40, 90, 5), 81, 30, 'bicubic'],
      [noise(1, 5, 6), 7, 3, 'bilinear'],
      [noise(33, 33, 7), 33, 64, 'bicubic'],
      [noise(64, 40, 8), 64, 40, 'bilinear'],
    ];
    for (const [img, w, h, filter] of cases) {
      const bytes = resizeRgb(img, w, h, filter).data;
      const side = Math.ceil(Math.max(w, h) / 16) * 16;
      const planes = arena.resizeToPlanes(img, w, h, filter, mean, std, side);
      const expected = new Float32Array(3 * side * side);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let c = 0; c < 3; c++) expected[c * side * side + y * side + x] = f32(f32(bytes[(y * w + x) * 3 + c]! - mean[c]!) / std[c]!);
      expect(Buffer.compare(Buffer.from(planes.buffer, planes.byteOffset, planes.byteLength), Buffer.from(expected.buffer)), `${img.width}×${img.height} → ${w}×${h} ${filter}`).toBe(0);
    }
    expect(() => arena.resizeToPlanes(noise(10, 10, 1), 200, 100, 'bilinear', mean, std, 128)).toThrow(/200×100 planes in 128×128/);
  });
});
