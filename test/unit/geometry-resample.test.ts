import { describe, expect, it } from 'vitest';
import { lowResFrame, teacherFrame, wholeImage } from '../../src/main/imaging/geometry/frames';
import { toFrame, type Frame } from '../../src/main/imaging/geometry/frames';
import { downscaleRgb, resampleRgb, upsampleThresholded } from '../../src/main/imaging/geometry/resample';
import { seededRandom } from '../../src/main/util/random';

describe('thumbnails (area filter)', () => {
  it('fits the longer side, keeps the aspect, never upscales', () => {
    const img = { width: 1920, height: 1080, data: new Uint8Array(1920 * 1080 * 3).fill(90) };
    const t = downscaleRgb(img, 256);
    expect([t.width, t.height]).toEqual([256, 144]);
    expect(new Set(t.data)).toEqual(new Set([90]));
    const small = { width: 20, height: 10, data: Uint8Array.from({ length: 600 }, (_, i) => i % 256) };
    expect(downscaleRgb(small, 256)).toEqual(small);
  });

  it('is the rounded exact area mean (the old integer-bin version truncated 0.5 to 0)', () => {
    // 4×2 → 2×1: each output averages a 2×2 block.
    const data = Uint8Array.from([0, 0, 0, 1, 1, 1, 10, 20, 30, 10, 20, 30, 1, 1, 1, 0, 0, 0, 10, 20, 30, 12, 22, 32]);
    const t = downscaleRgb({ width: 4, height: 2, data }, 2);
    expect(Array.from(t.data)).toEqual([1, 1, 1, 11, 21, 31]);
  });

  it('spreads a one-pixel line over the pixels it covers instead of dropping or doubling it', () => {
    // 9 → 6 columns: a bright column at source x = 4 covers output pixels 2 and 3 ([4, 5)·6/9).
    const w = 9, h = 9;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.fill(255, (y * w + 4) * 3, (y * w + 5) * 3);
    const t = resampleRgb({ width: w, height: h, data }, wholeImage(w, h), 6, 6);
    const row = Array.from({ length: 6 }, (_, x) => t.data[(3 * 6 + x) * 3]!);
    expect(row).toEqual([0, 0, 85, 85, 0, 0]);
  });
});

describe('low-res logits → source mask', () => {
  it('samples the 256 grid bilinearly at source pixel centres (a ramp crosses the threshold where the frames say)', () => {
    const n = 256;
    const ramp = new Float32Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) ramp[y * n + x] = x - 127.5;
    // 1024×512 for SAM: the 1024 frame is the source itself, so grid g = (u + 0.5)/4 − 0.5 > 127.5 ⇔ u ≥ 512.
    const { data, area } = upsampleThresholded(ramp, 0, lowResFrame(teacherFrame('sam', 1024, 512)), 1024, 512, 0);
    expect(area).toBe(512 * 512);
    for (const y of [0, 255, 511]) {
      expect(data[y * 1024 + 511]).toBe(0);
      expect(data[y * 1024 + 512]).toBe(1);
    }
  });

  it('reads the mask at `offset` and clamps at the border', () => {
    const n = 256;
    const two = new Float32Array(2 * n * n).fill(-1);
    two.fill(1, n * n);
    const on = upsampleThresholded(two, n * n, lowResFrame(teacherFrame('medsam', 37, 5)), 37, 5, 0);
    expect(on.area).toBe(37 * 5);
    const off = upsampleThresholded(two, 0, lowResFrame(teacherFrame('medsam', 37, 5)), 37, 5, 0);
    expect(off.area).toBe(0);
  });

  it('equals the plain interpolation at every pixel, with the grid rows, columns and cells whose sign is settled skipped', () => {
    // the formula written plainly: every pixel interpolated, whatever its neighbours
    const plain = (values: Float32Array, offset: number, grid: Frame, width: number, height: number, threshold: number) => {
      const data = new Uint8Array(width * height);
      const at = (x: number, y: number) => values[offset + y * grid.width + x]!;
      for (let v = 0; v < height; v++)
        for (let u = 0; u < width; u++) {
          const x = Math.fround(Math.min(grid.width - 1, Math.max(0, toFrame(grid, { x: u + 0.5, y: 0 }).x - 0.5)));
          const y = Math.fround(Math.min(grid.height - 1, Math.max(0, toFrame(grid, { x: 0, y: v + 0.5 }).y - 0.5)));
          const x0 = Math.floor(x), x1 = Math.min(grid.width - 1, x0 + 1), fx = x - x0;
          const y0 = Math.floor(y), y1 = Math.min(grid.height - 1, y0 + 1), fy = y - y0;
          const val = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
          data[v * width + u] = val > threshold ? 1 : 0;
        }
      return data;
    };
    const n = 256;
    const random = seededRandom(5);
    // background logits with blobs of positive ones, a grid with none, one with a lone positive value, and one all positive
    const blobs = Float32Array.from({ length: n * n }, () => -2 - random() * 8);
    for (const [cx, cy, r] of [[40, 60, 12], [200, 180, 30], [128, 250, 5]] as const)
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) blobs[y * n + x] = random() * 6 - 1;
    const none = new Float32Array(n * n).fill(-3);
    const lone = none.slice();
    lone[100 * n + 3] = 0.5;
    const all = new Float32Array(n * n).fill(1);
    // a mask over most of the image (interior cells on, a long boundary mixed), like the real-size fixture's
    const large = Float32Array.from({ length: n * n }, (_, i) => 90 - Math.hypot((i % n) - 120, Math.floor(i / n) - 140) + (random() - 0.5) * 4);
    // values where a shortcut could go wrong: the smallest float32 (its products must not underflow to 0),
    // −0, ±∞ (∞·0 is NaN) and NaN, sprinkled over a positive and a negative field
    const tricky = Float32Array.from({ length: n * n }, (_, i) => ((i >> 9) % 2 ? 1e-45 : -1e-45));
    for (let i = 0; i < n * n; i += 97) tricky[i] = [-0, Infinity, -Infinity, NaN, 0][(i / 97) % 5]!;
    for (const [name, values] of [['blobs', blobs], ['none', none], ['lone', lone], ['all', all], ['large', large], ['tricky', tricky]] as const)
      for (const [w, h] of [[622, 529], [1024, 1024], [37, 5], [300, 900]] as const)
        for (const threshold of [0, 0.5, -1]) {
          const grid = lowResFrame(teacherFrame('sam', w, h));
          const got = upsampleThresholded(values, 0, grid, w, h, threshold);
          const want = plain(values, 0, grid, w, h, threshold);
          expect(Buffer.compare(Buffer.from(got.data), Buffer.from(want)), `${name} ${w}×${h} > ${threshold}`).toBe(0);
          expect(got.area, `${name} ${w}×${h} > ${threshold}`).toBe(want.reduce((a, b) => a + b, 0));
        }
  });
});

