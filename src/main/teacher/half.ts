import type { Ort, OrtModule } from '../onnx/runtime';

/**
 * fp16 exports (e.g. onnxconverter-common's `convert_float_to_float16` without `keep_io_types`)
 * declare float16 inputs and outputs. The app computes in float32 and converts at the boundary:
 * float32 → float16 on the way in, float16 → float32 on the way out. int8-quantised exports
 * (onnxruntime's `quantize_dynamic`) keep float32 I/O — their int8 weights are inside the graph and
 * change nothing here.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even (as numpy's astype(float16)). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  return halfFromFloatBits(u32[0]!);
}

/** `toHalfBits` of the float32 whose bits are `x`. */
function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent, which is right
  return h;
}

/** The number a binary16 bit pattern holds. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toHalf(data: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(data.length);
  if (data instanceof Float32Array) {
    // Straight from the float32 bits (an encoder input is 3 M values): no round trip through a scratch float per value.
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < bits.length; i++) out[i] = halfFromFloatBits(bits[i]!);
  } else for (let i = 0; i < data.length; i++) out[i] = toHalfBits(data[i]!);
  return out;
}

let halfValues: Float32Array | null = null;

/** The float32 value of every binary16 bit pattern (256 KB, made on first use). */
function halfTable(): Float32Array {
  if (!halfValues) {
    halfValues = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfValues[h] = fromHalfBits(h);
  }
  return halfValues;
}

/** binary16 bits → float32 values, by table: an fp16 embedding (1 M values) takes ms, not the ~0.5 s of fromHalfBits per value. */
export function fromHalf(bits: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** A float tensor's values as float32, whatever its element type (float16 arrives as its bits). */
export function tensorFloat32(t: Ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const data = t.data as ArrayLike<number>;
    // onnxruntime hands float16 out as Uint16Array (bits), or as Float16Array where the runtime has one
    if (data instanceof Uint16Array) return fromHalf(data);
    return Float32Array.from(data);
  }
  throw new Error(`expected a float tensor, got ${t.type}`);
}

/** Feeds whose input is declared float16 converted from float32 (other feeds untouched). */
export function halfFeeds(ort: OrtModule, feeds: Record<string, Ort.Tensor>, half: readonly string[] | undefined): Record<string, Ort.Tensor> {
  if (!half?.length) return feeds;
  const out = { ...feeds };
  for (const name of half) {
    const t = feeds[name];
    if (t && t.type === 'float32') out[name] = new ort.Tensor('float16', toHalf(t.data as Float32Array), t.dims);
  }
  return out;
}
