import type { JobProgress, JobRequest, MineOutcome, TrainOutcome } from '../../shared/contract';

/** Messages between the app and a job worker (src/main/jobs/worker.ts), as JSON. */
export type ToWorker = { type: 'start'; request: JobRequest } | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; result: TrainOutcome | MineOutcome }
  | { type: 'failed'; error: string };
