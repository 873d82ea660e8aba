import { describe, expect, it } from 'vitest';
import { decodeCompactLabelMap, encodeCompactLabelMap } from '../../../shared/compact-label-map';
import { hasNoStructure, IGNORE_VALUE, layerOf, paintValues, structureAlpha, valuePixels, withLayer } from './label-map';

const on = 255;

describe('painting values into a label map', () => {
  const map = Uint8Array.from([0, 1, 1, 2, 2, 0]);

  it('a brush layer of structure 2 takes the pixels it covers, over structure 1, and keeps the rest', () => {
    // The layer starts as structure 2's pixels (3, 4); the stroke adds 1 and 5.
    const layer = Uint8Array.from([0, on, 0, on, on, on]);
    expect([...withLayer(map, layer, 2)]).toEqual([0, 2, 1, 2, 2, 2]);
  });

  it('the eraser sets 0 where it took the selected structure off, other structures untouched', () => {
    const layer = layerOf(map, 2);
    layer[3] = 0;
    expect([...withLayer(map, layer, 2)]).toEqual([0, 1, 1, 0, 2, 0]);
  });

  it('the ignore brush paints 255, and an empty label with ignore only has no structure', () => {
    const ignored = withLayer(new Uint8Array(4), Uint8Array.from([0, on, on, 0]), IGNORE_VALUE);
    expect([...ignored]).toEqual([0, 255, 255, 0]);
    expect(hasNoStructure(ignored)).toBe(true);
    expect(hasNoStructure(withLayer(ignored, Uint8Array.from([on, 0, 0, 0]), 1))).toBe(false);
    expect([...structureAlpha(Uint8Array.from([0, 1, 255, 3]))]).toEqual([0, 255, 0, 255]);
  });

  it('antialiased layer edges count as on above half, as the binary label always did', () => {
    expect([...withLayer(new Uint8Array(3), Uint8Array.from([127, 128, 255]), 1)]).toEqual([0, 1, 1]);
  });

  it('never changes the map it was given (history keeps it as a snapshot)', () => {
    const before = [...map];
    withLayer(map, new Uint8Array(6), 1);
    expect([...map]).toEqual(before);
  });

  it('counts pixels per value and colours every value but the layer being painted', () => {
    expect([...valuePixels(Uint8Array.from([0, 1, 2, 2, 255]))]).toEqual([
      [1, 1],
      [2, 2],
      [255, 1],
    ]);
    const out = paintValues(Uint8Array.from([0, 1, 2, 7]), 4, 2, (v) => (v === 1 ? [10, 20, 30] : null), new Uint8ClampedArray(16));
    expect([...out]).toEqual([0, 0, 0, 0, 10, 20, 30, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('hatches the ignore region: diagonal stripes four pixels wide', () => {
    const row = paintValues(new Uint8Array(10).fill(IGNORE_VALUE), 10, 1, () => [1, 2, 3], new Uint8ClampedArray(40));
    expect([...row].filter((_, i) => i % 4 === 3)).toEqual([255, 255, 255, 255, 0, 0, 0, 0, 255, 255]);
    const column = paintValues(new Uint8Array(2).fill(IGNORE_VALUE), 1, 1, () => [1, 2, 3], new Uint8ClampedArray(8));
    expect([column[3], column[7]]).toEqual([255, 255]);
  });
});

describe('the label map sent to the main process', () => {
  it('round-trips as runs of values', () => {
    const data = Uint8Array.from([0, 0, 1, 1, 1, 2, 255, 255, 0]);
    const c = encodeCompactLabelMap(data, 3, 3);
    expect(c).toEqual({ width: 3, height: 3, values: [0, 1, 2, 255, 0], counts: [2, 3, 1, 2, 1] });
    expect([...decodeCompactLabelMap(c)]).toEqual([...data]);
  });

  it('refuses runs that do not cover the image or values that are not bytes', () => {
    expect(() => decodeCompactLabelMap({ width: 2, height: 2, values: [0], counts: [3] })).toThrow(/cover 3 of 4/);
    expect(() => decodeCompactLabelMap({ width: 2, height: 2, values: [0], counts: [5] })).toThrow(/past the image/);
    expect(() => decodeCompactLabelMap({ width: 2, height: 2, values: [300], counts: [4] })).toThrow(/not a byte/);
    expect(() => decodeCompactLabelMap({ width: 2, height: 2, values: [0, 1], counts: [4] })).toThrow(/2 values for 1 runs/);
  });
});
