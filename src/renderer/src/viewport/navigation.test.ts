import { describe, expect, it } from 'vitest';
import { MAX_SCALE, MIN_SCALE, clampToImage, panned, windowed, zoomed } from './navigation';

describe('viewport navigation', () => {
  it('zooms 10 % a notch, within limits', () => {
    expect(zoomed(1, -1)).toBeCloseTo(1.1);
    expect(zoomed(1.1, 1)).toBeCloseTo(1);
    expect(zoomed(MAX_SCALE, -1)).toBe(MAX_SCALE);
    expect(zoomed(MIN_SCALE, 1)).toBe(MIN_SCALE);
  });

  it('pans by screen pixels whatever the zoom', () => {
    expect(panned({ x: 1, y: 2 }, 10, -20, 2)).toEqual({ x: 6, y: -8 });
  });

  it('windows faster on a wide value range, never below width 1', () => {
    const ct = { minPixelValue: -1024, maxPixelValue: 3071, slope: 1 };
    const rgb8 = { minPixelValue: 0, maxPixelValue: 255, slope: 1 };
    const voi = { windowCenter: 40, windowWidth: 400 };
    expect(windowed(voi, 512, 0, ct).windowWidth).toBeCloseTo(400 + 4095);
    expect(windowed(voi, 0, 512, rgb8).windowCenter).toBeCloseTo(40 + 255);
    expect(windowed(voi, -10_000, 0, ct).windowWidth).toBe(1);
  });

  it('clamps a point to the image', () => {
    expect(clampToImage({ x: -3, y: 900 }, 640, 480)).toEqual({ x: 0, y: 480 });
  });
});
