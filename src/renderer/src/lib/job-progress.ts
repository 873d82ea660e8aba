import type { JobEvent, JobPhase, JobProgress, RunSummary } from '../../../shared/contract';

/** "45 s", "2 min 5 s", "1 h 3 min": elapsed times and ETAs a person reads at a glance. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** The phases as the Training and Experiments views name them. */
export const PHASE_WORDS: Record<JobPhase, string> = {
  import: 'import',
  prepare: 'preparing images',
  train: 'training',
  validate: 'validation',
  test: 'test images',
  'epoch-end': 'training',
  supervised: 'supervised training',
  'pseudo-labelling': 'teacher pass',
  mining: 'training on pseudo-labels',
  export: 'export',
  predict: 'prediction',
  check: 'check',
};

export type ShownProgress = Pick<JobProgress, 'phase' | 'done' | 'total' | 'message' | 'eta'>;

/** "teacher pass 3/40 · elapsed 12 s · about 2 min 30 s left in this phase" */
export function progressStatus(p: Pick<JobProgress, 'phase' | 'done' | 'total' | 'eta'>, elapsedSeconds: number): string {
  const left = p.eta !== null ? ` · about ${clock(p.eta)} left in this phase` : '';
  return `${PHASE_WORDS[p.phase]} ${p.done}/${p.total} · elapsed ${clock(elapsedSeconds)}${left}`;
}

/**
 * What a view knows of the job it started, from the click on Start to the job's end: the latest
 * progress, the announcements so far (they must outlive the next progress line) and the run, once
 * the worker has created it.
 */
export interface WatchedJob {
  startedAt: number;
  progress: ShownProgress | null;
  notices: string[];
  runId: number | null;
}

export function watchJob(now: number): WatchedJob {
  return { startedAt: now, progress: null, notices: [], runId: null };
}

/** The job after one progress event; `runAppeared` when it first names its run (the history must show it now). */
export function watchProgress(job: WatchedJob, e: Extract<JobEvent, { type: 'progress' }>): { job: WatchedJob; runAppeared: boolean } {
  const runAppeared = job.runId === null && e.runId !== null;
  return {
    runAppeared,
    job: {
      ...job,
      progress: { phase: e.phase, done: e.done, total: e.total, message: e.message, eta: e.eta },
      notices: e.notice ? [...job.notices, e.notice] : job.notices,
      runId: job.runId ?? e.runId,
    },
  };
}

/**
 * A run that stopped before its end and can go on from where it stopped: it has a checkpoint (at
 * least one epoch), or it is a mining run (its pseudo-labels so far are kept). A running run may
 * be another process's, and a finished one has nothing left.
 */
export function resumable(r: RunSummary): boolean {
  if (r.status === 'done' || r.status === 'running') return false;
  return r.kind.startsWith('mining-') || (r.result?.epochs ?? 0) > 0;
}

/** "0.712 (epoch 4)": the best validation Dice and the epoch whose weights are kept. */
export function bestValidationDice(r: RunSummary): string {
  const best = r.result?.best;
  return best && best.epoch > 0 ? `${best.valDice.toFixed(3)} (epoch ${best.epoch})` : '–';
}
