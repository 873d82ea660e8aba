import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { encodeMaskPng, type Mask } from '../imaging/mask';
import { createPredictor, loadStudentFromRun, predictRgb, type Engine, type Predictor } from '../student/predict';
import { sourceFrame } from '../imaging/geometry/frames';
import { promptSettings, promptsFromMap, type PromptSettings } from '../teacher/prompts';
import { writeFileAtomic } from '../util/atomic-write';
import { imageRecord, loadModelRgb } from '../workspace/images';
import type { Workspace } from '../workspace/workspace';
import { makeTeacher, type PseudoTeacher, type TeacherSpec } from './teachers';

export type InferenceMode = 'fast' | 'refine';

/** One image's prediction in memory (the contract's ModePrediction is what goes over the wire). */
export interface MaskPrediction {
  imageId: number;
  mode: InferenceMode;
  mask: Mask; // at the source image's full resolution
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
    private readonly predictor: Predictor,
    private readonly teacher: PseudoTeacher | null,
    private readonly prompts: PromptSettings,
  ) {}

  static async open(
    ws: Workspace,
    opts: { runId?: number; engine?: Engine; teacher?: TeacherSpec | null; prompts?: Partial<PromptSettings> } = {},
  ): Promise<ModeInference> {
    const predictor = await createPredictor(loadStudentFromRun(ws, opts.runId), opts.engine ?? 'onnx');
    return new ModeInference(ws, predictor, opts.teacher ? makeTeacher(ws, opts.teacher) : null, promptSettings(opts.prompts));
  }

  async predict(imageId: number, mode: InferenceMode): Promise<MaskPrediction> {
    const t0 = performance.now();
    const rgb = loadModelRgb(this.ws, imageId);
    const pred = await predictRgb(this.predictor, rgb, this.prompts.threshold);
    const studentMs = performance.now() - t0;
    let mask: Mask = { width: pred.width, height: pred.height, data: pred.mask };
    if (mode === 'fast') return this.result(imageId, mode, mask, pred.prob, t0, studentMs, 0);
    if (!this.teacher) throw new Error('refine mode needs a teacher: install a SAM-family model (apprentice models add) or choose one');
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
  const rec = imageRecord(ws, p.imageId);
  mkdirSync(outDir, { recursive: true });
  const file = join(
    outDir,
    `${p.imageId}-${basename(rec.source_path, extname(rec.source_path))}${rec.frames > 1 ? `-f${rec.frame_index + 1}` : ''}.${p.mode}.png`,
  );
  writeFileAtomic(file, encodeMaskPng(p.mask));
  return file;
}
