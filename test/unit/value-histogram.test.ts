import { describe, expect, it } from 'vitest';
import { valueHistogram } from '../../src/main/imaging/mask';
import { seededRandom } from '../../src/main/util/random';

const counted = (data: Uint8Array) => {
  const h = new Uint32Array(256);
  for (const v of data) h[v]!++;
  return h;
};

describe('valueHistogram', () => {
  it('counts every value as a plain loop does, at any length and byte offset, mostly-zero or not', () => {
    const random = seededRandom(3);
    const buffer = new Uint8Array(4099);
    for (let i = 0; i < buffer.length; i++) buffer[i] = random() < 0.8 ? 0 : Math.floor(random() * 256);
    for (const start of [0, 1, 2, 3, 6]) {
      for (const length of [0, 1, 3, 4, 5, 17, 4000]) {
        const data = buffer.subarray(start, start + length);
        expect([...valueHistogram({ width: length, height: 1, data })]).toEqual([...counted(data)]);
      }
    }
    const dense = Uint8Array.from({ length: 999 }, (_, i) => (i * 37) & 255);
    expect([...valueHistogram({ width: 999, height: 1, data: dense })]).toEqual([...counted(dense)]);
  });
});
