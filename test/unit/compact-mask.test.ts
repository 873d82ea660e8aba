import { describe, expect, it } from 'vitest';
import { decodeCompactMask, encodeCompactMask, forEachOnRun } from '../../src/shared/compact-mask';
import { seededRandom } from '../../src/main/util/random';

function disc(width: number, height: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) m[y * width + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
  return m;
}

describe('compact mask (what a SAM prompt sends instead of a PNG)', () => {
  it('a smooth mask travels as runs and comes back pixel for pixel', () => {
    const m = disc(613, 531, 300, 260, 120);
    const c = encodeCompactMask(m, 613, 531);
    expect(c.encoding).toBe('rle');
    expect(decodeCompactMask(c)).toEqual(m);
    // Two runs per covered row, plus the leading and trailing zeros: a few KB of JSON, not a PNG.
    expect(JSON.stringify(c).length).toBeLessThan(4000);
  });

  it('a ragged mask travels bit-packed, no larger than one bit per pixel in base64, and comes back exactly', () => {
    const random = seededRandom(3);
    const m = Uint8Array.from({ length: 333 * 257 }, () => (random() < 0.5 ? 1 : 0));
    const c = encodeCompactMask(m, 333, 257);
    expect(c.encoding).toBe('bits');
    expect(JSON.stringify(c).length).toBeLessThan(Math.ceil((333 * 257) / 6) + 100);
    expect(decodeCompactMask(c)).toEqual(m);
  });

  it('empty, full, first and last pixels, and non-0/1 bytes round-trip', () => {
    const cases: [Uint8Array, number, number][] = [
      [new Uint8Array(12), 4, 3],
      [new Uint8Array(12).fill(1), 4, 3],
      [Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 1), 5, 2],
      [Uint8Array.of(255, 7, 0), 3, 1],
    ];
    for (const [m, w, h] of cases) {
      const back = decodeCompactMask(encodeCompactMask(m, w, h));
      expect(Array.from(back)).toEqual(Array.from(m, (v) => (v ? 1 : 0)));
    }
    expect(encodeCompactMask(new Uint8Array(1200), 40, 30)).toEqual({ encoding: 'rle', width: 40, height: 30, counts: [1200] });
    expect(encodeCompactMask(new Uint8Array(1200).fill(1), 40, 30)).toEqual({ encoding: 'rle', width: 40, height: 30, counts: [0, 1200] });
  });

  it('runs of 1s are handed out in order, and a mask that does not cover its image is refused', () => {
    const runs: [number, number][] = [];
    forEachOnRun({ encoding: 'rle', width: 5, height: 2, counts: [1, 2, 3, 4] }, (s, e) => runs.push([s, e]));
    expect(runs).toEqual([[1, 3], [6, 10]]);
    expect(() => decodeCompactMask({ encoding: 'rle', width: 5, height: 2, counts: [1, 2] })).toThrow(/cover 3 of 10/);
    expect(() => decodeCompactMask({ encoding: 'rle', width: 2, height: 2, counts: [1, 9] })).toThrow(/past the image/);
    expect(() => decodeCompactMask({ encoding: 'bits', width: 40, height: 1, base64: 'AA==' })).toThrow(/40 expected/);
    expect(() => encodeCompactMask(new Uint8Array(5), 2, 2)).toThrow(/2×2 needs 4/);
  });
});
