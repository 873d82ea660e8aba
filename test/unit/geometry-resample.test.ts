import { describe, expect, it } from 'vitest';
import { lowResFrame, teacherFrame, wholeImage } from '../../src/main/imaging/geometry/frames';
import { downscaleRgb, resampleRgb, upsampleThresholded } from '../../src/main/imaging/geometry/resample';

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
});
