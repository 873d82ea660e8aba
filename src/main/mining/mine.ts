import type { Mask } from '../imaging/mask';
import type { Rgb } from '../imaging/raster';
import { binarize, dice } from '../metrics/metrics';
import { labelMapToModelFrame, maskToModelFrame, wholeImageInput, type Sample } from '../student/data';
import { createPredictor, loadStudentFromRun, predictRgb } from '../student/predict';
import { resample } from '../imaging/geometry/resample';
import { resolveSettings, resumeStudent, trainStudent, type TrainOptions, type TrainProgress, type TrainResult, type TrainConfig } from '../student/train';
import { centreSquare, sourceFrame, studentInferFrame, wholeImage } from '../imaging/geometry/frames';
import { promptSettings, promptsFromMap, type PromptSettings, type ProbabilityMap, type StructureChannel } from '../teacher/prompts';
import { loadModelRgb } from '../workspace/images';
import { bestWeightsBlob, getRun, markRunInterrupted, runBlobPath } from '../workspace/runs';
import { latestSplitId, miningIdsWithHiddenTruth, miningUnlabeledIds } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';
import { storePseudoLabel, storePseudoLabelMap, latestPseudoLabel, pseudoLabelMap, pseudoLabelMask, type PseudoLabelMap } from '../workspace/pseudo-labels';
import type { LabelMap } from '../imaging/mask';
import { askPerStructure, labelMapFromPlanes, mergeStructureAnswers, recordedPrompts, structureAgreements } from './structures';
import { makeTeacher, type TeacherSpec } from './teachers';

export type Schedule = 'one-time' | 'continuous';

/**
 * Knowledge mining settings, recorded with the run.
 *  - pseudoWeight 0.5: pseudo-labels are noisier than a radiologist's labels, so each counts half
 *    as much in the loss; the paper down-weights them without giving the factor.
 *  - prompts: see teacher/prompts.ts (3 top points, box of the map at 0.5, no mask prompt).
 *  - the mining phase starts from the supervised run's best weights and trains with the same
 *    protocol (its own epochs, plateau schedule and early stop) on labeled + pseudo-labeled images.
 */
export interface MineSettings {
  schedule: Schedule;
  teacher: TeacherSpec;
  pseudoWeight: number;
  prompts: PromptSettings;
  /** Supervised run to start from; null trains one first with `train`. */
  baseRunId: number | null;
  train: Partial<TrainConfig>;
}

export const DEFAULT_PSEUDO_WEIGHT = 0.5;

export interface MineProgress {
  phase: 'supervised' | 'pseudo-labelling' | 'mining';
  done: number;
  total: number;
  message: string;
  detail?: Record<string, number | string | null>;
  /** The student's own progress while the supervised or mining phase trains (batches, epochs, decisions). */
  train?: TrainProgress;
}

export interface MineResult {
  baseRunId: number;
  run: TrainResult;
  /** `skipped`: unlabeled images an evaluation teacher cannot label (they have no hidden ground truth). */
  pseudoLabels: { stored: number; images: number; skipped: number };
  /** Per continuous epoch, or [the labelling pass] for one-time: teacher time and encoder runs. */
  teacherSeconds: number[];
  encoderCalls: number[];
  /** Decoder runs per epoch (one per prompt; none for the evaluation tools). */
  decoderCalls: number[];
}

function kindOf(schedule: Schedule): string {
  return `mining-${schedule}`;
}

export function mineSettings(
  partial: Partial<Omit<MineSettings, 'prompts'>> & { schedule: Schedule; teacher: TeacherSpec; prompts?: Partial<PromptSettings> },
): MineSettings {
  const s: MineSettings = {
    pseudoWeight: DEFAULT_PSEUDO_WEIGHT,
    baseRunId: null,
    train: {},
    ...partial,
    prompts: promptSettings(partial.prompts ?? {}),
  };
  if (!(s.pseudoWeight >= 0 && s.pseudoWeight <= 1)) throw new Error(`pseudo-label weight must be in [0, 1] (got ${s.pseudoWeight})`);
  return s;
}

/**
 * The images mining asks the teacher about. An evaluation teacher answers with the hidden ground
 * truth, so unlabeled images without one are left out and counted instead of failing mid-run; when
 * none has any, mining is refused before it starts.
 */
export function miningTargets(ws: Workspace, splitId: number, teacher: TeacherSpec): { imageIds: number[]; skipped: number } {
  const unlabeled = miningUnlabeledIds(ws, splitId);
  if (unlabeled.length === 0) throw new Error(`split ${splitId} has no unlabeled images to mine`);
  if (teacher.kind === 'sam') return { imageIds: unlabeled, skipped: 0 };
  const imageIds = miningIdsWithHiddenTruth(ws, splitId);
  if (imageIds.length === 0)
    throw new Error(
      `the ${teacher.kind} teacher is an evaluation tool that answers with hidden ground truth, and none of the ${unlabeled.length} unlabeled image(s) of split ${splitId} has any: choose a SAM-family teacher`,
    );
  return { imageIds, skipped: unlabeled.length - imageIds.length };
}

/** A mining run that fails stays resumable: it is marked interrupted, never left "running". */
async function keepResumable<T>(ws: Workspace, runIdOf: () => number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const runId = runIdOf();
    if (runId > 0 && getRun(ws, runId)?.status === 'running') markRunInterrupted(ws, runId);
    throw e;
  }
}

/**
 * Runs one schedule: (supervised phase if no base run is given) → pseudo-labels from the teacher,
 * guided by the student → training on labeled + pseudo-labeled images. A killed run resumes with
 * `resumeMining`: one-time labels already stored for the run are reused; continuous mining restarts
 * the interrupted epoch from its checkpoint.
 */
export async function mineStudent(
  ws: Workspace,
  settings: MineSettings,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress) => void } = {},
): Promise<MineResult> {
  let baseRunId = settings.baseRunId;
  const splitId = baseRunId !== null ? getRun(ws, baseRunId)?.splitId ?? null : settings.train.splitId ?? latestSplitId(ws);
  if (splitId !== null) miningTargets(ws, splitId, settings.teacher); // refuses before a supervised phase is spent
  if (baseRunId === null) {
    const base = await trainStudent(ws, settings.train, {
      signal: opts.signal,
      onProgress: (p) =>
        opts.onProgress?.({
          phase: 'supervised',
          done: p.epoch,
          total: p.maxEpochs,
          message: `supervised epoch ${p.epoch}`,
          detail: progressDetail(p),
          train: p,
        }),
    });
    baseRunId = base.runId;
  }
  const { options, stats, runId } = miningOptions(ws, { ...settings, baseRunId }, opts);
  const initWeights = runBlobPath(ws, finishedRunWeights(ws, baseRunId));
  // The mining phase continues the base student, so it keeps its structures even if the schema changed since.
  const structures = loadStudentFromRun(ws, baseRunId).structures;
  const run = await keepResumable(ws, runId, () => trainStudent(ws, { ...settings.train, structures, initWeights }, options));
  return { baseRunId, run, ...stats() };
}

export async function resumeMining(
  ws: Workspace,
  runId: number,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress) => void } = {},
): Promise<MineResult> {
  const row = getRun(ws, runId);
  if (!row || !row.kind.startsWith('mining-')) throw new Error(`run ${runId} is not a mining run`);
  const stored = row.config as { mining: MineSettings };
  const { options, stats } = miningOptions(ws, stored.mining, opts);
  const run = await keepResumable(ws, () => runId, () => resumeStudent(ws, runId, options));
  return { baseRunId: stored.mining.baseRunId!, run, ...stats() };
}

/** The blob of a finished run's best-validation weights. */
function finishedRunWeights(ws: Workspace, runId: number): string {
  const row = getRun(ws, runId);
  if (!row) throw new Error(`no run with id ${runId}`);
  const blob = bestWeightsBlob(row);
  if (row.status !== 'done' || !blob)
    throw new Error(`run ${runId} is not a finished student run (status ${row.status}); finish or resume it first`);
  return blob;
}

function progressDetail(p: {
  runId: number;
  epoch: number;
  batch: number;
  batches: number;
  loss: number | null;
  metrics?: object;
}): Record<string, number | null> {
  return {
    run_id: p.runId,
    epoch: p.epoch,
    batch: p.batch,
    batches: p.batches,
    loss: p.loss,
    ...((p.metrics ?? {}) as Record<string, number>),
  };
}

function miningOptions(
  ws: Workspace,
  settings: MineSettings,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress) => void },
): { options: TrainOptions; stats: () => Omit<MineResult, 'baseRunId' | 'run'>; runId: () => number } {
  const baseRunId = settings.baseRunId!;
  const base = loadStudentFromRun(ws, baseRunId);
  const splitId = getRun(ws, baseRunId)!.splitId!;
  const { imageIds: unlabeled, skipped } = miningTargets(ws, splitId, settings.teacher);
  const teacher = makeTeacher(ws, settings.teacher, resolveSettings(settings.train).device);
  const size = resolveSettings(settings.train).size;
  const baseBlob = finishedRunWeights(ws, baseRunId);
  const structures = base.structures ?? [1];
  // Several structures: a teacher call per structure and label-map pseudo-labels (structures.ts); one keeps the binary path.
  const several = structures.length > 1;
  let runId = 0;
  let stored = 0;
  let epochEncoderCalls = 0;
  let epochDecoderCalls = 0;
  const encoderCalls: number[] = [];
  const decoderCalls: number[] = [];
  const teacherSeconds: number[] = [];
  const images = new Set<number>();

  /** One teacher call's share of this epoch's encoder and decoder counts. */
  function countCalls(answer: { encoderMs: number; decoderMs: number }, prompts: number): void {
    if (answer.encoderMs > 0) epochEncoderCalls++;
    if (answer.decoderMs > 0) epochDecoderCalls += prompts;
  }

  /** What every pseudo-label records of where it came from. */
  function origin(epoch: number, checkpoint: string) {
    return { runId, epoch, teacherModelId: teacher.modelId, teacherLabel: teacher.label, studentCheckpoint: checkpoint };
  }

  /** The teacher's answer for one image and the student map that prompted it, at source resolution. */
  async function ask(
    imageId: number,
    map: ProbabilityMap,
    student: { agreement: (teacherMask: Mask) => number; mask: Mask | (() => Mask) },
    epoch: number,
    checkpoint: string,
    rgb?: Rgb,
  ) {
    const prompts = promptsFromMap(map, settings.prompts, imageId);
    if (prompts.length === 0) return null; // the student sees nothing here: nothing to ask about
    const t = Date.now();
    const answer = await teacher.answer(imageId, prompts, rgb);
    const seconds = (Date.now() - t) / 1000;
    countCalls(answer, prompts.length);
    return {
      mask: answer.mask,
      seconds,
      encoderRan: answer.encoderMs > 0,
      provenance: {
        ...origin(epoch, checkpoint),
        prompts: prompts.map((p, i) => ({ points: p.points, box: p.box, mask: p.mask ? 'student probability map' : null, ...(answer.translations?.[i] ? { fedAs: answer.translations[i] } : {}) })),
        iouPrediction: answer.iouPrediction,
        agreementDice: student.agreement(answer.mask),
        studentMask: student.mask,
      },
    };
  }

  /**
   * Several structures: the teacher asked per structure the student sees, the answers merged into a
   * label map at source resolution. `probability(value, pixel)` is the student's, at source pixels;
   * `student` its label map — at source (`frame` null) or in its own frame, where agreement is measured.
   */
  async function askStructures(
    imageId: number,
    channels: StructureChannel[],
    source: { width: number; height: number },
    probability: (value: number, pixel: number) => number,
    student: { agreement: (teacherMap: LabelMap) => Record<number, number | null>; mask: Mask | (() => Mask) },
    epoch: number,
    checkpoint: string,
    rgb?: Rgb,
  ) {
    const t = Date.now();
    const answers = await askPerStructure(teacher, imageId, channels, settings.prompts, rgb);
    if (answers.length === 0) return null; // the student sees no structure here: nothing to ask about
    const seconds = (Date.now() - t) / 1000;
    for (const a of answers) countCalls(a.answer, a.prompts.length);
    const map = mergeStructureAnswers(answers, source.width, source.height, probability);
    const ious = answers.map((a) => a.answer.iouPrediction).filter((x): x is number => x !== null);
    const label: PseudoLabelMap = { map, structures, agreements: student.agreement(map) };
    return {
      label,
      seconds,
      encoderRan: answers.some((a) => a.answer.encoderMs > 0),
      provenance: {
        ...origin(epoch, checkpoint),
        prompts: recordedPrompts(answers),
        // The structures' mean: the column the review queue sorts by holds one number per version.
        iouPrediction: ious.length ? ious.reduce((a, x) => a + x, 0) / ious.length : null,
        studentMask: student.mask,
      },
    };
  }

  const skippedNote = skipped > 0 ? ` (${skipped} unlabeled image(s) without hidden ground truth skipped: the ${settings.teacher.kind} teacher cannot label them)` : '';
  const oneTimeTargets = new Map<number, Uint8Array>();
  const continuousPending = new Map<number, NonNullable<Awaited<ReturnType<typeof ask>>>>();
  const continuousMaps = new Map<number, NonNullable<Awaited<ReturnType<typeof askStructures>>>>();
  let epochTeacherSeconds = 0;

  const options: TrainOptions = {
    signal: opts.signal,
    kind: kindOf(settings.schedule),
    extraConfig: { mining: settings, baseRunId, teacher: teacher.label },
    onProgress: (p) =>
      opts.onProgress?.({
        phase: 'mining',
        done: p.epoch,
        total: p.maxEpochs,
        message: `${settings.schedule} epoch ${p.epoch}${skippedNote}`,
        detail: progressDetail(p),
        train: p,
      }),
    pseudo: {
      imageIds: unlabeled,
      weight: settings.pseudoWeight,
      async onStart(id) {
        runId = id;
        if (settings.schedule !== 'one-time') return;
        // Made once, by the supervised student, before the first mining epoch; kept per run so a
        // resumed run reuses what it already asked.
        // The teacher pass is the longest silent stretch of a one-time run (minutes with a real
        // SAM): it reports before its first image and after every image, saying how each was answered.
        const teacherPass = (done: number, how: string) =>
          opts.onProgress?.({
            phase: 'pseudo-labelling',
            done,
            total: unlabeled.length,
            message: `${how}${skippedNote}`,
            detail: { run_id: id },
          });
        teacherPass(0, `loading the supervised student (run ${baseRunId}) to prompt ${teacher.label}`);
        const predictor = await createPredictor(base, 'onnx');
        const t0 = Date.now();
        try {
          for (let i = 0; i < unlabeled.length; i++) {
            opts.signal?.throwIfAborted();
            const imageId = unlabeled[i]!;
            const rgb = loadModelRgb(ws, imageId);
            const have = latestPseudoLabel(ws, imageId, runId);
            const image = `image ${i + 1}/${unlabeled.length} (#${imageId})`;
            if (several) {
              let map = have ? pseudoLabelMap(ws, have) : null;
              if (map) teacherPass(i + 1, `${image} · kept from before the interruption`);
              else {
                const pred = await predictRgb(predictor, rgb);
                const channels = structures.map((value, c) => ({
                  value,
                  map: { width: rgb.width, height: rgb.height, data: pred.probs[c]!, frame: sourceFrame(rgb.width, rgb.height), sourceWidth: rgb.width, sourceHeight: rgb.height },
                }));
                const r = await askStructures(
                  imageId,
                  channels,
                  rgb,
                  (value, pixel) => pred.probs[structures.indexOf(value)]![pixel]!,
                  { agreement: (m) => structureAgreements(m.data, pred.labelMap, structures), mask: { width: rgb.width, height: rgb.height, data: pred.mask } },
                  0,
                  baseBlob,
                  rgb,
                );
                const how = settings.teacher.kind !== 'sam' ? settings.teacher.kind : r?.encoderRan ? 'encoder' : 'cached embedding';
                teacherPass(i + 1, `${image} · ${r ? how : 'no prompt: the student sees nothing here'}`);
                if (!r) continue;
                storePseudoLabelMap(ws, imageId, r.label, r.provenance);
                stored++;
                map = r.label.map;
              }
              images.add(imageId);
              oneTimeTargets.set(imageId, labelMapToModelFrame(map, size, centreSquare(map.width, map.height, size), structures));
              continue;
            }
            let mask = have ? pseudoLabelMask(ws, have) : null;
            if (mask) teacherPass(i + 1, `${image} · kept from before the interruption`);
            else {
              const pred = await predictRgb(predictor, rgb);
              const map: ProbabilityMap = {
                width: rgb.width,
                height: rgb.height,
                data: pred.prob,
                frame: sourceFrame(rgb.width, rgb.height),
                sourceWidth: rgb.width,
                sourceHeight: rgb.height,
              };
              const studentMask = { width: rgb.width, height: rgb.height, data: pred.mask };
              const r = await ask(imageId, map, { agreement: (m) => dice(m.data, pred.mask), mask: studentMask }, 0, baseBlob, rgb);
              const how = settings.teacher.kind !== 'sam' ? settings.teacher.kind : r?.encoderRan ? 'encoder' : 'cached embedding';
              teacherPass(i + 1, `${image} · ${r ? how : 'no prompt: the student sees nothing here'}`);
              if (!r) continue;
              storePseudoLabel(ws, imageId, r.mask, r.provenance);
              stored++;
              mask = r.mask;
            }
            images.add(imageId);
            oneTimeTargets.set(imageId, maskToModelFrame(mask, size, centreSquare(mask.width, mask.height, size)));
          }
        } finally {
          await predictor.close();
        }
        teacherSeconds.push((Date.now() - t0) / 1000);
        encoderCalls.push(epochEncoderCalls);
        decoderCalls.push(epochDecoderCalls);
        epochEncoderCalls = 0;
        epochDecoderCalls = 0;
      },
      upcoming(samples) {
        // Continuous: the batch's stored embeddings load from disk while the student looks at each image.
        if (settings.schedule === 'continuous') teacher.prefetch?.(samples.map((s) => s.imageId));
      },
      async target(sample: Sample, epoch, student) {
        if (settings.schedule === 'one-time') return oneTimeTargets.get(sample.imageId) ?? null;
        // Continuous: the current student looks at the whole un-augmented image, its map prompts
        // the teacher, and the teacher's answer is this visit's target.
        const rgb = wholeInputs.get(sample.imageId) ?? loadWhole(sample.imageId);
        const prob = await student.predictWhole(rgb.input);
        if (several) return continuousStructures(sample.imageId, rgb, prob, epoch);
        const map: ProbabilityMap = {
          width: size,
          height: size,
          data: prob,
          frame: studentInferFrame(rgb.width, rgb.height, size),
          sourceWidth: rgb.width,
          sourceHeight: rgb.height,
        };
        const studentMask = new Uint8Array(prob.length);
        for (let i = 0; i < prob.length; i++) studentMask[i] = prob[i]! >= settings.prompts.threshold ? 1 : 0;
        // Agreement in the student's frame: the teacher's mask resampled to the whole-image map.
        const agreement = (m: Mask) => dice(maskToModelFrame(m, size, wholeImage(rgb.width, rgb.height)), studentMask);
        const atSource = (): Mask => {
          const up = resample(prob, size, size, 1, wholeImage(size, size), rgb.width, rgb.height);
          return { width: rgb.width, height: rgb.height, data: binarize(up, settings.prompts.threshold) };
        };
        const r = await ask(
          sample.imageId,
          map,
          { agreement, mask: atSource },
          epoch,
          `run ${runId}, epoch ${epoch} (weights of that moment)`,
        );
        if (!r) return null;
        epochTeacherSeconds += r.seconds;
        continuousPending.set(sample.imageId, r);
        return maskToModelFrame(r.mask, size, centreSquare(rgb.width, rgb.height, size));
      },
      onEpochEnd() {
        if (settings.schedule !== 'continuous') return;
        // One version per image per epoch, and only when the mask changed.
        for (const [imageId, r] of continuousPending) {
          if (storePseudoLabel(ws, imageId, r.mask, r.provenance, { onlyIfChanged: true }).stored) stored++;
          images.add(imageId);
        }
        for (const [imageId, r] of continuousMaps) {
          if (storePseudoLabelMap(ws, imageId, r.label, r.provenance, { onlyIfChanged: true }).stored) stored++;
          images.add(imageId);
        }
        continuousPending.clear();
        continuousMaps.clear();
        teacherSeconds.push(epochTeacherSeconds);
        encoderCalls.push(epochEncoderCalls);
        decoderCalls.push(epochDecoderCalls);
        epochTeacherSeconds = 0;
        epochEncoderCalls = 0;
        epochDecoderCalls = 0;
      },
    },
  };

  /**
   * Continuous mining with several structures: each channel of the current student's whole-image
   * planes [K, size, size] prompts the teacher about its structure; the merged label map is this
   * visit's target, agreement measured per structure in the student's frame.
   */
  async function continuousStructures(imageId: number, rgb: { width: number; height: number }, planes: Float32Array, epoch: number) {
    const plane = size * size;
    const frame = studentInferFrame(rgb.width, rgb.height, size);
    const channels = structures.map((value, c) => ({
      value,
      map: { width: size, height: size, data: planes.subarray(c * plane, (c + 1) * plane), frame, sourceWidth: rgb.width, sourceHeight: rgb.height },
    }));
    const studentMap = labelMapFromPlanes(planes, structures, plane, settings.prompts.threshold);
    // A source pixel's student probability: the map pixel it falls in (read only where structures overlap).
    const probability = (value: number, pixel: number) => {
      const x = pixel % rgb.width, y = (pixel - x) / rgb.width;
      const mx = Math.min(size - 1, Math.floor((x * size) / rgb.width)), my = Math.min(size - 1, Math.floor((y * size) / rgb.height));
      return planes[structures.indexOf(value) * plane + my * size + mx]!;
    };
    const whole = wholeImage(rgb.width, rgb.height);
    const toStudentFrame = (m: LabelMap) => Uint8Array.from(labelMapToModelFrame(m, size, whole, structures), (c) => (c > 0 && c <= structures.length ? structures[c - 1]! : 0));
    const atSource = (): Mask => {
      const any = new Float32Array(plane);
      for (let i = 0; i < plane; i++) any[i] = studentMap[i] ? 1 : 0;
      const up = resample(any, size, size, 1, wholeImage(size, size), rgb.width, rgb.height);
      return { width: rgb.width, height: rgb.height, data: binarize(up, 0.5) };
    };
    const r = await askStructures(
      imageId,
      channels,
      rgb,
      probability,
      { agreement: (m) => structureAgreements(toStudentFrame(m), studentMap, structures), mask: atSource },
      epoch,
      `run ${runId}, epoch ${epoch} (weights of that moment)`,
    );
    if (!r) return null;
    epochTeacherSeconds += r.seconds;
    continuousMaps.set(imageId, r);
    return labelMapToModelFrame(r.label.map, size, centreSquare(rgb.width, rgb.height, size), structures);
  }

  // Whole-image student inputs of the unlabeled images, made once: continuous mining asks for them
  // every time an image is drawn.
  const wholeInputs = new Map<number, { input: Uint8Array; width: number; height: number }>();
  function loadWhole(imageId: number) {
    const rgb = loadModelRgb(ws, imageId);
    const entry = { input: wholeImageInput(rgb, size), width: rgb.width, height: rgb.height };
    wholeInputs.set(imageId, entry);
    return entry;
  }

  return {
    options,
    runId: () => runId,
    stats: () => ({ pseudoLabels: { stored, images: images.size, skipped }, teacherSeconds, encoderCalls, decoderCalls }),
  };
}
