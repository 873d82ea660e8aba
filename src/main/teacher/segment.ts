import { fromFrame, LOW_RES_SIDE, lowResFrame, toFrame, type Box, type Frame, type Point } from '../imaging/geometry/frames';
import { upsampleThresholded } from '../imaging/geometry/resample';
import type { Mask } from '../imaging/mask';
import type { Rgb } from '../imaging/raster';
import { imageRecord, loadModelRgb } from '../workspace/images';
import type { Workspace } from '../workspace/workspace';
import { embeddingCache as defaultCache, flushEmbeddingWrites, type EmbeddingCache, type EmbeddingKey, type EmbeddingLookup } from './embeddings';
import { decoderFeeds, embeddingParts, readDecoder, selectMask, translatePrompt, type Translation } from './decoder-io';
import { familySpec, type TeacherFamily } from './families';
import { layoutSpec, storedLayout, type LayoutId } from './layouts';
import { layoutFrame, layoutRecipe } from './preprocess';
import { halfFeeds, tensorFloat32 } from './half';
import type { EncodedImage, EncoderSpec } from './encode-image';
import { encodeOffThread, releaseEncoderThread } from './encoder-thread';
import { promptSettings, promptsFromMap, type MaskPrompt, type ProbabilityMap, type PromptPoint, type PromptSettings, type TeacherPrompt } from './prompts';
import { createSession, defaultDevice, type Device, type DeviceSession, type ResolvedDevice } from '../onnx/device';
import { loadOrt } from '../onnx/runtime';
import { getTeacherModel, proveTeacherFiles, teacherPartPath, teacherPartSha, TeacherModelError, type TeacherModel } from './registry';

/** SAM's mask threshold on logits (segment_anything: `mask_threshold = 0.0`). */
export const MASK_LOGIT_THRESHOLD = 0;

export interface SegmentOptions {
  /** Teacher model id; the most recently added when absent. */
  modelId?: number;
  device?: Device;
  cache?: EmbeddingCache;
  /**
   * The image as the models see it (`loadModelRgb`), when the caller has it already (one-time
   * mining decodes each image for the student first): a cache miss then does not decode it again.
   * Unused on a cache hit, which never needs the pixels.
   */
  rgb?: Rgb;
  /**
   * Interactive prompting: skip the export's own upscaling of every mask to the original size
   * (SAM's `masks` output: all four planes through 1024×1024, then cropped and resized); the one
   * mask kept is upsampled from its low-resolution logits instead (`lowResToMask`, as for MedSAM
   * and the low-resolution layouts). Masks then differ from the full path only on boundary pixels.
   */
  lowResOnly?: boolean;
}

/** User prompts in source pixel coordinates. */
export interface UserPrompt {
  points?: PromptPoint[];
  box?: Box | null;
  mask?: MaskPrompt | null;
}

export interface SegmentResult {
  imageId: number;
  modelId: number;
  family: TeacherFamily;
  /** At the source image's full resolution, 0/1. */
  mask: Mask;
  area: number;
  /** The decoder's own quality estimate for the chosen mask (area-weighted mean over prompts). */
  iouPrediction: number;
  /** 0 when the embedding came from the cache. */
  encoderMs: number;
  decoderMs: number;
  embedding: EmbeddingLookup['source'];
  device: ResolvedDevice;
  notes: string[];
  /** The export layout the model was fed as (layouts.ts). */
  layout: LayoutId;
  /** Prompts the model could not take as given, one entry per prompt (null: fed as given). */
  translations: (Translation | null)[];
}

export { selectMask };

/**
 * Loaded sessions for one teacher model: the decoder's, opened lazily here (its runs are short and
 * interactive). The encoder runs on the encoder thread (encoder-thread.ts), which holds its session.
 */
class TeacherRuntime {
  private decoder: Promise<DeviceSession> | null = null;

  constructor(
    readonly encoderPath: string,
    readonly decoderPath: string,
    readonly device: Device,
  ) {}

  decoderSession(): Promise<DeviceSession> {
    this.decoder ??= createSession(this.decoderPath, this.device);
    this.decoder.catch(() => (this.decoder = null));
    return this.decoder;
  }

  async release(): Promise<void> {
    const s = this.decoder;
    this.decoder = null;
    if (!s) return;
    try {
      await (await s).session.release();
    } catch {
      /* a failed open has nothing to release */
    }
  }
}

const runtimes = new Map<string, TeacherRuntime>();

function runtimeFor(ws: Workspace, model: TeacherModel, device: Device): TeacherRuntime {
  const enc = teacherPartPath(ws, model, 'encoder');
  const dec = teacherPartPath(ws, model, 'decoder');
  const key = `${enc}\n${dec}\n${device}`;
  let r = runtimes.get(key);
  if (!r) {
    r = new TeacherRuntime(enc, dec, device);
    runtimes.set(key, r);
  }
  return r;
}

/**
 * Releases every open teacher session (at workspace close, or in tests), after the embedding
 * cache's background writes have finished.
 */
export async function releaseTeacherSessions(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  for (const r of all) await r.release();
  await releaseEncoderThread();
  await flushEmbeddingWrites();
}

interface Prepared {
  model: TeacherModel;
  runtime: TeacherRuntime;
  frame: Frame;
  width: number;
  height: number;
  embedding: EmbeddingLookup;
  notes: string[];
  /** When this call ran the encoder: where, and its session run alone. */
  encoder: { device: ResolvedDevice; runMs: number } | null;
}

/**
 * The cache key of an image's embedding for a model. The recipe is known without decoding the
 * image: it depends on the layout, family and encoder interface.
 */
function embeddingKeyOf(model: TeacherModel, rec: { sha256: string; frame_index: number }): EmbeddingKey {
  const recipe = layoutRecipe(storedLayout(model.interface), model.family, model.interface.encoder);
  return { imageSha256: rec.sha256, frameIndex: rec.frame_index, encoderSha256: teacherPartSha(model, 'encoder'), recipe };
}

/**
 * Starts reading these images' stored embeddings for a model from disk in the background
 * (EmbeddingCache.prefetch): for a caller that knows which images it will segment next.
 */
export function prefetchEmbeddings(ws: Workspace, imageIds: readonly number[], opts: { modelId?: number; cache?: EmbeddingCache } = {}): void {
  const model = getTeacherModel(ws, opts.modelId);
  (opts.cache ?? defaultCache).prefetch(
    ws,
    imageIds.map((id) => embeddingKeyOf(model, imageRecord(ws, id))),
  );
}

/** The image's embedding for a model: from the cache, or by running the encoder once. */
export async function imageEmbedding(ws: Workspace, imageId: number, opts: SegmentOptions = {}): Promise<Prepared> {
  const model = getTeacherModel(ws, opts.modelId);
  const iface = model.interface;
  const rec = imageRecord(ws, imageId);
  if (opts.rgb && (opts.rgb.width !== rec.width || opts.rgb.height !== rec.height)) {
    throw new TeacherModelError(`the pixels given for image ${imageId} are ${opts.rgb.width}×${opts.rgb.height}, the image is ${rec.width}×${rec.height}`);
  }
  if (opts.rgb && opts.rgb.data.length !== rec.width * rec.height * 3) {
    throw new TeacherModelError(`the pixels given for image ${imageId} are ${opts.rgb.data.length} bytes; ${rec.width}×${rec.height} RGB is ${rec.width * rec.height * 3}`);
  }
  await proveTeacherFiles(ws, model); // read back ahead, without holding the thread (runtimeFor checks them)
  const runtime = runtimeFor(ws, model, opts.device ?? defaultDevice());
  const cache = opts.cache ?? defaultCache;
  const notes: string[] = [];
  const layout = storedLayout(iface);
  let encoded: EncodedImage | undefined;
  const embedding = await cache.get(ws, embeddingKeyOf(model, rec), async () => {
    // On the encoder thread: the run (seconds for a large SAM) leaves this thread free meanwhile.
    // Pixels this call decoded are handed over; a caller's own are copied.
    const spec: EncoderSpec = { modelId: model.id, path: runtime.encoderPath, family: model.family, layout, encoder: iface.encoder };
    const r = await encodeOffThread(spec, runtime.device, opts.rgb ?? loadModelRgb(ws, imageId), !opts.rgb);
    encoded = r;
    notes.push(...r.notes);
    return { data: r.data, dims: r.dims };
  });
  const ran = encoded as EncodedImage | undefined; // set when the lookup ran the encoder
  const frame = ran?.frame ?? layoutFrame(layout, model.family, rec.width, rec.height);
  return { model, runtime, frame, width: rec.width, height: rec.height, embedding, notes, encoder: ran ? { device: ran.device, runMs: ran.runMs } : null };
}

/** The map as SAM's mask_input: logits on the 256×256 grid over the 1024 frame (nearest sample). */
function maskInputFrom(prompt: MaskPrompt, teacher: Frame): Float32Array {
  const { map } = prompt;
  const out = new Float32Array(LOW_RES_SIDE * LOW_RES_SIDE);
  const grid = maskGrid(teacher);
  const eps = 1e-6;
  for (let i = 0; i < LOW_RES_SIDE; i++) {
    for (let j = 0; j < LOW_RES_SIDE; j++) {
      const src = fromFrame(grid, { x: j + 0.5, y: i + 0.5 });
      let p = 0;
      if (src.x >= 0 && src.y >= 0 && src.x < map.sourceWidth && src.y < map.sourceHeight) {
        const m = toFrame(map.frame, src);
        const mx = Math.floor(m.x), my = Math.floor(m.y);
        if (mx >= 0 && my >= 0 && mx < map.width && my < map.height) p = map.data[my * map.width + mx]!;
      }
      p = Math.min(1 - eps, Math.max(eps, p));
      out[i * LOW_RES_SIDE + j] = Math.log(p / (1 - p));
    }
  }
  return out;
}

/**
 * Low-resolution logits (256×256 over the 1024 frame) → mask at source resolution: each source
 * pixel centre is placed in the 1024 frame and the grid is sampled bilinearly (align_corners=false),
 * then thresholded at 0. For MedSAM this is exactly its `F.interpolate(low_res, (H, W))`; for SAM it
 * folds the real decoder's 256→1024→crop→(H, W) upscaling into one bilinear step.
 */
export function lowResToMask(low: Float32Array, offset: number, frame: Frame, width: number, height: number): Mask {
  return { width, height, data: upscaleLowRes(low, offset, frame, width, height).data };
}

/** `lowResToMask`, with the mask's area. */
function upscaleLowRes(low: Float32Array, offset: number, frame: Frame, width: number, height: number): { data: Uint8Array; area: number } {
  return upsampleThresholded(low, offset, maskGrid(frame), width, height, MASK_LOGIT_THRESHOLD);
}

/** The 256×256 grid low-resolution masks lie on: 1/4 of a 1024 frame, or a 256 frame itself (LiteMedSAM). */
function maskGrid(frame: Frame): Frame {
  return frame.width === LOW_RES_SIDE && frame.height === LOW_RES_SIDE ? frame : lowResFrame(frame);
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** `out[i] = logits[offset + i] > MASK_LOGIT_THRESHOLD ? 1 : 0` for i < out.length; returns the count of 1s. */
function thresholdInto(logits: Float32Array, offset: number, out: Uint8Array): number {
  const n = out.length;
  if (MASK_LOGIT_THRESHOLD !== 0 || !LITTLE_ENDIAN || out.byteOffset % 4 !== 0) {
    let ones = 0;
    for (let i = 0; i < n; i++) {
      const on = logits[offset + i]! > MASK_LOGIT_THRESHOLD ? 1 : 0;
      out[i] = on;
      ones += on;
    }
    return ones;
  }
  // v > 0 on the float32 bits b: exactly b in [1, 0x7f800000] (positive, finite or +inf; not ±0,
  // not NaN, not negative), i.e. (b - 1) >>> 0 < 0x7f800000. Four pixels per 32-bit store.
  const bits = new Int32Array(logits.buffer, logits.byteOffset + offset * 4, n);
  const quads = n >> 2;
  const out32 = new Uint32Array(out.buffer, out.byteOffset, quads);
  let ones = 0;
  for (let q = 0, i = 0; q < quads; q++, i += 4) {
    const a = (bits[i]! - 1) >>> 0 < 0x7f800000 ? 1 : 0;
    const b = (bits[i + 1]! - 1) >>> 0 < 0x7f800000 ? 1 : 0;
    const c = (bits[i + 2]! - 1) >>> 0 < 0x7f800000 ? 1 : 0;
    const d = (bits[i + 3]! - 1) >>> 0 < 0x7f800000 ? 1 : 0;
    // Little-endian: byte 0 is the lowest.
    out32[q] = a | (b << 8) | (c << 16) | (d << 24);
    ones += a + b + c + d;
  }
  for (let i = quads * 4; i < n; i++) {
    const on = (bits[i]! - 1) >>> 0 < 0x7f800000 ? 1 : 0;
    out[i] = on;
    ones += on;
  }
  return ones;
}

/** `into |= from` element-wise (0/1 masks of one size). */
function unite(into: Uint8Array, from: Uint8Array): void {
  const n = into.length;
  for (let i = 0; i < n; i++) into[i] = into[i]! | from[i]!;
}

function countOnes(data: Uint8Array): number {
  let ones = 0;
  const n = data.length;
  for (let i = 0; i < n; i++) ones += data[i]!;
  return ones;
}

/** SAM's mask_input when there is no mask prompt: zeros (only ever read, so one buffer serves every decode). */
const NO_MASK_INPUT = new Float32Array(LOW_RES_SIDE * LOW_RES_SIDE);

interface Decoded {
  mask: Mask;
  area: number;
  iou: number;
  ms: number;
  device: ResolvedDevice;
  notes: string[];
}

interface DecodedPrompt extends Decoded {
  translation: Translation | null;
}

/** Layouts whose decoder also upscales every mask to the original size, and the outputs that leave it out. */
const LOW_RES_OUTPUTS: Partial<Record<LayoutId, { iou: string; low: string }>> = {
  'segment-anything': { iou: 'iou_predictions', low: 'low_res_masks' },
  'samexporter-hwc': { iou: 'iou_predictions', low: 'low_res_masks' },
};

async function decodeOnce(p: Prepared, prompt: UserPrompt, lowResOnly = false): Promise<DecodedPrompt> {
  const spec = familySpec(p.model.family);
  const layout = storedLayout(p.model.interface);
  const given = prompt.points ?? [];
  const givenBox = prompt.box ?? null;
  if (spec.needsBox && !givenBox) throw new TeacherModelError(`${spec.label} needs a box prompt (points alone are not what it was trained on)`);
  if (layoutSpec(layout).takesPoints === false && !givenBox) throw new TeacherModelError(`the ${layout} decoder takes a box only; give a box (in mining: turn the box prompt on)`);
  if (!givenBox && given.length === 0 && !prompt.mask) throw new TeacherModelError('no prompt: give at least one point, a box or a mask');
  for (const pt of given) checkInside(pt, p.width, p.height, 'point');
  if (givenBox) {
    checkInside({ x: givenBox.x0, y: givenBox.y0 }, p.width, p.height, 'box corner');
    checkInside({ x: givenBox.x1, y: givenBox.y1 }, p.width, p.height, 'box corner');
  }
  const translation = translatePrompt(layout, given, givenBox);
  const points = translation?.points ?? given;
  const box = translation ? translation.box : givenBox;
  if (prompt.mask && !layoutSpec(layout).takesMask) throw new TeacherModelError(`the ${layout} export has no mask input; turn the mask prompt off`);
  const framed = {
    points: points.map((pt) => ({ ...toFrame(p.frame, pt), label: pt.label })),
    box: box
      ? (() => {
          const a = toFrame(p.frame, { x: Math.min(box.x0, box.x1), y: Math.min(box.y0, box.y1) });
          const b = toFrame(p.frame, { x: Math.max(box.x0, box.x1), y: Math.max(box.y0, box.y1) });
          return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
        })()
      : null,
  };
  const maskInput = prompt.mask ? maskInputFrom(prompt.mask, p.frame) : null;
  const dec = await p.runtime.decoderSession();
  const ort = await loadOrt();
  const embedding = embeddingParts(p.model.interface.encoder, p.embedding.data, p.embedding.dims);
  const { feeds, pointsFed } = decoderFeeds(ort, layout, p.model.family, embedding, framed, { width: p.width, height: p.height }, maskInput, NO_MASK_INPUT);
  const fed = halfFeeds(ort, feeds, p.model.interface.decoder.halfInputs);
  // onnxruntime runs only the nodes the fetched outputs need.
  const skip = lowResOnly ? LOW_RES_OUTPUTS[layout] : undefined;
  const t0 = performance.now();
  const out = skip ? await dec.session.run(fed, [skip.iou, skip.low]) : await dec.session.run(fed);
  const ms = performance.now() - t0;
  const answer = skip ? { iou: tensorFloat32(out[skip.iou]!), full: null, low: tensorFloat32(out[skip.low]!) } : readDecoder(layout, out);
  const best = selectMask(answer.iou, pointsFed, p.model.family);
  let data: Uint8Array;
  let area: number;
  if (spec.maskFrom === 'masks' && answer.full && answer.full.height === p.height && answer.full.width === p.width) {
    const plane = p.width * p.height;
    data = new Uint8Array(plane);
    area = thresholdInto(answer.full.data, best * plane, data);
  } else {
    ({ data, area } = upscaleLowRes(answer.low!, best * LOW_RES_SIDE * LOW_RES_SIDE, p.frame, p.width, p.height));
  }
  return { mask: { width: p.width, height: p.height, data }, area, iou: answer.iou[best]!, ms, device: dec.device, notes: dec.notes, translation };
}

function checkInside(pt: Point, w: number, h: number, what: string): void {
  if (!(Number.isFinite(pt.x) && Number.isFinite(pt.y)) || pt.x < 0 || pt.y < 0 || pt.x > w || pt.y > h) {
    throw new TeacherModelError(`${what} (${pt.x}, ${pt.y}) is outside the image (${w}×${h} pixels)`);
  }
}

/**
 * Segments one image with prompts in source pixel coordinates: embedding from the cache (or the
 * encoder, once), then the decoder; of a multimask decoder's masks the one with the highest
 * iou_prediction is kept. Several prompts (e.g. one per component) are decoded separately and
 * their masks united.
 */
export async function segmentImage(ws: Workspace, imageId: number, prompts: UserPrompt | UserPrompt[], opts: SegmentOptions = {}): Promise<SegmentResult> {
  const list = Array.isArray(prompts) ? prompts : [prompts];
  if (list.length === 0) throw new TeacherModelError('no prompt to segment with');
  const p = await imageEmbedding(ws, imageId, opts);
  let union: Uint8Array | null = null;
  let area = 0;
  let decoderMs = 0;
  let iouSum = 0;
  let weightSum = 0;
  let device: ResolvedDevice = 'cpu';
  const notes = [...p.notes];
  const translations: (Translation | null)[] = [];
  for (const prompt of list) {
    const r = await decodeOnce(p, prompt, opts.lowResOnly);
    translations.push(r.translation);
    decoderMs += r.ms;
    device = r.device;
    for (const n of r.notes) if (!notes.includes(n)) notes.push(n);
    const weight = 'mapArea' in prompt ? Math.max(1, (prompt as TeacherPrompt).mapArea) : 1;
    iouSum += r.iou * weight;
    weightSum += weight;
    // The first mask (this call's own array) is the union so far, with its area; later ones are OR-ed in.
    if (union) unite(union, r.mask.data);
    else {
      union = r.mask.data;
      area = r.area;
    }
  }
  if (list.length > 1) area = countOnes(union!);
  return {
    imageId,
    modelId: p.model.id,
    family: p.model.family,
    mask: { width: p.width, height: p.height, data: union! },
    area,
    iouPrediction: iouSum / weightSum,
    encoderMs: p.embedding.encoderMs,
    decoderMs,
    embedding: p.embedding.source,
    device,
    notes,
    layout: storedLayout(p.model.interface),
    translations,
  };
}

/** A prompt as stored with a pseudo-label (pseudo_labels.prompts): JSON, the map itself left out. */
export interface RecordedPrompt {
  points: PromptPoint[];
  box: Box | null;
  maskPrompt: boolean;
  mapArea: number;
  /** What the model was fed instead, when its layout cannot take the prompt as given. */
  fedAs?: Translation;
}

export function recordPrompts(prompts: TeacherPrompt[], translations: (Translation | null)[] = []): RecordedPrompt[] {
  return prompts.map((p, i) => ({ points: p.points, box: p.box, maskPrompt: p.mask !== null, mapArea: p.mapArea, ...(translations[i] ? { fedAs: translations[i]! } : {}) }));
}

/**
 * The teacher's pseudo-label for an image from the student's probability map: prompts by
 * `settings` (defaults in prompts.ts), then `segmentImage`. Null when no pixel reaches the
 * threshold. The returned settings (defaults filled in) and prompts are what a run records.
 */
export async function segmentFromMap(
  ws: Workspace,
  imageId: number,
  map: ProbabilityMap,
  settings: Partial<PromptSettings> = {},
  opts: SegmentOptions = {},
): Promise<{ result: SegmentResult; prompts: RecordedPrompt[]; settings: PromptSettings } | null> {
  const full = promptSettings(settings);
  const prompts = promptsFromMap(map, full, imageId);
  if (prompts.length === 0) return null;
  const result = await segmentImage(ws, imageId, prompts, opts);
  return { result, prompts: recordPrompts(prompts, result.translations), settings: full };
}
