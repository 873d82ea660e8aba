import type { Rgb } from './raster';

import type { PixelDType, TypedPixels } from '../../shared/pixels';

export { typedFromBytes, type PixelDType, type TypedPixels } from '../../shared/pixels';

/** A decoded DICOM frame as stored: stored values plus what turns them into modality values and a view. */
export interface StoredFrame {
  width: number;
  height: number;
  samples: 1 | 3;
  dtype: PixelDType;
  data: TypedPixels;
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number | null;
  windowWidth: number | null;
  min: number; // of stored values
  max: number;
  photometric: string;
}

export function bytesOf(data: TypedPixels): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * THE rule that turns a DICOM frame into the models' 8-bit RGB input (and thumbnails):
 *  1. modality value = stored × RescaleSlope + RescaleIntercept;
 *  2. the file's first VOI window (WindowCenter/Width, DICOM's linear function) maps it to 0…255,
 *     or, when the file has none, the frame's own min…max of modality values;
 *  3. MONOCHROME1 is inverted so that bright always means high signal on screen and in the model;
 *  4. grey is replicated to three channels; colour frames are already RGB and pass unchanged.
 */
export function frameToModelRgb(f: StoredFrame): Rgb {
  return frameToRgb(f, displayRange(f));
}

/**
 * A thumbnail shows the frame through the file's window, like the model input, unless that window
 * leaves the frame one flat grey — a soft-tissue window on a slice of bone, say, is plain white —
 * and then through the frame's own min…max, so every thumbnail shows what the slice holds.
 */
export function frameToThumbnailRgb(f: StoredFrame): Rgb {
  const window = displayRange(f);
  return frameToRgb(f, f.samples === 1 && flatThrough(f, window) ? valueRange(f) : window);
}

/** Share of pixels the window must clip to one end before the thumbnail stops using it. */
const FLAT_SHARE = 0.97;

function flatThrough(f: StoredFrame, { lower, upper }: { lower: number; upper: number }): boolean {
  const n = f.width * f.height;
  let below = 0;
  let above = 0;
  for (let i = 0; i < n; i++) {
    const v = f.data[i]! * f.rescaleSlope + f.rescaleIntercept;
    if (v <= lower) below++;
    else if (v >= upper) above++;
  }
  return Math.max(below, above) >= FLAT_SHARE * n;
}

function frameToRgb(f: StoredFrame, { lower, upper }: { lower: number; upper: number }): Rgb {
  const n = f.width * f.height;
  const out = new Uint8Array(n * 3);
  if (f.samples === 3) {
    out.set(f.data as Uint8Array);
    return { width: f.width, height: f.height, data: out };
  }
  const invert = f.photometric === 'MONOCHROME1';
  const span = upper - lower;
  for (let i = 0; i < n; i++) {
    const v = f.data[i]! * f.rescaleSlope + f.rescaleIntercept;
    let g = span > 0 ? ((v - lower) / span) * 255 : v > lower ? 255 : 0;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    if (invert) g = 255 - g;
    const k = i * 3;
    out[k] = out[k + 1] = out[k + 2] = Math.round(g);
  }
  return { width: f.width, height: f.height, data: out };
}

/** Modality-value range shown as black…white: the file's window, else min…max. */
export function displayRange(f: StoredFrame): { lower: number; upper: number } {
  if (f.windowCenter !== null && f.windowWidth !== null && f.windowWidth >= 1) {
    // DICOM PS3.3 C.11.2.1.2.1: linear VOI with (c - 0.5) and (w - 1).
    const c = f.windowCenter - 0.5;
    const w = f.windowWidth - 1;
    return { lower: c - w / 2, upper: c + w / 2 };
  }
  return valueRange(f);
}

/** The frame's min…max of modality values. */
function valueRange(f: StoredFrame): { lower: number; upper: number } {
  const a = f.min * f.rescaleSlope + f.rescaleIntercept;
  const b = f.max * f.rescaleSlope + f.rescaleIntercept;
  return { lower: Math.min(a, b), upper: Math.max(a, b) };
}
