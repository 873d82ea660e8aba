import type { Point } from '../viewport/navigation';

/** Pixel spacing as DICOM gives it: [row spacing (between rows, along y), column spacing (along x)] in mm. */
export type Spacing = readonly [number, number] | null;

export interface Length {
  value: number;
  unit: 'mm' | 'px';
}

/** Distance between two image points: mm when the image has a spacing, pixels otherwise (and says so). */
export function distance(a: Point, b: Point, spacing: Spacing): Length {
  const dx = (b.x - a.x) * (spacing ? spacing[1] : 1);
  const dy = (b.y - a.y) * (spacing ? spacing[0] : 1);
  return { value: Math.hypot(dx, dy), unit: spacing ? 'mm' : 'px' };
}

export interface RoiStats {
  /** Pixels inside the region. */
  pixels: number;
  mean: number;
  /** Population standard deviation of the values inside. */
  sd: number;
  min: number;
  max: number;
  /** mm² with a spacing, px² without. */
  area: number;
  areaUnit: 'mm²' | 'px²';
}

/** Running sums of the values accepted so far. */
function statsOf(
  width: number,
  height: number,
  inside: (x: number, y: number) => boolean,
  value: (i: number) => number,
  spacing: Spacing,
  bounds = { x0: 0, y0: 0, x1: width, y1: height },
): RoiStats | null {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let y = Math.max(0, bounds.y0); y < Math.min(height, bounds.y1); y++) {
    for (let x = Math.max(0, bounds.x0); x < Math.min(width, bounds.x1); x++) {
      if (!inside(x, y)) continue;
      const v = value(y * width + x);
      n++;
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (n === 0) return null;
  const mean = sum / n;
  const pixelArea = spacing ? spacing[0] * spacing[1] : 1;
  return { pixels: n, mean, sd: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), min, max, area: n * pixelArea, areaUnit: spacing ? 'mm²' : 'px²' };
}

export interface Ellipse {
  /** Opposite corners of the ellipse's bounding box, in image pixels. */
  a: Point;
  b: Point;
}

/**
 * Statistics of the values whose pixel centres fall inside the ellipse. `value` maps a pixel index
 * to what is measured (modality values: HU on CT).
 */
export function ellipseStats(e: Ellipse, width: number, height: number, value: (i: number) => number, spacing: Spacing): RoiStats | null {
  const cx = (e.a.x + e.b.x) / 2;
  const cy = (e.a.y + e.b.y) / 2;
  const rx = Math.abs(e.b.x - e.a.x) / 2;
  const ry = Math.abs(e.b.y - e.a.y) / 2;
  if (rx === 0 || ry === 0) return null;
  const inside = (x: number, y: number) => ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1;
  const bounds = { x0: Math.floor(cx - rx), y0: Math.floor(cy - ry), x1: Math.ceil(cx + rx), y1: Math.ceil(cy + ry) };
  return statsOf(width, height, inside, value, spacing, bounds);
}

/** Statistics inside a mask given as one alpha byte a pixel (the label's snapshot): in where > 127. */
export function maskStats(alpha: ArrayLike<number>, width: number, height: number, value: (i: number) => number, spacing: Spacing): RoiStats | null {
  return statsOf(width, height, (x, y) => alpha[y * width + x]! > 127, value, spacing);
}

/** "12.3 mm" or "57 px (no pixel spacing)": a length never passes for mm when it is not. */
export function lengthText(l: Length): string {
  return l.unit === 'mm' ? `${l.value.toFixed(1)} mm` : `${l.value.toFixed(0)} px (no pixel spacing)`;
}

export function statsText(s: RoiStats, unit: string): string {
  const area = s.areaUnit === 'mm²' ? `${s.area.toFixed(1)} mm²` : `${s.area.toFixed(0)} px² (no pixel spacing)`;
  return `mean ${s.mean.toFixed(1)}${unit} · SD ${s.sd.toFixed(1)} · min ${s.min.toFixed(0)} · max ${s.max.toFixed(0)} · area ${area}`;
}
