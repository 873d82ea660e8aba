import { describe, expect, it } from 'vitest';
import { distance, ellipseStats, lengthText, maskStats, statsText } from './measure';

describe('measurements', () => {
  it('measures in mm with anisotropic spacing [row, column]', () => {
    // 30 columns at 0.5 mm and 40 rows at 0.75 mm: 15 mm across, 30 mm down.
    const l = distance({ x: 0, y: 0 }, { x: 30, y: 40 }, [0.75, 0.5]);
    expect(l.unit).toBe('mm');
    expect(l.value).toBeCloseTo(Math.hypot(15, 30));
    expect(lengthText(l)).toBe('33.5 mm');
  });

  it('falls back to pixels and says so', () => {
    const l = distance({ x: 1, y: 1 }, { x: 4, y: 5 }, null);
    expect(l).toEqual({ value: 5, unit: 'px' });
    expect(lengthText(l)).toBe('5 px (no pixel spacing)');
  });

  it('ellipse ROI: mean, SD and area of the values inside', () => {
    const w = 20;
    const h = 20;
    // Left half 0, right half 100: a circle centred on the border sees half of each.
    const value = (i: number) => ((i % w) < 10 ? 0 : 100);
    const s = ellipseStats({ a: { x: 4, y: 4 }, b: { x: 16, y: 16 } }, w, h, value, [0.5, 0.5])!;
    expect(s.mean).toBeCloseTo(50, 0);
    expect(s.sd).toBeCloseTo(50, 0);
    expect(s.min).toBe(0);
    expect(s.max).toBe(100);
    // A 12-pixel circle: π·6² ≈ 113 pixels, each 0.25 mm².
    expect(s.pixels).toBeGreaterThan(100);
    expect(s.pixels).toBeLessThan(125);
    expect(s.area).toBeCloseTo(s.pixels * 0.25);
    expect(s.areaUnit).toBe('mm²');
    expect(statsText(s, ' HU')).toContain('mean 50.0 HU');
  });

  it('a uniform region has SD 0; a flat ellipse has no statistics', () => {
    const s = ellipseStats({ a: { x: 0, y: 0 }, b: { x: 8, y: 8 } }, 8, 8, () => -1000, null)!;
    expect(s.mean).toBe(-1000);
    expect(s.sd).toBe(0);
    expect(s.areaUnit).toBe('px²');
    expect(ellipseStats({ a: { x: 2, y: 2 }, b: { x: 6, y: 2 } }, 8, 8, () => 1, null)).toBeNull();
  });

  it('mask ROI: only pixels whose alpha says "in"', () => {
    const w = 4;
    const h = 2;
    const alpha = new Uint8Array(w * h);
    alpha[0] = 255; // (0,0)
    alpha[1 * w + 3] = 200; // (3,1)
    alpha[1 * w + 1] = 100; // (1,1): antialiased edge, out
    const s = maskStats(alpha, w, h, (i) => i, [2, 3])!;
    expect(s.pixels).toBe(2);
    expect(s.mean).toBe((0 + 7) / 2);
    expect(s.area).toBe(12);
    expect(maskStats(new Uint8Array(8), w, h, () => 0, null)).toBeNull();
  });
});
