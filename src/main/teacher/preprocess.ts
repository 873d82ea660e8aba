import type { Rgb } from '../imaging/raster';
import { samResizedSize, TEACHER_SIDE, teacherFrame, type Frame } from './coords';
import { familySpec, type EncoderLayout, type TeacherFamily } from './families';

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

type Kernel = { support: number; weight: (x: number) => number };

const TRIANGLE: Kernel = { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) };
// Keys' cubic with a = -0.5, like PIL's BICUBIC.
const CUBIC: Kernel = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    x = Math.abs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** Per-output-pixel source ranges and normalised weights for one axis (PIL's resampling scheme). */
function axisWeights(inSize: number, outSize: number, kernel: Kernel): { start: Int32Array; count: Int32Array; weights: Float32Array; span: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale); // widen the kernel when shrinking: antialiasing
  const support = kernel.support * filterScale;
  const span = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    const n = Math.min(span, hi - lo);
    for (let j = 0; j < n; j++) {
      const w = kernel.weight((lo + j + 0.5 - centre) / filterScale);
      weights[i * span + j] = w;
      total += w;
    }
    for (let j = 0; j < n; j++) weights[i * span + j]! /= total || 1;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, span };
}

const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * Resizes 8-bit RGB with an antialiased separable filter (horizontal, then vertical, rounding to
 * 8 bits after each pass as PIL does). 'bilinear' matches SAM's `ResizeLongestSide.apply_image`
 * (PIL bilinear); 'bicubic' is closest to MedSAM's order-3 resize.
 */
export function resizeRgb(img: Rgb, width: number, height: number, filter: 'bilinear' | 'bicubic' = 'bilinear'): Rgb {
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  const kernel = filter === 'bicubic' ? CUBIC : TRIANGLE;
  const hx = axisWeights(img.width, width, kernel);
  const tmp = new Uint8Array(width * img.height * 3);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      const s = hx.start[x]!, n = hx.count[x]!, o = x * hx.span;
      for (let j = 0; j < n; j++) {
        const w = hx.weights[o + j]!;
        const k = row + (s + j) * 3;
        r += img.data[k]! * w;
        g += img.data[k + 1]! * w;
        b += img.data[k + 2]! * w;
      }
      const t = (y * width + x) * 3;
      tmp[t] = clampByte(r);
      tmp[t + 1] = clampByte(g);
      tmp[t + 2] = clampByte(b);
    }
  }
  const vy = axisWeights(img.height, height, kernel);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const s = vy.start[y]!, n = vy.count[y]!, o = y * vy.span;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < n; j++) {
        const w = vy.weights[o + j]!;
        const k = ((s + j) * width + x) * 3;
        r += tmp[k]! * w;
        g += tmp[k + 1]! * w;
        b += tmp[k + 2]! * w;
      }
      const t = (y * width + x) * 3;
      out[t] = clampByte(r);
      out[t + 1] = clampByte(g);
      out[t + 2] = clampByte(b);
    }
  }
  return { width, height, data: out };
}

/**
 * SAM / MobileSAM: resize the longest side to 1024 (bilinear, antialiased), then
 *  - 'nchw': normalise each channel with SAM's mean/std and pad bottom/right with zeros to
 *    [1,3,1024,1024] (segment_anything's `Sam.preprocess`: normalise, then pad);
 *  - 'hwc':  hand over the resized 0..255 image as [h,w,3]; such exports normalise and pad inside.
 */
export function preprocessSam(img: Rgb, family: 'sam' | 'mobilesam', layout: EncoderLayout, type: 'float32' | 'uint8' = 'float32'): EncoderInput {
  const size = samResizedSize(img.width, img.height);
  const resized = resizeRgb(img, size.width, size.height, 'bilinear');
  const frame = teacherFrame(family, img.width, img.height);
  if (layout === 'hwc') {
    const data = type === 'uint8' ? resized.data : Float32Array.from(resized.data);
    return { data, type, dims: [size.height, size.width, 3], frame, recipe: preprocessRecipe(family, 'hwc', type) };
  }
  if (type !== 'float32') throw new Error('an NCHW SAM encoder takes float32 input');
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = new Float32Array(3 * plane); // zeros: the padding, after normalisation
  for (let y = 0; y < size.height; y++) {
    for (let x = 0; x < size.width; x++) {
      const k = (y * size.width + x) * 3;
      const o = y * TEACHER_SIDE + x;
      for (let c = 0; c < 3; c++) data[c * plane + o] = (resized.data[k + c]! - SAM_PIXEL_MEAN[c]!) / SAM_PIXEL_STD[c]!;
    }
  }
  return { data, type: 'float32', dims: [1, 3, TEACHER_SIDE, TEACHER_SIDE], frame, recipe: preprocessRecipe(family, 'nchw', 'float32') };
}

/**
 * MedSAM: stretch to 1024×1024 (bicubic, antialiased; MedSAM uses skimage order-3 with
 * anti-aliasing), then min–max scale the whole image to [0, 1] — exactly MedSAM's inference
 * script: (img - min) / clip(max - min, 1e-8) — as [1,3,1024,1024] float32, no padding.
 */
export function preprocessMedSam(img: Rgb): EncoderInput {
  const resized = resizeRgb(img, TEACHER_SIDE, TEACHER_SIDE, 'bicubic');
  let min = 255, max = 0;
  for (const v of resized.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.max(max - min, 1e-8);
  const plane = TEACHER_SIDE * TEACHER_SIDE;
  const data = new Float32Array(3 * plane);
  for (let o = 0; o < plane; o++) {
    for (let c = 0; c < 3; c++) data[c * plane + o] = (resized.data[o * 3 + c]! - min) / range;
  }
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

/** The encoder input for a family and an encoder interface (layout, element type). */
export function preprocessForTeacher(img: Rgb, family: TeacherFamily, layout: EncoderLayout, type: 'float32' | 'uint8' = 'float32'): EncoderInput {
  const spec = familySpec(family);
  if (spec.preprocess === 'medsam-stretch') {
    if (layout !== 'nchw') throw new Error('MedSAM encoders take [1,3,1024,1024] input');
    return preprocessMedSam(img);
  }
  return preprocessSam(img, family as 'sam' | 'mobilesam', layout, type);
}
