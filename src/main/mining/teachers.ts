import type { Device } from '../../shared/contract';
import type { Mask } from '../imaging/mask';
import type { Rgb } from '../imaging/raster';
import { connectedComponents } from '../teacher/prompts';
import { prefetchEmbeddings, segmentImage, type UserPrompt } from '../teacher/segment';
import type { Translation } from '../teacher/decoder-io';
import { seededRandom } from '../util/random';
import { structureMask } from '../imaging/mask';
import { loadMask } from '../workspace/images';
import { loadLabelMap } from '../workspace/masks';
import type { Workspace } from '../workspace/workspace';
import { morph } from './morphology';

export interface TeacherAnswer {
  mask: Mask;
  iouPrediction: number | null;
  encoderMs: number;
  decoderMs: number;
  /** Per prompt, what the model was fed instead when its layout cannot take the prompt as given (teacher/decoder-io.ts). */
  translations?: (Translation | null)[];
}

export type TeacherSpec =
  | { kind: 'sam'; modelId?: number }
  /** Evaluation tool, not a model: answers with the ground truth the prompt touches. */
  | { kind: 'oracle' }
  /** Evaluation tool: the oracle's answer eroded/dilated by up to `maxRadius` px, components dropped with `dropProbability`. */
  | { kind: 'noisy-oracle'; maxRadius: number; dropProbability: number; seed: number };

/** What mining asks of a teacher: a mask for prompts in source pixel coordinates. */
export interface PseudoTeacher {
  spec: TeacherSpec;
  /** Recorded with every pseudo-label: model id for SAM, the evaluation tool's name otherwise. */
  label: string;
  modelId: number | null;
  /**
   * `rgb`: the image's model RGB when the caller has it already (a cache miss need not decode it again).
   * `structure`: the schema value the prompts stand for (a student with several structures asks once
   * per structure); SAM answers the prompts alone, the evaluation tools from that structure's truth.
   */
  answer(imageId: number, prompts: UserPrompt[], rgb?: Rgb, structure?: number): Promise<TeacherAnswer>;
  /** Images about to be asked about, to get ready for (SAM: their stored embeddings read ahead). */
  prefetch?(imageIds: readonly number[]): void;
}

/** `device`: where a SAM teacher runs — the same choice the run's student was given. */
export function makeTeacher(ws: Workspace, spec: TeacherSpec, device?: Device): PseudoTeacher {
  switch (spec.kind) {
    case 'sam':
      return {
        spec,
        label: `sam model ${spec.modelId ?? 'latest'}`,
        modelId: spec.modelId ?? null,
        async answer(imageId, prompts, rgb) {
          // Mining keeps one mask per prompt and upsamples it itself: the export's four full-size masks would be wasted work.
          const r = await segmentImage(ws, imageId, prompts, { modelId: spec.modelId, rgb, device, lowResOnly: true });
          return { mask: r.mask, iouPrediction: r.iouPrediction, encoderMs: r.encoderMs, decoderMs: r.decoderMs, translations: r.translations };
        },
        prefetch(imageIds) {
          prefetchEmbeddings(ws, imageIds, { modelId: spec.modelId });
        },
      };
    case 'oracle':
      return {
        spec,
        label: 'oracle (evaluation tool: ground truth)',
        modelId: null,
        answer: async (imageId, prompts, _rgb, structure) => ({ mask: oracleMask(ws, imageId, prompts, undefined, structure), iouPrediction: null, encoderMs: 0, decoderMs: 0 }),
      };
    case 'noisy-oracle':
      return {
        spec,
        label: `noisy oracle (evaluation tool: r≤${spec.maxRadius}, drop ${spec.dropProbability})`,
        modelId: null,
        async answer(imageId, prompts, _rgb, structure) {
          // Structure 1 (and a binary project) keeps the stream it always had; each other structure gets its own.
          const random = seededRandom((spec.seed * 1_000_003 + imageId + ((structure ?? 1) - 1) * 7_919) >>> 0);
          const mask = oracleMask(ws, imageId, prompts, () => random() < spec.dropProbability, structure);
          const r = Math.round(random() * spec.maxRadius);
          return { mask: morph(mask, r, random() < 0.5), iouPrediction: null, encoderMs: 0, decoderMs: 0 };
        },
      };
  }
}

/**
 * The ground-truth mask restricted to the components a prompt touches: a positive point inside a
 * component, or a box overlapping it. With `drop`, touched components may still be left out.
 * `structure`: that structure of the label-map ground truth; without it, the binary ground truth.
 */
export function oracleMask(ws: Workspace, imageId: number, prompts: UserPrompt[], drop: () => boolean = () => false, structure?: number): Mask {
  const map = structure === undefined ? null : loadLabelMap(ws, imageId);
  const truth = structure === undefined ? loadMask(ws, imageId) : map && structureMask(map, structure);
  if (!truth) throw new Error(`the oracle teacher needs a ground-truth mask, and image ${imageId} has none`);
  const { width: w, height: h } = truth;
  const { labels, components } = connectedComponents(truth.data, w, h);
  const keep = new Set<number>();
  for (const p of prompts) {
    for (const pt of p.points ?? []) {
      if (pt.label !== 1) continue;
      const x = Math.min(w - 1, Math.max(0, Math.floor(pt.x)));
      const y = Math.min(h - 1, Math.max(0, Math.floor(pt.y)));
      const l = labels[y * w + x]!;
      if (l) keep.add(l);
    }
    if (p.box) {
      const x0 = Math.max(0, Math.floor(p.box.x0)),
        x1 = Math.min(w, Math.ceil(p.box.x1));
      const y0 = Math.max(0, Math.floor(p.box.y0)),
        y1 = Math.min(h, Math.ceil(p.box.y1));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (labels[y * w + x]) keep.add(labels[y * w + x]!);
    }
  }
  const data = new Uint8Array(w * h);
  for (const l of keep) {
    if (drop()) continue;
    for (const p of components[l - 1]!) data[p] = 1;
  }
  return { width: w, height: h, data };
}
