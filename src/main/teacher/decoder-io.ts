import { LOW_RES_SIDE, type Box, type Point } from '../imaging/geometry/frames';
import type { Ort, OrtModule } from '../onnx/runtime';
import type { TeacherFamily } from './families';
import { tensorFloat32 } from './half';
import { layoutSpec, type EncoderInterface, type LayoutId } from './layouts';
import type { PromptPoint } from './prompts';

/**
 * Prompt encoding and mask choice per layout (layouts.ts): what each maker's own code feeds the
 * decoder, and which of its masks it keeps. Coordinates here are already in the teacher frame.
 */

export interface FramePrompt {
  points: PromptPoint[];
  box: Box | null;
}

/** A prompt the installed model cannot take as given, and what it was turned into (source pixels). */
export interface Translation {
  points: PromptPoint[];
  box: Box | null;
  /** What was changed and why, recorded with the pseudo-label. */
  note: string;
}

/**
 * Mining's points + box → what the layout takes. Transformers' SAM export has no box input: the
 * box is dropped, and when no positive point is left its centre stands in for it (the object the
 * box frames). LiteMedSAM's decoder takes the box alone: points are dropped. EfficientSAM reads at
 * most 6 points, box corners included: the points beyond are dropped (its graph would cut them
 * silently). Null when the prompt is fed as given.
 */
export function translatePrompt(layout: LayoutId, points: PromptPoint[], box: Box | null): Translation | null {
  const spec = layoutSpec(layout);
  if (spec.takesPoints === false && points.length > 0) {
    return { points: [], box, note: `points dropped (the ${layout} decoder takes a box only)` };
  }
  if (spec.maxPoints !== undefined) {
    const room = spec.maxPoints - (box ? 2 : 0);
    if (points.length > room) return { points: points.slice(0, room), box, note: `${points.length - room} point(s) dropped (the ${layout} decoder reads at most ${spec.maxPoints} points, box corners included)` };
    return null;
  }
  if (layout !== 'transformers-sam' || !box) return null;
  if (points.some((p) => p.label === 1)) return { points, box: null, note: 'box dropped (the transformers SAM export has no box input); points kept' };
  const centre = { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2, label: 1 as const };
  return { points: [...points, centre], box: null, note: 'box replaced by its centre as a positive point (the transformers SAM export has no box input)' };
}

export interface DecoderRun {
  feeds: Record<string, Ort.Tensor>;
  /** Points in the decoder's point list, padding and box corners included (SAM's mask rule counts them). */
  pointsFed: number;
}

/** The image embedding's outputs by name, split from the cache's one array (outputs stored in interface order). */
export function embeddingParts(encoder: EncoderInterface, data: Float32Array, dims: number[]): Record<string, { data: Float32Array; dims: number[] }> {
  const outs = encoder.outputs ?? [{ name: encoder.output, shape: dims }];
  if (outs.length === 1) return { [outs[0]!.name]: { data, dims } };
  const parts: Record<string, { data: Float32Array; dims: number[] }> = {};
  let offset = 0;
  for (const o of outs) {
    const n = o.shape.reduce((a, b) => a * b, 1);
    parts[o.name] = { data: data.subarray(offset, offset + n), dims: o.shape };
    offset += n;
  }
  if (offset !== data.length) throw new Error(`a cached embedding holds ${data.length} values, the encoder's outputs ${offset}`);
  return parts;
}

/** Points then box corners (labels 2, 3); the padding point (0,0) label −1 when asked. */
function pointList(p: FramePrompt, pad: boolean): { coords: Float32Array; labels: number[] } {
  const pts: (Point & { label: number })[] = [...p.points];
  if (p.box) pts.push({ x: p.box.x0, y: p.box.y0, label: 2 }, { x: p.box.x1, y: p.box.y1, label: 3 });
  if (pad) pts.push({ x: 0, y: 0, label: -1 });
  const coords = new Float32Array(2 * pts.length);
  pts.forEach((q, i) => coords.set([q.x, q.y], 2 * i));
  return { coords, labels: pts.map((q) => q.label) };
}

/**
 * The decoder's feeds for one prompt. segment-anything / samexporter / EdgeSAM: SAM's ONNX example
 * pads with (0,0) label −1 when there is no box; for MedSAM the padding point is added with the box
 * too, because the official single-mask export keeps mask token 0 — MedSAM's only output — only when
 * more than 2 points are fed. Transformers' graph appends its padding point itself.
 */
export function decoderFeeds(
  ort: OrtModule,
  layout: LayoutId,
  family: TeacherFamily,
  embedding: Record<string, { data: Float32Array; dims: number[] }>,
  prompt: FramePrompt,
  size: { width: number; height: number },
  mask: Float32Array | null,
  noMask: Float32Array,
): DecoderRun {
  const tensor = (name: string) => new ort.Tensor('float32', embedding[name]!.data, embedding[name]!.dims);
  if (layout === 'litemedsam') {
    if (!prompt.box || prompt.points.length) throw new Error('the litemedsam decoder takes a box alone (translatePrompt first)');
    const b = prompt.box;
    return { feeds: { image_embeddings: tensor('image_embeddings'), boxes: new ort.Tensor('float32', Float32Array.of(b.x0, b.y0, b.x1, b.y1), [1, 4]) }, pointsFed: 2 };
  }
  if (layout === 'efficientsam') {
    // Source pixels, no padding point: the graph rescales by 1024 / orig_im_size and pads with −1 itself.
    const { coords, labels } = pointList(prompt, false);
    const n = labels.length;
    return {
      feeds: {
        image_embeddings: tensor('image_embeddings'),
        batched_point_coords: new ort.Tensor('float32', coords, [1, 1, n, 2]),
        batched_point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, 1, n]),
        orig_im_size: new ort.Tensor('int64', BigInt64Array.of(BigInt(size.height), BigInt(size.width)), [2]),
      },
      pointsFed: n,
    };
  }
  if (layout === 'sam2') {
    // The graph appends its own padding point (samexporter's _embed_points).
    const { coords, labels } = pointList(prompt, false);
    const n = labels.length;
    return {
      feeds: {
        image_embed: tensor('image_embed'),
        high_res_feats_0: tensor('high_res_feats_0'),
        high_res_feats_1: tensor('high_res_feats_1'),
        point_coords: new ort.Tensor('float32', coords, [1, n, 2]),
        point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, n]),
        mask_input: new ort.Tensor('float32', mask ?? noMask, [1, 1, LOW_RES_SIDE, LOW_RES_SIDE]),
        has_mask_input: new ort.Tensor('float32', Float32Array.of(mask ? 1 : 0), [1]),
      },
      pointsFed: n + 1,
    };
  }
  if (layout === 'transformers-sam') {
    if (prompt.box) throw new Error('the transformers SAM export has no box input (translatePrompt first)');
    const { coords, labels } = pointList(prompt, false);
    const n = labels.length;
    return {
      feeds: {
        input_points: new ort.Tensor('float32', coords, [1, 1, n, 2]),
        input_labels: new ort.Tensor('int64', BigInt64Array.from(labels, (l) => BigInt(l)), [1, 1, n]),
        image_embeddings: tensor('image_embeddings'),
        image_positional_embeddings: tensor('image_positional_embeddings'),
      },
      pointsFed: n + 1,
    };
  }
  const pad = !prompt.box || family === 'medsam';
  const { coords, labels } = pointList(prompt, pad);
  const n = labels.length;
  const embeddingName = Object.keys(embedding)[0]!;
  const feeds: Record<string, Ort.Tensor> = {
    image_embeddings: new ort.Tensor('float32', embedding[embeddingName]!.data, embedding[embeddingName]!.dims),
    point_coords: new ort.Tensor('float32', coords, [1, n, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, n]),
  };
  if (layout !== 'edgesam') {
    feeds.mask_input = new ort.Tensor('float32', mask ?? noMask, [1, 1, LOW_RES_SIDE, LOW_RES_SIDE]);
    feeds.has_mask_input = new ort.Tensor('float32', Float32Array.of(mask ? 1 : 0), [1]);
    feeds.orig_im_size = new ort.Tensor('float32', Float32Array.of(size.height, size.width), [2]);
  }
  return { feeds, pointsFed: n };
}

/** The decoder's answer, named alike for every layout. */
export interface DecoderAnswer {
  iou: Float32Array;
  /** Masks at the original size, when the layout returns them there. */
  full: { data: Float32Array; height: number; width: number } | null;
  /** 256×256 logits over the teacher frame, one plane per mask. */
  low: Float32Array | null;
  /** Each output's name and dims without the leading batch dims: iou [1,C], low [1,C,256,256], full [1,C,H,W]. */
  shapes: { iou: [string, number[]]; low: [string, number[]] | null; full: [string, number[]] | null };
}

/** Per layout: which outputs hold the scores, the low-resolution and the full-size masks, and how many leading batch dims to drop. */
const OUTPUTS: Record<LayoutId, { iou: string; low: string | null; full: string | null; extraDims: number }> = {
  'segment-anything': { iou: 'iou_predictions', low: 'low_res_masks', full: 'masks', extraDims: 0 },
  'samexporter-hwc': { iou: 'iou_predictions', low: 'low_res_masks', full: 'masks', extraDims: 0 },
  'transformers-sam': { iou: 'iou_scores', low: 'pred_masks', full: null, extraDims: 1 },
  edgesam: { iou: 'scores', low: 'masks', full: null, extraDims: 0 },
  // [batch, queries, 3, H, W]: one image, one query
  efficientsam: { iou: 'iou_predictions', low: null, full: 'output_masks', extraDims: 1 },
  litemedsam: { iou: 'iou_predictions', low: 'low_res_masks', full: null, extraDims: 0 },
  sam2: { iou: 'iou_predictions', low: 'masks', full: null, extraDims: 0 },
};

export function readDecoder(layout: LayoutId, out: Ort.InferenceSession.ReturnType): DecoderAnswer {
  const o = OUTPUTS[layout];
  // fp16 exports answer in float16: converted here, once
  const f32 = (name: string) => tensorFloat32(out[name]!);
  const dims = (name: string): [string, number[]] => [name, (out[name]!.dims as number[]).slice(o.extraDims)];
  const shapes = { iou: dims(o.iou), low: o.low && out[o.low] ? dims(o.low) : null, full: o.full ? dims(o.full) : null };
  let full: DecoderAnswer['full'] = null;
  if (o.full) {
    const d = shapes.full![1];
    full = { data: f32(o.full), height: d[2]!, width: d[3]! };
  }
  return { iou: f32(o.iou), full, low: o.low && out[o.low] ? f32(o.low) : null, shapes };
}

/**
 * Which mask to keep. MedSAM runs with mask token 0 only: with a 4-mask decoder it is token 0,
 * a single-mask decoder returns it when the padding point is fed (decoderFeeds). Otherwise a 4-mask
 * decoder (all of SAM's tokens) follows SAM's ONNX `select_masks`: token 0 when 3 or more points are
 * fed (padding and box corners count), else the best-scored of 1–3; any other count the best iou.
 */
export function selectMask(iou: ArrayLike<number>, pointsFed: number, family: TeacherFamily = 'sam'): number {
  if (family === 'medsam') return 0;
  const bias = (i: number) => (iou.length === 4 && i === 0 ? (pointsFed - 2.5) * 1000 : 0);
  let best = 0;
  for (let i = 1; i < iou.length; i++) if (iou[i]! + bias(i) > iou[best]! + bias(best)) best = i;
  return best;
}
