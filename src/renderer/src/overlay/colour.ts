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
 * One colour per layer kind, the same in the Viewer and in Review: ground truth green, the student
 * light blue, the student refined by SAM violet, SAM's proposal magenta, pseudo-label versions in
 * warm colours by age, a correction being drawn yellow.
 */
export const COLOURS = {
  truth: '#00e676',
  student: '#40c4ff',
  refine: '#b388ff',
  teacher: '#ff40c8',
  correction: '#ffea00',
  promptBox: '#ffd54f',
  derivedPrompt: '#4fc3f7',
  positivePoint: '#00e676',
  negativePoint: '#ff5252',
  /** The ignore region of a label: a grey no structure is given by default. */
  ignore: '#b0bec5',
} as const;

/**
 * Each label value's display colour: a structure's schema colour, the ignore region grey. A binary
 * project (one structure) shows its label in `binaryColour`, the Viewer's own ground-truth colour
 * setting, as it always has.
 */
export function structureColours(schema: readonly { value: number; color: string }[], binaryColour: string, ignoreValue: number): Map<number, string> {
  const colours = new Map(schema.map((s) => [s.value, s.color] as const));
  if (schema.length === 1) colours.set(schema[0]!.value, binaryColour);
  colours.set(ignoreValue, COLOURS.ignore);
  return colours;
}

/** Pseudo-label versions by age, the latest first: warm colours, none shared with another layer kind. */
export const AGE_PALETTE: readonly string[] = ['#ff9100', '#ffc400', '#ff6e40', '#f48fb1', '#bcaaa4', '#e0e0e0'];

/** A version's colour by age (0 = the latest), so "the latest" looks the same on every image and view. */
export function versionColour(age: number): string {
  return AGE_PALETTE[age % AGE_PALETTE.length]!;
}

/** What the legend lists: each layer kind with its colour. */
export const LEGEND: readonly { name: string; colour: string }[] = [
  { name: 'ground truth', colour: COLOURS.truth },
  { name: 'student', colour: COLOURS.student },
  { name: 'student → SAM', colour: COLOURS.refine },
  { name: 'SAM proposal', colour: COLOURS.teacher },
  { name: 'pseudo-label (latest)', colour: AGE_PALETTE[0]! },
  { name: 'older versions', colour: AGE_PALETTE[1]! },
  { name: 'correction', colour: COLOURS.correction },
];

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
