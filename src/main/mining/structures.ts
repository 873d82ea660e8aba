import { dice } from '../metrics/metrics';
import type { LabelMap } from '../imaging/mask';
import type { Rgb } from '../imaging/raster';
import { promptsPerStructure, type PromptSettings, type StructureChannel, type TeacherPrompt } from '../teacher/prompts';
import type { PseudoTeacher, TeacherAnswer } from './teachers';

// A student with several structures asks the teacher once per structure, prompted by that
// structure's channel (and per component, as for one), and the answers become one label map.
// Mining (one-time and continuous) and refine mode share this; a binary student keeps its own path.

export interface StructureAnswer {
  value: number;
  prompts: TeacherPrompt[];
  answer: TeacherAnswer;
}

/**
 * The teacher's masks of one image, a call per structure the student sees (none: []), in the order
 * of `channels`. `rgb` is handed on so a SAM teacher decodes the image at most once.
 */
export async function askPerStructure(
  teacher: PseudoTeacher,
  imageId: number,
  channels: readonly StructureChannel[],
  settings: PromptSettings,
  rgb?: Rgb,
): Promise<StructureAnswer[]> {
  const out: StructureAnswer[] = [];
  for (const { value, prompts } of promptsPerStructure(channels, settings, imageId))
    out.push({ value, prompts, answer: await teacher.answer(imageId, prompts, rgb, value) });
  return out;
}

/**
 * The structures' masks merged into a label map at source resolution. A pixel claimed by several
 * goes to the one whose answer SAM predicted the better IoU for; when a claimant has no predicted
 * IoU (the evaluation tools) or they tie, to the structure the student finds most probable there
 * (`probability(value, pixel)`), since the student's channels are the only opinion left.
 */
export function mergeStructureAnswers(
  answers: readonly StructureAnswer[],
  width: number,
  height: number,
  probability: (value: number, pixel: number) => number,
): LabelMap {
  const data = new Uint8Array(width * height);
  for (const a of answers) {
    const m = a.answer.mask;
    if (m.width !== width || m.height !== height) throw new Error(`the teacher's mask of structure ${a.value} is ${m.width}×${m.height}, the image ${width}×${height}`);
  }
  const iouOf = new Map(answers.map((a) => [a.value, a.answer.iouPrediction]));
  for (let i = 0; i < data.length; i++) {
    let best = 0;
    for (const a of answers) {
      if (!a.answer.mask.data[i]) continue;
      if (best === 0 || prefer(a.value, best, i)) best = a.value;
    }
    data[i] = best;
  }
  function prefer(value: number, over: number, pixel: number): boolean {
    const a = iouOf.get(value), b = iouOf.get(over);
    if (a != null && b != null && a !== b) return a > b;
    return probability(value, pixel) > probability(over, pixel);
  }
  return { width, height, data };
}

/**
 * Per structure, the Dice of the teacher's map with the student's (both label maps of the same
 * values and size); null where neither has the structure, so an absent structure does not count
 * as perfect agreement in the mean.
 */
export function structureAgreements(teacher: Uint8Array, student: Uint8Array, structures: readonly number[]): Record<number, number | null> {
  const out: Record<number, number | null> = {};
  for (const v of structures) {
    const t = Uint8Array.from(teacher, (x) => (x === v ? 1 : 0));
    const s = Uint8Array.from(student, (x) => (x === v ? 1 : 0));
    out[v] = t.includes(1) || s.includes(1) ? dice(t, s) : null;
  }
  return out;
}

/** The prompts as a pseudo-label records them: each names its structure, and what the model was fed instead if its layout could not take it. */
export function recordedPrompts(answers: readonly StructureAnswer[]): unknown[] {
  return answers.flatMap((a) =>
    a.prompts.map((p, i) => ({
      structure: a.value,
      points: p.points,
      box: p.box,
      mask: p.mask ? 'student probability map' : null,
      ...(a.answer.translations?.[i] ? { fedAs: a.answer.translations[i] } : {}),
    })),
  );
}

/** A label map from channel probabilities (planes [K, n]): each pixel the most probable structure reaching `threshold`, else 0 — as the student predicts. */
export function labelMapFromPlanes(planes: Float32Array, structures: readonly number[], n: number, threshold: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < structures.length; c++) if (planes[c * n + i]! > planes[best * n + i]!) best = c;
    if (planes[best * n + i]! > threshold) out[i] = structures[best]!;
  }
  return out;
}
