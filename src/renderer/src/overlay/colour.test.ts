import { describe, expect, it } from 'vitest';
import { COLOURS, heatRgba, hexToRgb, maskRgba, rgbCss } from './colour';

describe('overlay colours', () => {
  it('reads #rrggbb and writes css rgb()', () => {
    expect(hexToRgb('#ff40c8')).toEqual([255, 64, 200]);
    expect(hexToRgb(COLOURS.truth)).toEqual([0, 230, 118]);
    expect(rgbCss([255, 152, 0])).toBe('rgb(255,152,0)');
  });

  it('colours a mask pixel only where the mask is on (> 127)', () => {
    const out = new Uint8ClampedArray(8);
    maskRgba(255, [1, 2, 3], out, 0);
    maskRgba(127, [1, 2, 3], out, 4);
    expect([...out]).toEqual([1, 2, 3, 255, 1, 2, 3, 0]);
  });

  it('heat map: transparent blue at 0, opaque red at 1, alpha growing with p', () => {
    const out = new Uint8ClampedArray(12);
    heatRgba(0, out, 0);
    heatRgba(128, out, 4);
    heatRgba(255, out, 8);
    expect([...out.slice(0, 4)]).toEqual([0, 0, 255, 0]);
    expect([...out.slice(8, 12)]).toEqual([255, 77, 0, 255]);
    expect(out[7]).toBeGreaterThan(0);
    expect(out[7]).toBeLessThan(255);
  });
});
