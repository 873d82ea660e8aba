import type { JobProgress, JobRequest, MineOutcome, MineRequest, TrainOutcome, TrainSettings } from '../../shared/contract';
import { mineSettings, mineStudent, resumeMining, type MineResult, type MineSettings } from '../mining/mine';
import type { TeacherSpec } from '../mining/teachers';
import { resumeStudent, trainStudent, type TrainConfig, type TrainResult } from '../student/train';
import { Workspace } from '../workspace/workspace';
import { mineProgressReporter, trainProgressReporter } from './progress';
import { withJobSlot } from './workspace-lock';
import { runExperimentJob } from './experiment-job';
import { pretrainSettingsFromRequest, runPretraining } from './pretrain-job';
import type { WorkerOutcome } from './worker-protocol';

/**
 * Training and mining as jobs, shared by the CLI (in its own process) and the job worker (for the
 * app): both hold the workspace's job slot for the whole run and report the contract's JobProgress.
 */
export interface JobOptions {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
}

export function trainOutcome(r: TrainResult): TrainOutcome {
  return {
    runId: r.runId,
    backend: r.backend,
    epochs: r.epochs,
    stopped: r.stopped,
    best_epoch: r.best.epoch,
    best_val_loss: r.best.valLoss,
    best_val_dice: r.best.valDice,
    best_val_iou: r.best.valIou,
    test_n: r.test?.n ?? 0,
    test_iou_mean: r.test?.iou.mean ?? null,
    test_iou_std: r.test?.iou.std ?? null,
    test_dice_mean: r.test?.dice.mean ?? null,
    test_dice_std: r.test?.dice.std ?? null,
    test_std_kind: 'sample (n-1)',
    seconds: Math.round(r.seconds),
  };
}

export function mineOutcome(r: MineResult): MineOutcome {
  return {
    runId: r.run.runId,
    base_run_id: r.baseRunId,
    backend: r.run.backend,
    epochs: r.run.epochs,
    best_val_dice: r.run.best.valDice,
    test_iou_mean: r.run.test?.iou.mean ?? null,
    test_iou_std: r.run.test?.iou.std ?? null,
    test_dice_mean: r.run.test?.dice.mean ?? null,
    test_dice_std: r.run.test?.dice.std ?? null,
    pseudo_labels: r.pseudoLabels,
    teacher_seconds: r.teacherSeconds,
    encoder_calls: r.encoderCalls,
  };
}

/** Progress that also names the run in the workspace's lock as soon as the run exists. */
function reporting(opts: JobOptions, noteRun: (runId: number) => void): (p: JobProgress) => void {
  return (p) => {
    if (p.runId !== null) noteRun(p.runId);
    opts.onProgress?.(p);
  };
}

export type TrainWhat = { settings: Partial<TrainConfig> } | { resume: number };

export function runTraining(ws: Workspace, what: TrainWhat, opts: JobOptions = {}): Promise<TrainOutcome> {
  return withJobSlot(ws.root, 'train', async (slot) => {
    if ('resume' in what) slot.noteRun(what.resume);
    const onProgress = trainProgressReporter(reporting(opts, slot.noteRun));
    const r =
      'resume' in what
        ? await resumeStudent(ws, what.resume, { signal: opts.signal, onProgress })
        : await trainStudent(ws, what.settings, { signal: opts.signal, onProgress });
    return trainOutcome(r);
  });
}

export type MineWhat = { settings: MineSettings } | { resume: number };

export function runMining(ws: Workspace, what: MineWhat, opts: JobOptions = {}): Promise<MineOutcome> {
  return withJobSlot(ws.root, 'mine', async (slot) => {
    if ('resume' in what) slot.noteRun(what.resume);
    const onProgress = mineProgressReporter(reporting(opts, slot.noteRun));
    const r =
      'resume' in what
        ? await resumeMining(ws, what.resume, { signal: opts.signal, onProgress })
        : await mineStudent(ws, what.settings, { signal: opts.signal, onProgress });
    return mineOutcome(r);
  });
}

/** The settings a user gives (contract) as the training settings they override; absent ones keep the defaults. */
export function trainSettingsFromRequest(s: TrainSettings): Partial<TrainConfig> {
  const out: Partial<TrainConfig> = {};
  if (s.epochs !== undefined) out.maxEpochs = s.epochs;
  if (s.size !== undefined) out.size = s.size;
  if (s.batch !== undefined) out.batch = s.batch;
  if (s.lr !== undefined) out.lr = s.lr;
  if (s.seed !== undefined) out.seed = s.seed;
  if (s.lambda !== undefined) out.lambda = s.lambda;
  if (s.device !== undefined) out.device = s.device;
  if (s.initRun !== undefined) out.initRun = s.initRun;
  if (s.initScheme !== undefined) out.initScheme = s.initScheme;
  if (s.width !== undefined || s.blocks || s.decoder) {
    const model: Partial<TrainConfig['model']> = {};
    if (s.width !== undefined) model.width = s.width;
    if (s.blocks) model.blocks = s.blocks;
    if (s.decoder) model.decoder = s.decoder;
    out.model = model as TrainConfig['model'];
  }
  return out;
}

/** The evaluation teacher's fixed noise (the CLI's --noise-* defaults). */
export function teacherSpecOf(t: MineRequest['teacher']): TeacherSpec {
  if (t.kind === 'noisy-oracle') return { kind: 'noisy-oracle', maxRadius: 8, dropProbability: 0.2, seed: 1 };
  return t;
}

function mineSettingsFromRequest(r: MineRequest): MineSettings {
  return mineSettings({
    schedule: r.schedule,
    teacher: teacherSpecOf(r.teacher),
    baseRunId: r.baseRunId ?? null,
    ...(r.weight !== undefined ? { pseudoWeight: r.weight } : {}),
    ...(r.prompts ? { prompts: r.prompts } : {}),
    train: trainSettingsFromRequest(r.settings),
  });
}

/** What a job worker does with its request: open the workspace, run the job, close it. */
export async function runJobRequest(request: JobRequest, opts: JobOptions): Promise<WorkerOutcome> {
  const ws = Workspace.open(request.workspace);
  try {
    if (request.kind === 'experiment') return await runExperimentJob(ws, request.request, opts);
    if (request.kind === 'pretrain')
      return await runPretraining(ws, request.resume ? { resume: request.resume } : { settings: pretrainSettingsFromRequest(request.settings) }, opts);
    if (request.kind === 'train')
      return await runTraining(ws, request.resume ? { resume: request.resume } : { settings: trainSettingsFromRequest(request.settings) }, opts);
    if (request.resume) return await runMining(ws, { resume: request.resume }, opts);
    if (!request.request) throw new Error('give mining settings or a run to resume');
    return await runMining(ws, { settings: mineSettingsFromRequest(request.request) }, opts);
  } finally {
    ws.close();
  }
}
