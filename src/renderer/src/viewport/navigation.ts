/** Pure viewport arithmetic behind the mouse: zoom, pan and window/level. */

export interface Point {
  x: number;
  y: number;
}

export interface Voi {
  windowCenter: number;
  windowWidth: number;
}

/** What window/level needs to know of the image: the range of its stored values and their slope. */
export interface ValueRange {
  minPixelValue: number;
  maxPixelValue: number;
  slope: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 40;

/** One wheel notch zooms by 10 %, within limits that keep the image findable. */
export function zoomed(scale: number, deltaY: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * (deltaY < 0 ? 1.1 : 1 / 1.1)));
}

/** A drag of (dx, dy) screen pixels moves the image with the pointer at any zoom. */
export function panned(translation: Point, dx: number, dy: number, scale: number): Point {
  return { x: translation.x + dx / scale, y: translation.y + dy / scale };
}

/**
 * Dragging right widens the window, dragging down raises the level. The step scales with the
 * image's value range so a CT (thousands of HU) and an 8-bit image feel alike.
 */
export function windowed(voi: Voi, dx: number, dy: number, range: ValueRange): Voi {
  const sensitivity = Math.max(1, (range.maxPixelValue - range.minPixelValue) * Math.abs(range.slope)) / 512;
  return { windowWidth: Math.max(1, voi.windowWidth + dx * sensitivity), windowCenter: voi.windowCenter + dy * sensitivity };
}

export function clampToImage(p: Point, width: number, height: number): Point {
  return { x: Math.min(Math.max(p.x, 0), width), y: Math.min(Math.max(p.y, 0), height) };
}
