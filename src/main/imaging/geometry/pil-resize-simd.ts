import type { Rgb } from '../raster';
import { axisTaps, resizeKernel } from './pil-resize';
import { compileWasm, growMemoryTo } from '../../util/wasm-module';
import { PIL_RESIZE_SIMD_WASM } from './pil-resize-simd.wasm';

let compiled: WebAssembly.Module | null = null;

interface PlanesExports {
  memory: WebAssembly.Memory;
  horizontal(src: number, srcStride: number, rows: number, dst: number, width: number, stride: number, plane: number, off: number, coef: number, span: number): void;
  verticalPlane(plane: number, width: number, stride: number, height: number, index: number, coef: number, span: number, out: number, side: number, mean: number, std: number): void;
}

/** Room after each buffer: the kernels read up to 16 bytes past an end. */
const SLACK = 16;
const align16 = (n: number) => (n + 15) & ~15;

/**
 * Pillow's resize fused with per-channel normalisation into zero-padded float32 planes
 * (3 × side × side): an encoder's NCHW input, built by pil-resize-simd.wat's SIMD passes. Every
 * byte of the resize is Pillow's (the same integer arithmetic as pil-resize.ts's scalar passes);
 * each value is then float32 (v − mean) / std, as PyTorch computes it on SAM's float32 buffers.
 *
 * One kernel is one WebAssembly instance with its own memory, holding the planes it returns: a view
 * stays valid until the kernel's next call (growing the memory for a larger image detaches older
 * views), so a caller keeps a kernel to itself while its planes are in use (preprocess.ts pools them).
 */
export class PlanesKernel {
  private readonly wasm: PlanesExports;

  constructor() {
    compiled ??= compileWasm(PIL_RESIZE_SIMD_WASM, "the SAM teacher's image preprocessing");
    this.wasm = new WebAssembly.Instance(compiled, {}).exports as unknown as PlanesExports;
  }

  /** The 3 × side × side output planes (their current contents), after making room for `bytes` in all. */
  planes(side: number, bytes = 3 * side * side * 4): Float32Array {
    growMemoryTo(this.wasm.memory, bytes);
    return new Float32Array(this.wasm.memory.buffer, 0, 3 * side * side);
  }

  /**
   * `img` resized to width × height with Pillow's filter, channel c as (v − mean[c]) / std[c] in
   * plane c, top-left in a side × side plane padded with zeros. Needs width, height ≤ side and side
   * a multiple of 16.
   */
  resizeToPlanes(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic', mean: readonly number[], std: readonly number[], side: number): Float32Array {
    if (width > side || height > side || side % 16 !== 0) throw new Error(`cannot place ${width}×${height} planes in ${side}×${side}`);
    const kernel = resizeKernel(filter);
    const tx = axisTaps(img.width, width, kernel), ty = axisTaps(img.height, height, kernel);
    // Layout: output planes, tap tables, source pixels, horizontal-pass planes.
    let at = align16(3 * side * side * 4);
    const place = (bytes: number) => {
      const start = at;
      at = align16(at + bytes + SLACK);
      return start;
    };
    // The horizontal pass makes 4 pixels at a time: its rows and tap tables are padded to a
    // multiple of 4 with weight-0 taps (zeroed tables) whose pixels the vertical pass never reads.
    const stride = (width + 3) & ~3;
    const hTaps = stride * tx.span;
    const hOff = place(hTaps * 4), hCoef = place(hTaps * 4);
    const vIndex = place(ty.index.length * 4), vCoef = place(ty.coef.length * 4);
    const src = place(img.data.length);
    const tmpPlane = stride * img.height;
    const tmp = place(3 * tmpPlane);
    const out = this.planes(side, at);
    const buf = this.wasm.memory.buffer;
    const off = new Int32Array(buf, hOff, hTaps).fill(0);
    for (let i = 0; i < tx.index.length; i++) off[i] = tx.index[i]! * 3;
    new Int32Array(buf, hCoef, hTaps).fill(0).set(tx.coef);
    new Int32Array(buf, vIndex, ty.index.length).set(ty.index);
    new Int32Array(buf, vCoef, ty.coef.length).set(ty.coef);
    new Uint8Array(buf, src, img.data.length).set(img.data);
    this.wasm.horizontal(src, img.width * 3, img.height, tmp, stride, stride, tmpPlane, hOff, hCoef, tx.span);
    for (let c = 0; c < 3; c++) this.wasm.verticalPlane(tmp + c * tmpPlane, width, stride, height, vIndex, vCoef, ty.span, c * side * side * 4, side, mean[c]!, std[c]!);
    return out;
  }
}
