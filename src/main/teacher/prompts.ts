import { seededRandom, shuffleInPlace } from '../util/random';
import { boxToSource, clampPoint, fromFrame, type Box, type Frame, type Point } from '../imaging/geometry/frames';

/**
 * Prompts for the teacher from the student's probability map. Everything returned is in source
 * pixel coordinates (see imaging/geometry/frames.ts), whatever resolution the map has.
 */

/** A point prompt: label 1 = foreground, 0 = background (SAM's convention). */
export interface PromptPoint extends Point {
  label: 0 | 1;
}

/** A probability map in some frame of the source image (e.g. the student's 224 inference frame). */
export interface ProbabilityMap {
  width: number;
  height: number;
  /** Row-major probabilities in [0, 1]. */
  data: Float32Array;
  /** Map pixel coordinates = frame(source coordinates); `sourceFrame(W, H)` for a full-size map. */
  frame: Frame;
  /** Source image size, for clamping. */
  sourceWidth: number;
  sourceHeight: number;
}

/** A dense prompt: the map itself, handed to SAM's mask_input (resampled there, see segment.ts). */
export interface MaskPrompt {
  map: ProbabilityMap;
}

export interface TeacherPrompt {
  points: PromptPoint[];
  box: Box | null;
  mask: MaskPrompt | null;
  /** Map pixels this prompt stands for (a component's area in component mode). */
  mapArea: number;
}

/**
 * How prompts are made from a map. Plain data, recorded with every pseudo-label run.
 *
 * Defaults, and why:
 *  - threshold 0.5: the student's own decision boundary — the box is the bounding box of the mask
 *    the student would predict, and point candidates are pixels it calls foreground.
 *  - box on: SAM (and MedSAM, trained on boxes only) is far less ambiguous with a box than with
 *    points (SAM paper §7.1; MedSAM); the box fixes the object's extent.
 *  - points 3: one point is SAM's most ambiguous prompt (part vs whole), and points on top of a box
 *    mainly say *which* object inside it; a few of the student's most confident pixels do that.
 *    Many points add little and, when the student is wrong, pin SAM to its mistakes. Saturated
 *    maps have large plateaus of equal maxima: ties are broken by seeded random choice, which
 *    spreads the points over the plateau instead of stacking them in its first row.
 *  - mask prompt off: SAM's mask_input expects its own low-resolution logits from a previous pass;
 *    a foreign probability map there tends to make masks worse, so it is opt-in.
 *  - per component off: Kvasir-style images hold one object; one box around two lesions yields one
 *    merged mask though, so multi-lesion data should turn it on (one prompt per component, masks
 *    united). Components smaller than `minComponentFraction` of the map are speckle and skipped.
 */
export interface PromptSettings {
  points: number;
  threshold: number;
  box: boolean;
  maskPrompt: boolean;
  perComponent: boolean;
  minComponentFraction: number;
  seed: number;
}

export const DEFAULT_PROMPT_SETTINGS: Readonly<PromptSettings> = Object.freeze({
  points: 3,
  threshold: 0.5,
  box: true,
  maskPrompt: false,
  perComponent: false,
  minComponentFraction: 0.001,
  seed: 1,
});

/** Settings with defaults filled in, validated. */
export function promptSettings(partial: Partial<PromptSettings> = {}): PromptSettings {
  const s = { ...DEFAULT_PROMPT_SETTINGS, ...partial };
  if (!Number.isInteger(s.points) || s.points < 0) throw new Error(`prompt points must be a whole number ≥ 0 (got ${s.points})`);
  if (!(s.threshold >= 0 && s.threshold <= 1)) throw new Error(`prompt threshold must be in [0, 1] (got ${s.threshold})`);
  if (!(s.minComponentFraction >= 0 && s.minComponentFraction < 1)) throw new Error(`minComponentFraction must be in [0, 1) (got ${s.minComponentFraction})`);
  if (!s.box && s.points === 0 && !s.maskPrompt) throw new Error('prompt settings give SAM nothing: enable the box, points or the mask prompt');
  return s;
}

/** Mixes the run seed with a per-image salt (e.g. the image id), so each image gets its own stream. */
function mixSeed(seed: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (salt >>> 0), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

/**
 * Indices of the `k` highest values among `candidates`; ties at the cut are chosen at random
 * (seeded), the rest in descending order of value.
 */
export function topK(values: Float32Array, candidates: ArrayLike<number>, k: number, random: () => number): number[] {
  const idx = Array.from(candidates);
  if (k <= 0 || idx.length === 0) return [];
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  if (idx.length <= k) return idx;
  const cut = values[idx[k - 1]!]!;
  const above = idx.filter((i) => values[i]! > cut);
  const ties = idx.filter((i) => values[i] === cut);
  shuffleInPlace(ties, random);
  return [...above, ...ties.slice(0, k - above.length)];
}

/** 8-connected components of `on`; returns a label per pixel (0 = background) and pixel lists. */
export function connectedComponents(on: Uint8Array, width: number, height: number): { labels: Int32Array; components: number[][] } {
  const labels = new Int32Array(width * height);
  const components: number[][] = [];
  const stack: number[] = [];
  for (let start = 0; start < on.length; start++) {
    if (!on[start] || labels[start]) continue;
    const id = components.length + 1;
    const pixels: number[] = [];
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
          const q = yy * width + xx;
          if (on[q] && !labels[q]) {
            labels[q] = id;
            stack.push(q);
          }
        }
      }
    }
    components.push(pixels.sort((a, b) => a - b));
  }
  return { labels, components };
}

function promptFor(map: ProbabilityMap, pixels: number[], s: PromptSettings, random: () => number): TeacherPrompt {
  const w = map.width;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of pixels) {
    const x = p % w, y = (p - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  // Pixel edges: the box covers whole map pixels, then maps to source and is clamped.
  const box = s.box ? boxToSource(map.frame, { x0, y0, x1: x1 + 1, y1: y1 + 1 }, map.sourceWidth, map.sourceHeight) : null;
  const points: PromptPoint[] = topK(map.data, pixels, s.points, random).map((p) => {
    const x = p % w, y = (p - x) / w;
    const src = clampPoint(fromFrame(map.frame, { x: x + 0.5, y: y + 0.5 }), map.sourceWidth, map.sourceHeight);
    return { x: src.x, y: src.y, label: 1 as const };
  });
  return { points, box, mask: s.maskPrompt ? { map } : null, mapArea: pixels.length };
}

/**
 * Prompts from a probability map: the `points` highest-probability pixels among those ≥ threshold
 * (as positive points at pixel centres), the outer box of the thresholded map, and optionally the
 * map as a mask prompt. With `perComponent`, one prompt per 8-connected component of the
 * thresholded map (largest first), each with its own box and points. Returns [] when no pixel
 * reaches the threshold: the student sees nothing, so there is nothing to ask the teacher.
 * `salt` (e.g. the image id) gives each image its own random stream under one run seed.
 */
export function promptsFromMap(map: ProbabilityMap, settings: Partial<PromptSettings> = {}, salt = 0): TeacherPrompt[] {
  const s = promptSettings(settings);
  if (map.data.length !== map.width * map.height) throw new Error(`probability map has ${map.data.length} values for ${map.width}×${map.height}`);
  const random = seededRandom(mixSeed(s.seed, salt));
  const on = new Uint8Array(map.data.length);
  const fg: number[] = [];
  for (let i = 0; i < on.length; i++) {
    if (map.data[i]! >= s.threshold) {
      on[i] = 1;
      fg.push(i);
    }
  }
  if (fg.length === 0) return [];
  if (!s.perComponent) return [promptFor(map, fg, s, random)];
  const minArea = Math.max(1, Math.ceil(s.minComponentFraction * map.data.length));
  const { components } = connectedComponents(on, map.width, map.height);
  return components
    .filter((c) => c.length >= minArea)
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!)
    .map((c) => promptFor(map, c, s, random));
}

/** One structure's channel of the student: its schema value and probability map. */
export interface StructureChannel {
  value: number;
  map: ProbabilityMap;
}

/**
 * Prompts for each structure from its own channel, as promptsFromMap makes them for one map (per
 * component too). A structure the student does not see gets no entry. Each structure draws from
 * its own random stream, so adding a structure does not move another's points.
 */
export function promptsPerStructure(
  channels: readonly StructureChannel[],
  settings: Partial<PromptSettings> = {},
  salt = 0,
): { value: number; prompts: TeacherPrompt[] }[] {
  return channels
    .map((c) => ({ value: c.value, prompts: promptsFromMap(c.map, settings, mixSeed(salt, c.value)) }))
    .filter((c) => c.prompts.length > 0);
}
