import { samResizedSize, sourceFrame, TEACHER_SIDE, teacherFrame, type Frame } from '../imaging/geometry/frames';
import { axisTaps, clampByte, horizontalPass, resizeRgb, resizeRows, TRIANGLE } from '../imaging/geometry/pil-resize';
import type { Rgb } from '../imaging/raster';
import { familySpec, type EncoderLayout, type TeacherFamily } from './families';
import type { LayoutId } from './layouts';

/** SAM's pixel statistics (segment_anything/modeling/sam.py), on the 0..255 scale. */
export const SAM_PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_PIXEL_STD = [58.395, 57.12, 57.375] as const;

/** The encoder's input tensor for one image, and the frame it puts the image in. */
export interface EncoderInput {
  data: Float32Array | Uint8Array;
  type: 'float32' | 'uint8';
  dims: number[];
  frame: Frame;
  /** Identifies the preprocessing, part of the embedding cache key. */
  recipe: string;
}

/**
 * SAM / MobileSAM: resize the longest side to 1024 (bilinear, antialiased), then
 *  - 'nchw': normalise each channel with SAM's mean/std and pad bottom/right with zeros to
 *    [1,3,1024,1024] (segment_anything's `Sam.preprocess`: normalise, then pad);
 *  - 'hwc':  hand over the resized 0..255 image as [h,w,3]; such exports normalise and pad inside.
 */
export function preprocessSam(
  img: Rgb,
  family: 'sam' | 'mobilesam',
  layout: EncoderLayout,
  type: 'float32' | 'uint8' = 'float32',
  into?: Float32Array,
): EncoderInput {
  const size = samResizedSize(img.width, img.height);
  const frame = teacherFrame(family, img.width, img.height);
  if (layout === 'hwc') {
    const resized = resizeRgb(img, size.width, size.height, 'bilinear');
    const data = type === 'uint8' ? resized.data : Float32Array.from(resized.data);
    return { data, type, dims: [size.height, size.width, 3], frame, recipe: preprocessRecipe(family, 'hwc', type) };
  }
  if (type !== 'float32') throw new Error('an NCHW SAM encoder takes float32 input');
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = inputBuffer(into);
  // Zeros: the padding, after normalisation (a fresh array has them already).
  if (into) padWithZeros(data, size.width, size.height);
  // Each resized row goes straight to the three planes, normalised through a per-channel table of
  // (v - mean) / std for the 256 byte values (the same float32 values the division gives).
  const [lr, lg, lb] = [0, 1, 2].map((c) => byteTable((v) => (v - SAM_PIXEL_MEAN[c]!) / SAM_PIXEL_STD[c]!)) as [Float32Array, Float32Array, Float32Array];
  const { width, height } = size;
  const vy = axisTaps(img.height, height, TRIANGLE);
  if ((width !== img.width || height !== img.height) && (vy.span === 2 || vy.span === 3)) {
    // The usual case (2 or 3 vertical taps): the vertical pass writes the planes itself.
    const tmp = horizontalPass(img.data, img.width, img.height, width, axisTaps(img.width, width, TRIANGLE));
    const rowLen = width * 3;
    const { index, weight, span } = vy;
    for (let y = 0, q = 0; y < height; y++, q += span) {
      const o = y * TEACHER_SIDE;
      if (span === 2) verticalPlanes2(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, weight[q]!, weight[q + 1]!, width, data, o, plane, lr, lg, lb);
      else verticalPlanes3(tmp, index[q]! * rowLen, index[q + 1]! * rowLen, index[q + 2]! * rowLen, weight[q]!, weight[q + 1]!, weight[q + 2]!, width, data, o, plane, lr, lg, lb);
    }
  } else {
    resizeRows(img, width, height, 'bilinear', (y, row) => scatterPlanes(row, width, data, y * TEACHER_SIDE, plane, lr, lg, lb));
  }
  return { data, type: 'float32', dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE], frame, recipe: preprocessRecipe(family, 'nchw', 'float32') };
}

/** `into` (an encoder-input-sized buffer to overwrite) or a new [3,1024,1024] array. */
function inputBuffer(into: Float32Array | undefined): Float32Array {
  if (!into) return new Float32Array(3 * TEACHER_SIDE * TEACHER_SIDE);
  if (into.length !== 3 * TEACHER_SIDE * TEACHER_SIDE) throw new Error(`an encoder input buffer holds ${3 * TEACHER_SIDE * TEACHER_SIDE} values, not ${into.length}`);
  return into;
}

/** Zeros right of and below a width × height image in each 1024×1024 plane. */
function padWithZeros(data: Float32Array, width: number, height: number): void {
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    if (width < TEACHER_SIDE) for (let y = 0; y < height; y++) data.fill(0, base + y * TEACHER_SIDE + width, base + (y + 1) * TEACHER_SIDE);
    data.fill(0, base + height * TEACHER_SIDE, base + plane);
  }
}

/** f(v) for v = 0..255, as float32. */
function byteTable(f: (v: number) => number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = f(v);
  return t;
}

/** `vertical2` and `scatterPlanes` in one loop: output row → the three planes at offset `o`. */
function verticalPlanes2(
  tmp: Uint8Array,
  a: number,
  b: number,
  w0: number,
  w1: number,
  width: number,
  data: Float32Array,
  o: number,
  plane: number,
  lr: Float32Array,
  lg: Float32Array,
  lb: Float32Array,
): void {
  const g = o + plane, bl = o + 2 * plane;
  for (let x = 0, k = 0; x < width; x++, k += 3) {
    data[o + x] = lr[clampByte(tmp[a + k]! * w0 + tmp[b + k]! * w1)]!;
    data[g + x] = lg[clampByte(tmp[a + k + 1]! * w0 + tmp[b + k + 1]! * w1)]!;
    data[bl + x] = lb[clampByte(tmp[a + k + 2]! * w0 + tmp[b + k + 2]! * w1)]!;
  }
}

/** `vertical3` and `scatterPlanes` in one loop. */
function verticalPlanes3(
  tmp: Uint8Array,
  a: number,
  b: number,
  c: number,
  w0: number,
  w1: number,
  w2: number,
  width: number,
  data: Float32Array,
  o: number,
  plane: number,
  lr: Float32Array,
  lg: Float32Array,
  lb: Float32Array,
): void {
  const g = o + plane, bl = o + 2 * plane;
  for (let x = 0, k = 0; x < width; x++, k += 3) {
    data[o + x] = lr[clampByte(tmp[a + k]! * w0 + tmp[b + k]! * w1 + tmp[c + k]! * w2)]!;
    data[g + x] = lg[clampByte(tmp[a + k + 1]! * w0 + tmp[b + k + 1]! * w1 + tmp[c + k + 1]! * w2)]!;
    data[bl + x] = lb[clampByte(tmp[a + k + 2]! * w0 + tmp[b + k + 2]! * w1 + tmp[c + k + 2]! * w2)]!;
  }
}

/** One interleaved RGB row → the R, G and B planes at offset `o`, each byte through its channel's table. */
function scatterPlanes(row: Uint8Array, width: number, data: Float32Array, o: number, plane: number, lr: Float32Array, lg: Float32Array, lb: Float32Array): void {
  const g = o + plane, b = o + 2 * plane;
  for (let x = 0, k = 0; x < width; x++, k += 3) {
    data[o + x] = lr[row[k]!]!;
    data[g + x] = lg[row[k + 1]!]!;
    data[b + x] = lb[row[k + 2]!]!;
  }
}

/**
 * MedSAM: stretch to 1024×1024 (bicubic, antialiased; MedSAM uses skimage order-3 with
 * anti-aliasing), then min–max scale the whole image to [0, 1] — exactly MedSAM's inference
 * script: (img - min) / clip(max - min, 1e-8) — as [1,3,1024,1024] float32, no padding.
 */
export function preprocessMedSam(img: Rgb, into?: Float32Array): EncoderInput {
  const resized = resizeRgb(img, TEACHER_SIDE, TEACHER_SIDE, 'bicubic');
  const bytes = resized.data;
  let min = 255, max = 0;
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.max(max - min, 1e-8);
  const table = byteTable((v) => (v - min) / range);
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = inputBuffer(into); // every value is written below
  const rowLen = TEACHER_SIDE * 3;
  for (let y = 0; y < TEACHER_SIDE; y++) scatterPlanes(bytes.subarray(y * rowLen, (y + 1) * rowLen), TEACHER_SIDE, data, y * TEACHER_SIDE, plane, table, table, table);
  return {
    data,
    type: 'float32',
    dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE],
    frame: teacherFrame('medsam', img.width, img.height),
    recipe: preprocessRecipe('medsam', 'nchw', 'float32'),
  };
}

/** Names the preprocessing for a family and encoder interface (part of the embedding cache key). */
export function preprocessRecipe(family: TeacherFamily, layout: EncoderLayout, type: 'float32' | 'uint8'): string {
  if (familySpec(family).preprocess === 'medsam-stretch') return 'medsam-stretch1024-bicubic-minmax-nchw';
  return layout === 'hwc' ? `sam-longest1024-bilinear-hwc-${type}` : 'sam-longest1024-bilinear-meanstd-pad-nchw';
}

/**
 * The encoder input for a family and an encoder interface (layout, element type). `into`, when
 * given, is a [1,3,1024,1024] float32 buffer that an NCHW input is written to (and returned in)
 * instead of a new array; HWC inputs ignore it.
 */
export function preprocessForTeacher(img: Rgb, family: TeacherFamily, layout: EncoderLayout, type: 'float32' | 'uint8' = 'float32', into?: Float32Array): EncoderInput {
  const spec = familySpec(family);
  if (spec.preprocess === 'medsam-stretch') {
    if (layout !== 'nchw') throw new Error('MedSAM encoders take [1,3,1024,1024] input');
    return preprocessMedSam(img, into);
  }
  return preprocessSam(img, family as 'sam' | 'mobilesam', layout, type, into);
}

let spareInput: Float32Array | null = null;

/**
 * Runs `use` with a [1,3,1024,1024] float32 buffer for an encoder input, reused across calls (12 MB
 * allocated for every image mostly feeds the garbage collector). The buffer is `use`'s alone until
 * its promise settles — concurrent callers get their own — so nothing may keep it beyond that.
 */
export async function withInputBuffer<T>(use: (buffer: Float32Array) => Promise<T>): Promise<T> {
  const buffer = spareInput ?? new Float32Array(3 * TEACHER_SIDE * TEACHER_SIDE);
  spareInput = null;
  try {
    return await use(buffer);
  } finally {
    spareInput = buffer;
  }
}

/** ImageNet statistics on the 0..1 scale (SAM 2's SAM2Transforms, transformers' SamProcessor). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** LiteMedSAM's side: its TinyViT / RepViT encoders take 256×256. */
export const LITEMEDSAM_SIDE = 256;

/**
 * The frame a layout's prompts are given in. EfficientSAM: source pixels (its graph rescales).
 * LiteMedSAM: × 256 / longest side (its `resize_box_to_256`). SAM 2: stretched to 1024×1024
 * (`SAM2Transforms`, coordinates normalised by the original size). Others: the family's 1024 frame.
 */
export function layoutFrame(layout: LayoutId, family: TeacherFamily, width: number, height: number): Frame {
  if (layout === 'efficientsam') return { ...sourceFrame(width, height), name: 'efficientsam-source' };
  if (layout === 'litemedsam') {
    const s = LITEMEDSAM_SIDE / Math.max(width, height);
    return { name: 'litemedsam-256', width: LITEMEDSAM_SIDE, height: LITEMEDSAM_SIDE, sx: s, sy: s, tx: 0, ty: 0 };
  }
  if (layout === 'sam2') return { name: 'sam2-1024', width: TEACHER_SIDE, height: TEACHER_SIDE, sx: TEACHER_SIDE / width, sy: TEACHER_SIDE / height, tx: 0, ty: 0 };
  return teacherFrame(family, width, height);
}

/** EfficientSAM: the whole image as [1,3,H,W] RGB / 255 — its encoder resizes and normalises inside. */
export function preprocessEfficientSam(img: Rgb): EncoderInput {
  const { width, height } = img;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  const table = byteTable((v) => v / 255);
  const rowLen = width * 3;
  for (let y = 0; y < height; y++) scatterPlanes(img.data.subarray(y * rowLen, (y + 1) * rowLen), width, data, y * width, plane, table, table, table);
  return { data, type: 'float32', dims: [1, 3, height, width], frame: layoutFrame('efficientsam', 'sam', width, height), recipe: 'efficientsam-source-rgb01-nchw' };
}

/**
 * LiteMedSAM's inference script: `resize_longest_side` to 256 with cv2 INTER_AREA, min–max scale the
 * resized image to [0, 1] — (x − min) / clip(max − min, 1e-8) — then pad bottom/right with zeros to
 * 256×256, as [1,3,256,256] float32.
 */
export function preprocessLiteMedSam(img: Rgb): EncoderInput {
  const side = LITEMEDSAM_SIDE;
  const size = samResizedSize(img.width, img.height, side);
  const resized = areaResize(img, size.width, size.height);
  let min = 255, max = 0;
  for (const v of resized.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.max(max - min, 1e-8);
  const table = byteTable((v) => (v - min) / range);
  const plane = side * side;
  const data = new Float32Array(3 * plane); // zeros: the padding
  const rowLen = size.width * 3;
  for (let y = 0; y < size.height; y++) scatterPlanes(resized.data.subarray(y * rowLen, (y + 1) * rowLen), size.width, data, y * side, plane, table, table, table);
  return { data, type: 'float32', dims: [1, 3, side, side], frame: layoutFrame('litemedsam', 'medsam', img.width, img.height), recipe: 'litemedsam-longest256-area-minmax-pad-nchw' };
}

/**
 * cv2.resize with INTER_AREA: when shrinking, each output pixel is the mean of the source area it
 * covers (fractional pixels weighted by their overlap), rounded to a byte; when enlarging, cv2
 * interpolates bilinearly, which the app's bilinear resize does for enlargement.
 */
export function areaResize(img: Rgb, width: number, height: number): Rgb {
  if (width > img.width || height > img.height) return resizeRgb(img, width, height, 'bilinear');
  const taps = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    return Array.from({ length: outSize }, (_, o) => {
      const start = o * scale, end = (o + 1) * scale;
      const list: [number, number][] = [];
      for (let i = Math.floor(start); i < Math.min(inSize, Math.ceil(end)); i++) {
        const w = Math.min(end, i + 1) - Math.max(start, i);
        if (w > 1e-12) list.push([i, w / scale]);
      }
      return list;
    });
  };
  const tx = taps(img.width, width), ty = taps(img.height, height);
  const out = new Uint8Array(width * height * 3);
  const row = new Float64Array(width * 3);
  const acc = new Float64Array(width * 3);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (const [sy, wy] of ty[y]!) {
      const base = sy * img.width * 3;
      row.fill(0);
      for (let x = 0; x < width; x++) for (const [sx, wx] of tx[x]!) for (let c = 0; c < 3; c++) row[x * 3 + c]! += img.data[base + sx * 3 + c]! * wx;
      for (let k = 0; k < row.length; k++) acc[k]! += row[k]! * wy;
    }
    for (let k = 0; k < acc.length; k++) out[y * width * 3 + k] = clampByte(acc[k]!);
  }
  return { width, height, data: out };
}

/**
 * SAM 2 (SAM2Transforms): stretch to 1024×1024 (bilinear, antialiased), rescale to 0..1, normalise
 * with ImageNet mean/std, as [1,3,1024,1024] float32, no padding.
 */
export function preprocessSam2(img: Rgb, into?: Float32Array): EncoderInput {
  const resized = resizeRgb(img, TEACHER_SIDE, TEACHER_SIDE, 'bilinear');
  const [lr, lg, lb] = [0, 1, 2].map((c) => byteTable((v) => (v / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!)) as [Float32Array, Float32Array, Float32Array];
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = inputBuffer(into); // every value is written below
  const rowLen = TEACHER_SIDE * 3;
  for (let y = 0; y < TEACHER_SIDE; y++) scatterPlanes(resized.data.subarray(y * rowLen, (y + 1) * rowLen), TEACHER_SIDE, data, y * TEACHER_SIDE, plane, lr, lg, lb);
  return { data, type: 'float32', dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE], frame: layoutFrame('sam2', 'sam', img.width, img.height), recipe: 'sam2-stretch1024-bilinear-imagenet-nchw' };
}

/** What a model's encoder is fed, by its layout: the recipe (cache key) and the input itself. */
export function layoutRecipe(layout: LayoutId, family: TeacherFamily, encoder: { layout: EncoderLayout; inputType: string }): string {
  if (layout === 'efficientsam') return 'efficientsam-source-rgb01-nchw';
  if (layout === 'litemedsam') return 'litemedsam-longest256-area-minmax-pad-nchw';
  if (layout === 'sam2') return 'sam2-stretch1024-bilinear-imagenet-nchw';
  // an fp16 encoder gets the float32 recipe's values, converted at the boundary
  return preprocessRecipe(family, encoder.layout, encoder.inputType === 'uint8' ? 'uint8' : 'float32');
}

export function preprocessForLayout(
  img: Rgb,
  layout: LayoutId,
  family: TeacherFamily,
  encoder: { layout: EncoderLayout; inputType: string },
  into?: Float32Array,
): EncoderInput {
  if (layout === 'efficientsam') return preprocessEfficientSam(img);
  if (layout === 'litemedsam') return preprocessLiteMedSam(img);
  if (layout === 'sam2') return preprocessSam2(img, into);
  return preprocessForTeacher(img, family, encoder.layout, encoder.inputType === 'uint8' ? 'uint8' : 'float32', into);
}
