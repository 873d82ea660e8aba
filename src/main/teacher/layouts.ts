import type { EncoderLayout, TeacherFamily } from './families';

/**
 * The ONNX layouts of SAM-family exports the app can feed, recognised from the graphs' inputs,
 * outputs and element types — never from a file name. Each layout fixes how its makers feed it:
 * preprocessing (preprocess.ts), prompt encoding and mask choice (decoder-io.ts).
 *
 *   segment-anything   SAM's scripts/export_onnx_model.py decoder; encoder [1,3,1024,1024] float32
 *                      (exported from `sam.image_encoder`, any input name). SAM, MobileSAM, MedSAM,
 *                      HQ-style variants with the same I/O.
 *   samexporter-hwc    the same decoder; encoder [H,W,3] (float32 or uint8, height/width symbolic)
 *                      that normalises and pads inside (samexporter's export with preprocessing).
 *   transformers-sam   Hugging Face / transformers.js SAM and SlimSAM (optimum export): encoder
 *                      `pixel_values` → `image_embeddings` + `image_positional_embeddings`; decoder
 *                      `input_points` [B,P,n,2], int64 `input_labels` [B,P,n] → `iou_scores`,
 *                      `pred_masks` (3 low-resolution masks). No box input.
 *   edgesam            EdgeSAM's scripts/export_onnx_model.py: encoder `image` [1,3,1024,1024],
 *                      decoder `image_embeddings`, `point_coords`, `point_labels` → `scores`,
 *                      `masks` (4 low-resolution masks); no mask input, no original size.
 *   efficientsam       EfficientSAM's export_to_onnx.py: encoder `batched_images` [batch,3,H,W],
 *                      the whole image in 0..1 (it resizes to 1024 and normalises inside) →
 *                      `image_embeddings`; decoder `batched_point_coords` [B,Q,n,2] in source
 *                      pixels, `batched_point_labels`, int64 `orig_im_size` → `output_masks`
 *                      (3 full-size masks), `iou_predictions`. The graph pads or cuts to 6 points.
 *   litemedsam         LiteMedSAM / Rep-MedSAM (CVPR 2024 challenge exports): encoder
 *                      [1,3,256,256] → `image_embeddings`; box-only decoder `image_embeddings`,
 *                      `boxes` [1,4] in the 256 frame → `low_res_masks` [1,1,256,256] (= the 256
 *                      frame), `iou_predictions`.
 *   sam2               SAM 2 / 2.1 image predictor (samexporter's export_sam2.py): encoder `image`
 *                      [1,3,1024,1024] → `high_res_feats_0`, `high_res_feats_1`, `image_embed` (all
 *                      three cached); decoder those, `point_coords`, `point_labels`, `mask_input`,
 *                      `has_mask_input` → `masks` (3 low-resolution), `iou_predictions`; the graph
 *                      appends its own padding point.
 *
 * Precision: a float input or output may be float16 (fp16 exports); it is converted at the
 * boundary (half.ts). int8-quantised exports keep float32 I/O, so they are the same layouts.
 *
 * A symbolic dimension is accepted only where the layout's makers leave it symbolic (a batch, the
 * number of points, an HWC image's height and width): a [batch,3,height,width] encoder may expect
 * anything and is refused unless a layout names it.
 */

export type LayoutId = 'segment-anything' | 'samexporter-hwc' | 'transformers-sam' | 'edgesam' | 'efficientsam' | 'litemedsam' | 'sam2';
export type Shape = (number | string)[];

export interface TensorMeta {
  name: string;
  type: string;
  shape: Shape;
}

export interface Graph {
  inputs: TensorMeta[];
  outputs: TensorMeta[];
}

export interface EncoderInterface {
  input: string;
  /** 'nchw': [1,3,1024,1024] already normalised and padded; 'hwc': [H,W,3] resized 0..255 image. */
  layout: EncoderLayout;
  /** float16: an fp16 export, fed float32 values converted at the boundary. */
  inputType: 'float32' | 'uint8' | 'float16';
  inputShape: Shape;
  /** The image embedding output (the first of `outputs`). */
  output: string;
  outputShape: Shape;
  /** Every output the decoder needs, in the order the embedding cache stores them. */
  outputs?: { name: string; shape: number[] }[];
}

export interface DecoderInterface {
  inputs: Record<string, Shape>;
  outputs: Record<string, Shape>;
  /** Masks per prompt (1 for a single-mask export, 3 or 4 for multimask). */
  maskCount: number;
  /** Float inputs an fp16 export declares float16 (converted at the boundary, half.ts). */
  halfInputs?: string[];
  /** Whether full-size masks came back at the original size in the test run (else low-resolution masks are upscaled). */
  masksAtOriginalSize: boolean;
}

export interface LayoutSpec {
  id: LayoutId;
  label: string;
  /** Families whose weights come in this layout (MedSAM only in segment-anything's). */
  families: readonly TeacherFamily[];
  /** Whether the decoder takes a box (corner labels 2, 3). */
  takesBox: boolean;
  /** Whether the decoder takes a mask prompt (mask_input). */
  takesMask: boolean;
  /** False for a box-only decoder (LiteMedSAM); points are then dropped and recorded. */
  takesPoints?: boolean;
  /** Most points the graph reads, box corners included (EfficientSAM: 6). */
  maxPoints?: number;
  /** What the encoder is fed, for `models check` and the Models view. */
  preprocessing: (family: TeacherFamily) => string;
  /** How prompts are encoded and which mask is kept. */
  prompts: (family: TeacherFamily) => string;
  encoder: (g: Graph) => Omit<EncoderInterface, never> | Miss;
  decoder: (g: Graph) => Omit<DecoderInterface, 'maskCount' | 'masksAtOriginalSize'> | Miss;
}

/** Why a graph does not fit a layout. */
export interface Miss {
  miss: string;
}

export const isMiss = (x: object): x is Miss => 'miss' in x;

export const fmtShape = (s: readonly (number | string)[]) => `[${s.map((d) => (typeof d === 'string' ? d || '?' : d)).join(',')}]`;
export const describeMeta = (m: TensorMeta) => `${m.name} ${m.type} ${fmtShape(m.shape)}`;

/** A dimension onnxruntime reports as symbolic: a named or unnamed symbol, or -1. */
const symbolic = (d: number | string | undefined) => typeof d === 'string' || (typeof d === 'number' && d < 0);

/** Equal when fixed; a symbol where the layout allows one (expected 'sym'). */
function dimFits(expected: number | 'sym', found: number | string | undefined): boolean {
  if (found === undefined) return false;
  if (expected === 'sym') return true;
  return found === expected || (expected === 1 && symbolic(found)); // a symbolic batch holds 1
}

function shapeFits(expected: readonly (number | 'sym')[], found: Shape): boolean {
  return expected.length === found.length && expected.every((d, i) => dimFits(d, found[i]));
}

/** float32 where expected, or float16 (an fp16 export, converted at the boundary). */
const floatFits = (expected: string, found: string) => found === expected || (expected === 'float32' && found === 'float16');

const want = (name: string, type: string, shape: readonly (number | 'sym')[]) => `${name} ${type} ${fmtShape(shape.map((d) => (d === 'sym' ? 'N' : d)))}`;

export const EMBEDDING: readonly number[] = [1, 256, 64, 64];
const EMBED_FIT = [1, 256, 64, 64] as const;

const concrete = (s: Shape): number[] => s.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));

function embeddingOutput(g: Graph, name?: string, shape: readonly number[] = EMBED_FIT): TensorMeta | Miss {
  const o = name ? g.outputs.find((x) => x.name === name) : (g.outputs.find((x) => x.name === 'image_embeddings') ?? (g.outputs.length === 1 ? g.outputs[0] : undefined));
  if (!o) return { miss: name ? `no output ${name}` : `no output named image_embeddings (outputs: ${g.outputs.map(describeMeta).join(', ') || 'none'})` };
  if (!floatFits('float32', o.type) || !shapeFits(shape, o.shape)) return { miss: `output ${describeMeta(o)}, expected float32 ${fmtShape(shape)}` };
  return o;
}

/** An encoder taking [1,3,side,side] float32 with the spatial size fixed (the batch may be symbolic). */
function nchwEncoder(g: Graph, inputName?: string, side = 1024): EncoderInterface | Miss {
  if (g.inputs.length !== 1) return { miss: `it has ${g.inputs.length} inputs` };
  const input = g.inputs[0]!;
  if (inputName && input.name !== inputName) return { miss: `its input is ${input.name}, not ${inputName}` };
  if (input.shape.length !== 4 || !dimFits(1, input.shape[0]) || input.shape[1] !== 3) return { miss: `input ${input.name} has shape ${fmtShape(input.shape)}` };
  if (input.shape[2] !== side || input.shape[3] !== side) {
    return symbolic(input.shape[2]) || symbolic(input.shape[3])
      ? { miss: `input ${input.name} ${fmtShape(input.shape)} has a symbolic height/width: such an encoder may resize and normalise inside, so what to feed it is unknown unless a layout names it (EfficientSAM's batched_images)` }
      : { miss: `input ${input.name} has shape ${fmtShape(input.shape)}, expected [1,3,${side},${side}]` };
  }
  if (!floatFits('float32', input.type)) return { miss: `input ${input.name} is ${input.type}, not float32` };
  const out = embeddingOutput(g);
  if (isMiss(out)) return out;
  return { input: input.name, layout: 'nchw', inputType: input.type as 'float32' | 'float16', inputShape: input.shape, output: out.name, outputShape: out.shape, outputs: [{ name: out.name, shape: concrete(out.shape) }] };
}

/** EfficientSAM's encoder: `batched_images` [batch,3,height,width], the whole image; it resizes and normalises inside. */
function efficientSamEncoder(g: Graph): EncoderInterface | Miss {
  if (g.inputs.length !== 1) return { miss: `it has ${g.inputs.length} inputs` };
  const input = g.inputs[0]!;
  if (input.name !== 'batched_images') return { miss: `its input is ${input.name}, not batched_images` };
  if (input.shape.length !== 4 || !dimFits(1, input.shape[0]) || input.shape[1] !== 3 || !symbolic(input.shape[2]) || !symbolic(input.shape[3])) {
    return { miss: `input batched_images has shape ${fmtShape(input.shape)}, not [batch,3,height,width] with symbolic height and width` };
  }
  if (!floatFits('float32', input.type)) return { miss: `input batched_images is ${input.type}, not float32` };
  const out = embeddingOutput(g, 'image_embeddings');
  if (isMiss(out)) return out;
  return { input: input.name, layout: 'nchw', inputType: input.type as 'float32' | 'float16', inputShape: input.shape, output: out.name, outputShape: out.shape, outputs: [{ name: out.name, shape: concrete(out.shape) }] };
}

/** SAM 2's image encoder: [1,3,1024,1024] → image_embed and the two high-resolution feature maps, all cached. */
function sam2Encoder(g: Graph): EncoderInterface | Miss {
  if (g.inputs.length !== 1) return { miss: `it has ${g.inputs.length} inputs` };
  const base = nchwEncoder({ inputs: g.inputs, outputs: g.outputs.filter((o) => o.name === 'image_embed') });
  if (isMiss(base)) return g.outputs.some((o) => o.name === 'image_embed') ? base : { miss: `no output image_embed (outputs: ${g.outputs.map(describeMeta).join(', ') || 'none'})` };
  const outputs = [...base.outputs!];
  for (const [name, shape] of SAM2_HIGH_RES) {
    const o = embeddingOutput(g, name, shape);
    if (isMiss(o)) return o;
    outputs.push({ name, shape: concrete(o.shape) });
  }
  return { ...base, outputs };
}

const SAM2_HIGH_RES: [string, number[]][] = [
  ['high_res_feats_0', [1, 32, 256, 256]],
  ['high_res_feats_1', [1, 64, 128, 128]],
];

function hwcEncoder(g: Graph): EncoderInterface | Miss {
  if (g.inputs.length !== 1) return { miss: `it has ${g.inputs.length} inputs` };
  const input = g.inputs[0]!;
  if (input.shape.length !== 3 || input.shape[2] !== 3) return { miss: `input ${input.name} has shape ${fmtShape(input.shape)}, not [H,W,3]` };
  if (input.type !== 'float32' && input.type !== 'uint8') return { miss: `input ${input.name} is ${input.type}, not float32 or uint8` };
  if (!symbolic(input.shape[0]) || !symbolic(input.shape[1])) {
    return {
      miss: `input ${input.name} ${fmtShape(input.shape)} has a fixed height/width, but it receives the image resized to longest side 1024 (e.g. 1024×576); export it with dynamic height and width`,
    };
  }
  const out = embeddingOutput(g);
  if (isMiss(out)) return out;
  return { input: input.name, layout: 'hwc', inputType: input.type, inputShape: input.shape, output: out.name, outputShape: out.shape, outputs: [{ name: out.name, shape: concrete(out.shape) }] };
}

interface Port {
  name: string;
  type: string;
  shape: readonly (number | 'sym')[];
  /** The dims that must be symbolic (e.g. the number of points). */
  dynamic?: number[];
}

/** Checks a graph's ports by name, type and shape; every problem is listed. */
function ports(g: Graph, inputs: Port[], outputs: string[]): { inputs: Record<string, Shape>; outputs: Record<string, Shape>; halfInputs?: string[] } | Miss {
  const problems: string[] = [];
  const found: Record<string, Shape> = {};
  const half: string[] = [];
  for (const w of inputs) {
    const got = g.inputs.find((m) => m.name === w.name);
    if (!got) {
      problems.push(`input ${want(w.name, w.type, w.shape)} is missing`);
      continue;
    }
    found[got.name] = got.shape;
    if (got.type === 'float16' && w.type === 'float32') half.push(got.name);
    if (!floatFits(w.type, got.type) || !shapeFits(w.shape, got.shape)) problems.push(`input ${w.name} should be ${want(w.name, w.type, w.shape).slice(w.name.length + 1)}, found ${got.type} ${fmtShape(got.shape)}`);
    else for (const i of w.dynamic ?? []) if (!symbolic(got.shape[i])) problems.push(`input ${w.name} must take any number of points, found a fixed ${fmtShape(got.shape)}`);
  }
  const extra = g.inputs.filter((m) => !inputs.some((d) => d.name === m.name));
  if (extra.length) problems.push(`unexpected inputs ${extra.map(describeMeta).join(', ')}`);
  const outs: Record<string, Shape> = {};
  for (const name of outputs) {
    const o = g.outputs.find((x) => x.name === name);
    if (!o) problems.push(`output ${name} is missing`);
    else outs[name] = o.shape;
  }
  if (problems.length) return { miss: problems.join('; ') };
  return half.length ? { inputs: found, outputs: outs, halfInputs: half } : { inputs: found, outputs: outs };
}

/** EfficientSAM's `decoder_max_num_input_points`: its graph pads to, or cuts at, 6 points. */
export const EFFICIENTSAM_MAX_POINTS = 6;

const SAM_DECODER_INPUTS: Port[] = [
  { name: 'image_embeddings', type: 'float32', shape: EMBED_FIT },
  { name: 'point_coords', type: 'float32', shape: [1, 'sym', 2], dynamic: [1] },
  { name: 'point_labels', type: 'float32', shape: [1, 'sym'] },
  { name: 'mask_input', type: 'float32', shape: [1, 1, 256, 256] },
  { name: 'has_mask_input', type: 'float32', shape: [1] },
  { name: 'orig_im_size', type: 'float32', shape: [2] },
];
const SAM_DECODER_OUTPUTS = ['masks', 'iou_predictions', 'low_res_masks'];

const samDecoder = (g: Graph) => ports(g, SAM_DECODER_INPUTS, SAM_DECODER_OUTPUTS);

const SAM_PREPROCESS =
  'resize longest side to 1024 (bilinear, antialiased), RGB, normalise (x − mean) / std with mean 123.675, 116.28, 103.53 and std 58.395, 57.12, 57.375, pad bottom/right with 0 to 1024×1024';
const MEDSAM_PREPROCESS = 'stretch to 1024×1024 (bicubic, antialiased), RGB, min–max scale the image to [0, 1], no padding';

export const LAYOUTS: readonly LayoutSpec[] = [
  {
    id: 'segment-anything',
    label: "segment-anything's official export (SAM, MobileSAM, MedSAM, HQ-style variants)",
    families: ['sam', 'mobilesam', 'medsam'],
    takesBox: true,
    takesMask: true,
    preprocessing: (f) => `${f === 'medsam' ? MEDSAM_PREPROCESS : SAM_PREPROCESS}; [1,3,1024,1024] float32`,
    prompts: (f) =>
      f === 'medsam'
        ? 'box corners in the stretched 1024 frame (labels 2, 3) plus the padding point (0,0) label −1, so the decoder uses mask token 0 as MedSAM does; the low-resolution mask resized to the image'
        : 'points (labels 1/0) and box corners (2, 3) in the 1024 frame, padding point (0,0) label −1 without a box; of 4 masks SAM\'s rule (token 0 for ≥3 points fed, else the best of 1–3), of others the best iou',
    encoder: (g) => nchwEncoder(g),
    decoder: samDecoder,
  },
  {
    id: 'efficientsam',
    label: "EfficientSAM (its export_to_onnx.py: the image in 0..1, resized inside)",
    families: ['sam', 'mobilesam'],
    takesBox: true,
    takesMask: false,
    maxPoints: EFFICIENTSAM_MAX_POINTS,
    preprocessing: () =>
      'the whole image as [1,3,H,W] float32 RGB scaled to 0..1 (x / 255), no resize and no padding: the encoder resizes to 1024×1024 and normalises with ImageNet mean/std inside',
    prompts: () =>
      `points (labels 1/0) and box corners (2, 3) in source pixels (the graph rescales them), int64 orig_im_size [H,W]; at most ${EFFICIENTSAM_MAX_POINTS} points with the box corners (the graph pads with −1 or cuts): points beyond that are dropped and recorded; no mask input; best of 3 full-size masks by iou_predictions`,
    encoder: efficientSamEncoder,
    decoder: (g) =>
      ports(
        g,
        [
          { name: 'image_embeddings', type: 'float32', shape: EMBED_FIT },
          { name: 'batched_point_coords', type: 'float32', shape: [1, 1, 'sym', 2], dynamic: [2] },
          { name: 'batched_point_labels', type: 'float32', shape: [1, 1, 'sym'] },
          { name: 'orig_im_size', type: 'int64', shape: [2] },
        ],
        ['output_masks', 'iou_predictions'],
      ),
  },
  {
    id: 'sam2',
    label: "SAM 2 / 2.1 image predictor (samexporter's export_sam2.py)",
    families: ['sam', 'mobilesam'],
    takesBox: true,
    takesMask: true,
    preprocessing: () =>
      'stretch to 1024×1024 (bilinear, antialiased; resized as bytes, where SAM2Transforms resizes the 0..1 floats: within a grey level), RGB, rescale by 1/255, normalise with ImageNet mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225, no padding; [1,3,1024,1024] float32 image; image_embed and both high_res_feats are cached',
    prompts: () =>
      'points (labels 1/0) and box corners (2, 3) in the stretched 1024 frame (x·1024/W, y·1024/H); the graph appends its own padding point; best of 3 masks by iou_predictions, low-resolution masks resized to the image',
    encoder: sam2Encoder,
    decoder: (g) =>
      ports(
        g,
        [
          { name: 'image_embed', type: 'float32', shape: EMBED_FIT },
          { name: 'high_res_feats_0', type: 'float32', shape: [1, 32, 256, 256] },
          { name: 'high_res_feats_1', type: 'float32', shape: [1, 64, 128, 128] },
          { name: 'point_coords', type: 'float32', shape: [1, 'sym', 2], dynamic: [1] },
          { name: 'point_labels', type: 'float32', shape: [1, 'sym'] },
          { name: 'mask_input', type: 'float32', shape: [1, 1, 256, 256] },
          { name: 'has_mask_input', type: 'float32', shape: [1] },
        ],
        ['masks', 'iou_predictions'],
      ),
  },
  {
    id: 'litemedsam',
    label: 'LiteMedSAM / Rep-MedSAM (256 frame, box-only decoder)',
    families: ['medsam'],
    takesBox: true,
    takesPoints: false,
    takesMask: false,
    preprocessing: () =>
      'resize longest side to 256 (area averaging as cv2 INTER_AREA; bilinear when enlarging), RGB, min–max scale the resized image to [0, 1], pad bottom/right with 0 to 256×256; [1,3,256,256] float32',
    prompts: () =>
      'box only: boxes [1,4] = x0, y0, x1, y1 in the 256 frame (source × 256 / longest side); points are dropped (recorded), a box is required; the one low-resolution mask (the 256 frame itself) resized to the image',
    encoder: (g) => nchwEncoder(g, undefined, 256),
    decoder: (g) =>
      ports(
        g,
        [
          { name: 'image_embeddings', type: 'float32', shape: EMBED_FIT },
          { name: 'boxes', type: 'float32', shape: [1, 4] },
        ],
        ['low_res_masks', 'iou_predictions'],
      ),
  },
  {
    id: 'samexporter-hwc',
    label: "samexporter's encoder with preprocessing inside, segment-anything's decoder",
    families: ['sam', 'mobilesam'],
    takesBox: true,
    takesMask: true,
    preprocessing: () => 'resize longest side to 1024 (bilinear, antialiased), RGB 0..255 as [h,w,3]; the encoder normalises and pads inside',
    prompts: () => 'as segment-anything: points and box corners in the 1024 frame, padding point without a box',
    encoder: hwcEncoder,
    decoder: samDecoder,
  },
  {
    id: 'transformers-sam',
    label: 'Hugging Face / transformers.js SAM and SlimSAM',
    families: ['sam', 'mobilesam'],
    takesBox: false,
    takesMask: false,
    preprocessing: () =>
      'resize longest side to 1024 (bilinear, antialiased), RGB, rescale by 1/255, normalise with ImageNet mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225, pad bottom/right with 0 to 1024×1024; [1,3,1024,1024] float32 pixel_values',
    prompts: () =>
      'input_points [1,1,n,2] in the 1024 frame, int64 input_labels 1/0 (the graph appends its own padding point, −1); no box input: a box is dropped, and stands in as its centre (a positive point) when there is no point; best of 3 masks by iou_scores, low-resolution masks resized to the image',
    encoder: (g) => {
      const base = nchwEncoder({ inputs: g.inputs, outputs: g.outputs.filter((o) => o.name === 'image_embeddings') }, 'pixel_values');
      if (isMiss(base)) return base;
      const pe = embeddingOutput(g, 'image_positional_embeddings');
      if (isMiss(pe)) return pe;
      return { ...base, outputs: [...base.outputs!, { name: pe.name, shape: concrete(pe.shape) }] };
    },
    decoder: (g) =>
      ports(
        g,
        [
          { name: 'input_points', type: 'float32', shape: [1, 1, 'sym', 2], dynamic: [2] },
          { name: 'input_labels', type: 'int64', shape: [1, 1, 'sym'] },
          { name: 'image_embeddings', type: 'float32', shape: EMBED_FIT },
          { name: 'image_positional_embeddings', type: 'float32', shape: EMBED_FIT },
        ],
        ['iou_scores', 'pred_masks'],
      ),
  },
  {
    id: 'edgesam',
    label: 'EdgeSAM (its scripts/export_onnx_model.py)',
    families: ['sam', 'mobilesam'],
    takesBox: true,
    takesMask: false,
    preprocessing: () => `${SAM_PREPROCESS}; [1,3,1024,1024] float32 image`,
    prompts: () =>
      "points (labels 1/0) and box corners (2, 3) in the 1024 frame, padding point (0,0) label −1 without a box (the graph adds none); no mask input; of the 4 masks SAM's rule, low-resolution masks resized to the image",
    encoder: (g) => nchwEncoder(g),
    decoder: (g) =>
      ports(
        g,
        [
          { name: 'image_embeddings', type: 'float32', shape: EMBED_FIT },
          { name: 'point_coords', type: 'float32', shape: [1, 'sym', 2], dynamic: [1] },
          { name: 'point_labels', type: 'float32', shape: [1, 'sym'] },
        ],
        ['scores', 'masks'],
      ),
  },
];

export function layoutSpec(id: LayoutId): LayoutSpec {
  const l = LAYOUTS.find((x) => x.id === id);
  if (!l) throw new Error(`unknown teacher layout "${id}"`);
  return l;
}

/**
 * A model stored before layouts were recorded: its encoder's tensor layout says which of the two
 * then-accepted layouts it is.
 */
export function storedLayout(iface: { layout?: LayoutId; encoder: { layout: EncoderLayout } }): LayoutId {
  return iface.layout ?? (iface.encoder.layout === 'hwc' ? 'samexporter-hwc' : 'segment-anything');
}

/** The detected layout and what the app will feed it, for `models check` and the Models view. */
export function layoutFeeding(iface: { family: TeacherFamily; layout?: LayoutId; encoder: { layout: EncoderLayout } }) {
  const layout = layoutSpec(storedLayout(iface));
  return {
    layout: layout.id,
    layoutLabel: layout.label,
    preprocessing: layout.preprocessing(iface.family),
    prompts: layout.prompts(iface.family),
    takesBox: layout.takesBox,
    takesPoints: layout.takesPoints !== false,
  };
}
