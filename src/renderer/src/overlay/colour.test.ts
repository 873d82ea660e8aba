import { describe, expect, it } from 'vitest';
import { AGE_PALETTE, COLOURS, LEGEND, heatRgba, hexToRgb, maskRgba, rgbCss, versionColour } from './colour';

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

describe('one colour per layer kind', () => {
  it('never gives two layer kinds of the legend the same colour', () => {
    const colours = LEGEND.map((l) => l.colour.toLowerCase());
    expect(new Set(colours).size).toBe(colours.length);
    // The SAM proposal and the refined student were both magenta once.
    expect(COLOURS.refine).not.toBe(COLOURS.teacher);
    expect(AGE_PALETTE).not.toContain(COLOURS.teacher);
  });

  it('colours a version by age, the latest the same everywhere', () => {
    expect(versionColour(0)).toBe(AGE_PALETTE[0]);
    expect(versionColour(AGE_PALETTE.length)).toBe(AGE_PALETTE[0]);
  });
});
