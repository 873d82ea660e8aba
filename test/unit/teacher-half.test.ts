import { describe, expect, it } from 'vitest';
import { fromHalf, fromHalfBits, tensorFloat32, toHalf, toHalfBits } from '../../src/main/teacher/half';
import type { Ort } from '../../src/main/onnx/runtime';

describe('float16 arrays', () => {
  it('fromHalf gives fromHalfBits of every one of the 65536 bit patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const got = fromHalf(all);
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = Math.fround(fromHalfBits(h));
      if (!(Object.is(got[h], want) || (Number.isNaN(got[h]) && Number.isNaN(want)))) wrong.push(h);
    }
    expect(wrong).toEqual([]);
    // an fp16 output tensor arrives as its bits and leaves as these float32 values
    const t = { type: 'float16', data: all.subarray(0x3c00, 0x3c02) } as unknown as Ort.Tensor;
    expect(Array.from(tensorFloat32(t))).toEqual([1, 1 + 2 ** -10]);
  });

  it('toHalf of a Float32Array gives toHalfBits of each value: ties, subnormals, overflow, NaN, signs', () => {
    const bits = new Uint32Array(400_000);
    let s = 11;
    for (let i = 0; i < bits.length; i++) bits[i] = s = (s * 1664525 + 1013904223) >>> 0;
    // every float32 within a few ulps of each half's value and of each midpoint between halves
    const edges: number[] = [];
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    for (let h = 0; h < 0x7c00; h += 7) {
      for (const v of [fromHalfBits(h), (fromHalfBits(h) + fromHalfBits(h + 1)) / 2]) {
        f[0] = v;
        for (let d = -2; d <= 2; d++) edges.push((u[0]! + d) >>> 0, ((u[0]! + d) | 0x80000000) >>> 0);
      }
    }
    edges.push(0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x477fe000, 0x477ff000, 0x33000000, 0x33000001, 0x32ffffff);
    const input = new Float32Array(Uint32Array.from([...bits, ...edges]).buffer);
    const got = toHalf(input);
    const wrong: number[] = [];
    for (let i = 0; i < input.length; i++) if (got[i] !== toHalfBits(input[i]!)) wrong.push(i);
    expect(wrong).toEqual([]);
    // a view into a larger buffer converts only its own values
    const view = input.subarray(5, 9);
    expect(Array.from(toHalf(view))).toEqual(Array.from(view, toHalfBits));
  });
});
