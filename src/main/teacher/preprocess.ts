import { samResizedSize, sourceFrame, TEACHER_SIDE, teacherFrame, type Frame } from '../imaging/geometry/frames';
import { clampByte, resizeRgb } from '../imaging/geometry/pil-resize';
import { PlanesKernel } from '../imaging/geometry/pil-resize-simd';
import type { Rgb } from '../imaging/raster';
import { FAMILIES, familySpec, type EncoderLayout, type TeacherFamily } from './families';
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
  arena?: PlanesKernel,
): EncoderInput {
  const size = samResizedSize(img.width, img.height);
  const frame = teacherFrame(family, img.width, img.height);
  if (layout === 'hwc') {
    const resized = resizeRgb(img, size.width, size.height, 'bilinear');
    const data = type === 'uint8' ? resized.data : Float32Array.from(resized.data);
    return { data, type, dims: [size.height, size.width, 3], frame, recipe: preprocessRecipe(family, 'hwc', type) };
  }
  if (type !== 'float32') throw new Error('an NCHW SAM encoder takes float32 input');
  const data = (arena ?? new PlanesKernel()).resizeToPlanes(img, size.width, size.height, 'bilinear', SAM_PIXEL_MEAN, SAM_PIXEL_STD, TEACHER_SIDE);
  return { data, type: 'float32', dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE], frame, recipe: preprocessRecipe(family, 'nchw', 'float32') };
}

/** The arena's [3,1024,1024] planes, or a new array: for inputs that every value is written to. */
function inputBuffer(arena: PlanesKernel | undefined): Float32Array {
  return arena ? arena.planes(TEACHER_SIDE) : new Float32Array(3 * TEACHER_SIDE * TEACHER_SIDE);
}

/** f(v) for v = 0..255, as float32. */
function byteTable(f: (v: number) => number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = f(v);
  return t;
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
export function preprocessMedSam(img: Rgb, arena?: PlanesKernel): EncoderInput {
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
  const data = inputBuffer(arena); // every value is written below
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

/**
 * Names the preprocessing for a family and encoder interface (part of the embedding cache key).
 * "pillow22": Pillow's own fixed-point resize (22-bit weights); "f32": normalised in float32 steps,
 * as PyTorch does. Embeddings cached under older names came from a float resize that differed from
 * Pillow's by 1 on some bytes, so they are not reused.
 */
export function preprocessRecipe(family: TeacherFamily, layout: EncoderLayout, type: 'float32' | 'uint8'): string {
  if (familySpec(family).preprocess === 'medsam-stretch') return 'medsam-stretch1024-pillow22-bicubic-minmax-nchw';
  return layout === 'hwc' ? `sam-longest1024-pillow22-bilinear-hwc-${type}` : 'sam-longest1024-pillow22-bilinear-f32meanstd-pad-nchw';
}

/** Every recipe the app produces today: embeddings cached under any other name are never asked for again. */
export function teacherRecipes(): Set<string> {
  const recipes = new Set([EFFICIENTSAM_RECIPE, LITEMEDSAM_RECIPE, SAM2_RECIPE]);
  for (const family of Object.keys(FAMILIES) as TeacherFamily[])
    for (const layout of ['nchw', 'hwc'] as const) for (const type of ['float32', 'uint8'] as const) recipes.add(preprocessRecipe(family, layout, type));
  return recipes;
}

const EFFICIENTSAM_RECIPE = 'efficientsam-source-rgb01-nchw';
const LITEMEDSAM_RECIPE = 'litemedsam-longest256-area-pillow22-minmax-pad-nchw';
const SAM2_RECIPE = 'sam2-stretch1024-pillow22-bilinear-f32imagenet-nchw';

/**
 * The encoder input for a family and an encoder interface (layout, element type). `arena`, when
 * given, holds an NCHW input (the returned data is a view of its memory, valid until its next use)
 * instead of a new array; HWC inputs ignore it.
 */
export function preprocessForTeacher(img: Rgb, family: TeacherFamily, layout: EncoderLayout, type: 'float32' | 'uint8' = 'float32', arena?: PlanesKernel): EncoderInput {
  const spec = familySpec(family);
  if (spec.preprocess === 'medsam-stretch') {
    if (layout !== 'nchw') throw new Error('MedSAM encoders take [1,3,1024,1024] input');
    return preprocessMedSam(img, arena);
  }
  return preprocessSam(img, family as 'sam' | 'mobilesam', layout, type, arena);
}

let spareArena: PlanesKernel | null = null;

/**
 * Runs `use` with an arena for an encoder input, reused across calls (its 12 MB of planes made
 * afresh for every image mostly feed the garbage collector). The arena and the inputs built in it
 * are `use`'s alone until its promise settles — concurrent callers get their own — so nothing may
 * keep them beyond that.
 */
export async function withInputArena<T>(use: (arena: PlanesKernel) => Promise<T>): Promise<T> {
  const arena = spareArena ?? new PlanesKernel();
  spareArena = null;
  try {
    return await use(arena);
  } finally {
    spareArena = arena;
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
  return { data, type: 'float32', dims: [1, 3, height, width], frame: layoutFrame('efficientsam', 'sam', width, height), recipe: EFFICIENTSAM_RECIPE };
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
  return { data, type: 'float32', dims: [1, 3, side, side], frame: layoutFrame('litemedsam', 'medsam', img.width, img.height), recipe: LITEMEDSAM_RECIPE };
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
export function preprocessSam2(img: Rgb, arena?: PlanesKernel): EncoderInput {
  const resized = resizeRgb(img, TEACHER_SIDE, TEACHER_SIDE, 'bilinear');
  // float32 at each step, as torchvision's ToTensor and Normalize compute it
  const f = Math.fround;
  const [lr, lg, lb] = [0, 1, 2].map((c) => byteTable((v) => f(f(v / 255) - f(IMAGENET_MEAN[c]!)) / f(IMAGENET_STD[c]!))) as [Float32Array, Float32Array, Float32Array];
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = inputBuffer(arena); // every value is written below
  const rowLen = TEACHER_SIDE * 3;
  for (let y = 0; y < TEACHER_SIDE; y++) scatterPlanes(resized.data.subarray(y * rowLen, (y + 1) * rowLen), TEACHER_SIDE, data, y * TEACHER_SIDE, plane, lr, lg, lb);
  return { data, type: 'float32', dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE], frame: layoutFrame('sam2', 'sam', img.width, img.height), recipe: SAM2_RECIPE };
}

/** What a model's encoder is fed, by its layout: the recipe (cache key) and the input itself. */
export function layoutRecipe(layout: LayoutId, family: TeacherFamily, encoder: { layout: EncoderLayout; inputType: string }): string {
  if (layout === 'efficientsam') return EFFICIENTSAM_RECIPE;
  if (layout === 'litemedsam') return LITEMEDSAM_RECIPE;
  if (layout === 'sam2') return SAM2_RECIPE;
  // an fp16 encoder gets the float32 recipe's values, converted at the boundary
  return preprocessRecipe(family, encoder.layout, encoder.inputType === 'uint8' ? 'uint8' : 'float32');
}

export function preprocessForLayout(
  img: Rgb,
  layout: LayoutId,
  family: TeacherFamily,
  encoder: { layout: EncoderLayout; inputType: string },
  arena?: PlanesKernel,
): EncoderInput {
  if (layout === 'efficientsam') return preprocessEfficientSam(img);
  if (layout === 'litemedsam') return preprocessLiteMedSam(img);
  if (layout === 'sam2') return preprocessSam2(img, arena);
  return preprocessForTeacher(img, family, encoder.layout, encoder.inputType === 'uint8' ? 'uint8' : 'float32', arena);
}
