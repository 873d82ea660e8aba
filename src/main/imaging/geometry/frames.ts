/**
 * The one place where images and coordinates move between frames:
 *
 *   source pixels  ── the image as imported, W×H (masks shown to users are always in this frame)
 *   student frames ── S×S: `studentTrainFrame` (short side → S, centre crop S×S: what the student is
 *                     trained on; `centreSquare` is its region of the source) and `studentInferFrame`
 *                     (whole image stretched to S×S: what it sees at inference, so its probability
 *                     map covers the whole image)
 *   teacher frame  ── 1024×1024, per family (`teacherFrame`): SAM/MobileSAM resize the longest side
 *                     to 1024 and pad bottom/right; MedSAM stretches the image to 1024×1024.
 *   low-res frame  ── 256×256 (`lowResFrame`): SAM's mask_input / low_res_masks grid over the
 *                     teacher frame at 1/4.
 *
 * Convention: coordinates are continuous, with pixel i covering [i, i+1) — its centre is i + 0.5,
 * the image spans [0, W]×[0, H]. Every frame is an axis-aligned affine map of source coordinates,
 * x' = x·sx + tx, y' = y·sy + ty, so maps compose and invert exactly. Pixel-index callers add 0.5.
 * The resamplers (resample.ts) take a frame's `frameRegion`, so pixels and prompts agree.
 */

import type { TeacherFamily } from '../../../shared/contract';

export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box [x0, y0] – [x1, y1] with x0 ≤ x1, y0 ≤ y1. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A frame: its size, and the affine map from source coordinates into it. */
export interface Frame {
  name: string;
  width: number;
  height: number;
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

/** A source rectangle, in source pixel coordinates (fractional: a frame need not start on a pixel edge). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}


export const TEACHER_SIDE = 1024;
/** SAM's low-resolution mask grid (mask_input / low_res_masks) covers the 1024 frame at 1/4. */
export const LOW_RES_SIDE = 256;

function checkSize(w: number, h: number): void {
  if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) throw new Error(`bad image size ${w}×${h}`);
}

export function sourceFrame(width: number, height: number): Frame {
  checkSize(width, height);
  return { name: 'source', width, height, sx: 1, sy: 1, tx: 0, ty: 0 };
}

/** SAM's ResizeLongestSide target size: scale = 1024 / max(W, H), each side rounded (int(x + 0.5)). */
export function samResizedSize(width: number, height: number, side = TEACHER_SIDE): { width: number; height: number } {
  checkSize(width, height);
  const scale = side / Math.max(width, height);
  // At least one pixel: a 4000×1 strip would otherwise vanish (SAM itself would fail on it).
  return { width: Math.max(1, Math.floor(width * scale + 0.5)), height: Math.max(1, Math.floor(height * scale + 0.5)) };
}

/**
 * The teacher's 1024 frame. SAM/MobileSAM: coordinates scale by new/old per axis exactly as SAM's
 * `ResizeLongestSide.apply_coords` (new = rounded resized side), the padding lies right/below
 * (outside the image). MedSAM: x·1024/W, y·1024/H (its `box / [W, H, W, H] * 1024`).
 */
export function teacherFrame(family: TeacherFamily, width: number, height: number): Frame {
  checkSize(width, height);
  if (family === 'medsam') {
    return { name: 'medsam-1024', width: TEACHER_SIDE, height: TEACHER_SIDE, sx: TEACHER_SIDE / width, sy: TEACHER_SIDE / height, tx: 0, ty: 0 };
  }
  const r = samResizedSize(width, height);
  return { name: `${family}-1024`, width: TEACHER_SIDE, height: TEACHER_SIDE, sx: r.width / width, sy: r.height / height, tx: 0, ty: 0 };
}

/**
 * The student's training frame: resize so the short side is S (long side rounded), then crop the
 * centre S×S (offset rounded like torchvision's CenterCrop). Parts of the image outside the crop
 * map outside [0, S].
 */
export function studentTrainFrame(width: number, height: number, side: number): Frame {
  checkSize(width, height);
  const scale = side / Math.min(width, height);
  const rw = width <= height ? side : Math.round(width * scale);
  const rh = height < width ? side : Math.round(height * scale);
  const left = Math.round((rw - side) / 2);
  const top = Math.round((rh - side) / 2);
  return { name: `student-train-${side}`, width: side, height: side, sx: rw / width, sy: rh / height, tx: -left, ty: -top };
}

/** The student's inference frame: the whole image resized (aspect not kept) to S×S. */
export function studentInferFrame(width: number, height: number, side: number): Frame {
  checkSize(width, height);
  return { name: `student-infer-${side}`, width: side, height: side, sx: side / width, sy: side / height, tx: 0, ty: 0 };
}

/** SAM's low-resolution grid over a teacher frame (`teacherFrame`): the same map at 1/4. */
export function lowResFrame(teacher: Frame): Frame {
  const k = LOW_RES_SIDE / TEACHER_SIDE;
  return { name: `${teacher.name}-lowres`, width: LOW_RES_SIDE, height: LOW_RES_SIDE, sx: teacher.sx * k, sy: teacher.sy * k, tx: teacher.tx * k, ty: teacher.ty * k };
}

/** The source rectangle a frame's W×H covers, unclamped (a crop can start between pixels). */
export function frameRegion(f: Frame): Region {
  // `+ 0` turns the -0 of an untranslated frame into 0.
  return { x: -f.tx / f.sx + 0, y: -f.ty / f.sy + 0, width: f.width / f.sx, height: f.height / f.sy };
}

/**
 * The source region the student is trained on at side S: `studentTrainFrame`'s, so training pixels
 * and the frame that maps prompts agree. Without a side, the crop at source resolution: the
 * centred square of the short side.
 */
export function centreSquare(width: number, height: number, side = Math.min(width, height)): Region {
  return frameRegion(studentTrainFrame(width, height, side));
}

export function wholeImage(width: number, height: number): Region {
  return frameRegion(sourceFrame(width, height));
}

/** Source → frame. */
export function toFrame(f: Frame, p: Point): Point {
  return { x: p.x * f.sx + f.tx, y: p.y * f.sy + f.ty };
}

/** Frame → source. */
export function fromFrame(f: Frame, p: Point): Point {
  return { x: (p.x - f.tx) / f.sx, y: (p.y - f.ty) / f.sy };
}

/** Frame `from` → frame `to` (both relative to the same source image). */
export function mapPoint(from: Frame, to: Frame, p: Point): Point {
  return toFrame(to, fromFrame(from, p));
}

/** Maps a box between frames; scales are positive, so corners stay ordered. */
export function mapBox(from: Frame, to: Frame, b: Box): Box {
  const a = mapPoint(from, to, { x: b.x0, y: b.y0 });
  const c = mapPoint(from, to, { x: b.x1, y: b.y1 });
  return { x0: a.x, y0: a.y, x1: c.x, y1: c.y };
}

export function clampBox(b: Box, width: number, height: number): Box {
  const cx = (v: number) => Math.min(width, Math.max(0, v));
  const cy = (v: number) => Math.min(height, Math.max(0, v));
  return { x0: cx(Math.min(b.x0, b.x1)), y0: cy(Math.min(b.y0, b.y1)), x1: cx(Math.max(b.x0, b.x1)), y1: cy(Math.max(b.y0, b.y1)) };
}

/** A box mapped into source coordinates and clamped to the image. */
export function boxToSource(from: Frame, b: Box, width: number, height: number): Box {
  return clampBox(mapBox(from, sourceFrame(width, height), b), width, height);
}

export function clampPoint(p: Point, width: number, height: number): Point {
  return { x: Math.min(width, Math.max(0, p.x)), y: Math.min(height, Math.max(0, p.y)) };
}

/** The frame's covered region in source coordinates (e.g. the student crop), clamped to the image. */
export function frameExtentInSource(f: Frame, width: number, height: number): Box {
  return boxToSource(f, { x0: 0, y0: 0, x1: f.width, y1: f.height }, width, height);
}
