import { resolve } from 'node:path';
import type { PredictedImage, PredictOutcome } from '../../shared/contract';
import { DEFAULT_LABEL, niftiVolumeExport, writeMaskFile, type MaskExportFormat } from '../export/export-masks';
import { predictionAlgorithm } from '../export/segment-algorithm';
import type { Mask } from '../imaging/mask';
import type { Rgb } from '../imaging/raster';
import { createPredictor, loadStudentFromRun, predictRgb, type Engine, type Prediction, type Predictor } from '../student/predict';
import { sourceFrame } from '../imaging/geometry/frames';
import { promptSettings, promptsFromMap, type PromptSettings } from '../teacher/prompts';
import { describe } from '../util/errors';
import { imageRecord, loadModelRgb } from '../workspace/images';
import type { Workspace } from '../workspace/workspace';
import { makeTeacher, type PseudoTeacher, type TeacherSpec } from './teachers';
import { askPerStructure, mergeStructureAnswers } from './structures';
import { RemedyError } from '../util/errors';

export type InferenceMode = 'fast' | 'refine';

/** One image's prediction in memory (the contract's ModePrediction is what goes over the wire). */
export interface MaskPrediction {
  imageId: number;
  mode: InferenceMode;
  mask: Mask; // at the source image's full resolution (several structures: any of them)
  /** A student with several structures: the structure's schema value at each pixel (exported as a label map / a segment each). */
  labelMap?: Mask | null;
  /** The student's foreground probability per source pixel (what prompted the teacher in refine). */
  prob: Float32Array;
  area: number;
  /** Wall time of this image: student alone (fast), or student → prompts → teacher (refine). */
  latencyMs: number;
  studentMs: number;
  teacherMs: number;
  /** refine only: what the teacher was asked, and whether it had anything to refine. */
  prompts?: unknown;
  refined?: boolean;
}

/**
 * The two inference modes behind one service (CLI and UI toggle):
 *  - fast: the student alone, whole image, mask at source resolution;
 *  - refine: the student's map prompts the teacher (same prompt rules as mining) and the teacher's
 *    mask is the answer; where the student sees nothing there is nothing to prompt, and the
 *    (empty) student mask stands.
 */
export class ModeInference {
  private constructor(
    private readonly ws: Workspace,
    /** The run whose best weights predict (the latest finished supervised run when none was named). */
    readonly runId: number | null,
    private readonly predictor: Predictor,
    private readonly teacher: PseudoTeacher | null,
    private readonly prompts: PromptSettings,
  ) {}

  static async open(
    ws: Workspace,
    opts: { runId?: number; engine?: Engine; teacher?: TeacherSpec | null; prompts?: Partial<PromptSettings> } = {},
  ): Promise<ModeInference> {
    const model = loadStudentFromRun(ws, opts.runId);
    const predictor = await createPredictor(model, opts.engine ?? 'onnx');
    return new ModeInference(ws, model.runId, predictor, opts.teacher ? makeTeacher(ws, opts.teacher) : null, promptSettings(opts.prompts));
  }

  /** The teacher refine mode asks, as pseudo-labels record it; null without one. */
  get teacherLabel(): string | null {
    return this.teacher?.label ?? null;
  }

  async predict(imageId: number, mode: InferenceMode): Promise<MaskPrediction> {
    const t0 = performance.now();
    const rgb = loadModelRgb(this.ws, imageId);
    const pred = await predictRgb(this.predictor, rgb, this.prompts.threshold);
    const studentMs = performance.now() - t0;
    let mask: Mask = { width: pred.width, height: pred.height, data: pred.mask };
    const several = pred.labelValues.length > 1;
    if (mode === 'fast')
      return { ...this.result(imageId, mode, mask, pred.prob, t0, studentMs, 0), labelMap: several ? { width: pred.width, height: pred.height, data: pred.labelMap } : null };
    if (!this.teacher)
      throw new RemedyError('refine mode needs a teacher', {
        cli: 'install a SAM-family model ("apprentice models add") or choose one',
        app: 'install a SAM-family model in the Models tab or choose one',
      });
    if (several) return this.refineStructures(imageId, rgb, pred, t0, studentMs);
    const prompts = promptsFromMap(
      {
        width: pred.width,
        height: pred.height,
        data: pred.prob,
        frame: sourceFrame(pred.width, pred.height),
        sourceWidth: pred.width,
        sourceHeight: pred.height,
      },
      this.prompts,
      imageId,
    );
    const t1 = performance.now();
    if (prompts.length > 0) mask = (await this.teacher.answer(imageId, prompts)).mask;
    const teacherMs = performance.now() - t1;
    return {
      ...this.result(imageId, mode, mask, pred.prob, t0, studentMs, teacherMs),
      prompts: prompts.map((p) => ({ points: p.points, box: p.box })),
      refined: prompts.length > 0,
    };
  }

  /**
   * Refine with several structures: each structure's channel prompts the teacher about it (as
   * mining does) and the answers, merged into a label map, are the prediction; a structure the
   * student does not see keeps nothing, and with none seen the (empty) student prediction stands.
   */
  private async refineStructures(
    imageId: number,
    rgb: Rgb,
    pred: Prediction,
    t0: number,
    studentMs: number,
  ): Promise<MaskPrediction> {
    const { width, height } = pred;
    const channels = pred.labelValues.map((value, c) => ({
      value,
      map: { width, height, data: pred.probs[c]!, frame: sourceFrame(width, height), sourceWidth: width, sourceHeight: height },
    }));
    const t1 = performance.now();
    const answers = await askPerStructure(this.teacher!, imageId, channels, this.prompts, rgb);
    const teacherMs = performance.now() - t1;
    const labelMap = answers.length
      ? mergeStructureAnswers(answers, width, height, (value, pixel) => pred.probs[pred.labelValues.indexOf(value)]![pixel]!)
      : { width, height, data: pred.labelMap };
    const mask: Mask = { width, height, data: labelMap.data.map((v) => (v ? 1 : 0)) };
    return {
      ...this.result(imageId, 'refine', mask, pred.prob, t0, studentMs, teacherMs),
      labelMap,
      prompts: answers.flatMap((a) => a.prompts.map((p) => ({ structure: a.value, points: p.points, box: p.box }))),
      refined: answers.length > 0,
    };
  }

  private result(
    imageId: number,
    mode: InferenceMode,
    mask: Mask,
    prob: Float32Array,
    t0: number,
    studentMs: number,
    teacherMs: number,
  ): MaskPrediction {
    let area = 0;
    for (let i = 0; i < mask.data.length; i++) area += mask.data[i]!;
    return { imageId, mode, mask, prob, area, latencyMs: performance.now() - t0, studentMs, teacherMs };
  }

  async close(): Promise<void> {
    await this.predictor.close();
  }
}

/** `<id>-<source name>.<mode>.png` under `outDir`, written atomically; returns the path. */
export function writePredictionPng(ws: Workspace, outDir: string, p: MaskPrediction): string {
  return writeMaskFile(ws, imageRecord(ws, p.imageId), p.mask, {
    outDir,
    format: 'png',
    tag: p.mode,
    label: DEFAULT_LABEL,
    algorithm: { type: 'AUTOMATIC' }, // a PNG records no algorithm
  }).file;
}

export interface PredictSetRequest {
  imageIds: number[];
  mode: InferenceMode;
  outDir: string;
  format: MaskExportFormat;
  /** The structure's name in DICOM SEG. */
  label?: string;
}

/**
 * Predicts each image of a set with an open inference (fast or refine) and writes its mask (PNG or
 * DICOM SEG, named `<id>-<source>.<mode>…`). An image that fails is listed with its reason and the
 * batch goes on; every image's latency is reported. `signal` stops it between images.
 */
export async function predictSet(
  ws: Workspace,
  inference: ModeInference,
  req: PredictSetRequest,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number, imageId: number) => void } = {},
): Promise<PredictOutcome> {
  const algorithm = predictionAlgorithm(inference.runId, req.mode === 'refine' ? inference.teacherLabel : null);
  const images: PredictedImage[] = [];
  // NIfTI: the predicted slices are written as one label volume per source once all are predicted.
  const volumes = req.format === 'nifti' ? niftiVolumeExport(ws, req.outDir) : null;
  for (const imageId of req.imageIds) {
    opts.signal?.throwIfAborted();
    let p: MaskPrediction | null = null;
    try {
      p = await inference.predict(imageId, req.mode);
      if (volumes) {
        volumes.add(imageRecord(ws, imageId), p.labelMap ?? p.mask, req.mode);
        images.push({ imageId, version: null, file: null, format: null, error: null, ...timings(p) });
        opts.onProgress?.(images.length, req.imageIds.length, imageId);
        continue;
      }
      const w = writeMaskFile(ws, imageRecord(ws, imageId), p.mask, {
        outDir: req.outDir,
        format: req.format,
        tag: req.mode,
        label: req.label ?? DEFAULT_LABEL,
        algorithm,
        labelMap: p.labelMap,
      });
      images.push({ imageId, version: null, file: w.file, format: w.format, error: null, ...timings(p) });
    } catch (e) {
      images.push({ imageId, version: null, file: null, format: null, error: describe(e), ...timings(p) });
    }
    opts.onProgress?.(images.length, req.imageIds.length, imageId);
  }
  for (const v of volumes?.write() ?? []) {
    const image = images.find((i) => i.imageId === v.imageId && i.error === null)!;
    Object.assign(image, { file: v.file, error: v.error, format: v.file ? 'nifti' : null });
  }
  const ok = images.filter((i) => i.file !== null);
  return {
    mode: req.mode,
    runId: inference.runId,
    outDir: resolve(req.outDir),
    images,
    written: ok.length,
    failed: images.length - ok.length,
    msPerImage: ok.length ? ok.reduce((a, i) => a + i.latencyMs!, 0) / ok.length : null,
  };
}

/** An image's numbers, when its prediction got that far (a failed write still had a latency). */
function timings(p: MaskPrediction | null): Pick<PredictedImage, 'area' | 'latencyMs' | 'studentMs' | 'teacherMs'> {
  return p
    ? { area: p.area, latencyMs: p.latencyMs, studentMs: p.studentMs, teacherMs: p.teacherMs }
    : { area: null, latencyMs: null, studentMs: null, teacherMs: null };
}
