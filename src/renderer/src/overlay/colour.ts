/** One place for the overlay colours and the per-pixel recolouring rules used by every view. */

export type Rgb = [number, number, number];

export function hexToRgb(hex: string): Rgb {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbCss(rgb: Rgb): string {
  return `rgb(${rgb.join(',')})`;
}

/**
 * Colours that mean the same thing in the Viewer and in Review: ground truth green, the teacher
 * (SAM) magenta, the student blue, a correction being drawn yellow.
 */
export const COLOURS = {
  truth: '#00e676',
  teacher: [255, 64, 200] as Rgb,
  fastStudent: [66, 165, 245] as Rgb,
  student: '#40c4ff',
  correction: '#ffea00',
  promptBox: '#ffd54f',
  derivedPrompt: '#4fc3f7',
  positivePoint: '#00e676',
  negativePoint: '#ff5252',
} as const;

/** Viewer: pseudo-label versions coloured by position, oldest first. */
export const VERSION_COLOURS: readonly Rgb[] = [
  [255, 152, 0],
  [255, 235, 59],
  [156, 39, 176],
  [0, 188, 212],
  [233, 30, 99],
];

/** Review: versions coloured by age, the latest in the teacher's magenta so the eye finds it first. */
export const AGE_PALETTE: readonly string[] = ['#ff40c8', '#ff9100', '#b388ff', '#ff5252', '#1de9b6', '#e0e0e0'];

/** A mask pixel (grey 0…255) as RGBA: `colour` where the mask is on (> 127), transparent elsewhere. */
export function maskRgba(grey: number, colour: Rgb, out: Uint8ClampedArray, at: number): void {
  out[at] = colour[0];
  out[at + 1] = colour[1];
  out[at + 2] = colour[2];
  out[at + 3] = grey > 127 ? 255 : 0;
}

/** A probability (grey = p × 255) as a heat-map pixel: blue → green → yellow → red, alpha growing with p. */
export function heatRgba(grey: number, out: Uint8ClampedArray, at: number): void {
  const p = grey / 255;
  out[at] = Math.round(255 * Math.min(1, Math.max(0, 2 * p - 0.5)));
  out[at + 1] = Math.round(255 * Math.min(1, 2 * p, 2 - 2 * p + 0.3));
  out[at + 2] = Math.round(255 * Math.max(0, 1 - 2 * p));
  out[at + 3] = Math.round(255 * Math.min(1, p * 1.5));
}
