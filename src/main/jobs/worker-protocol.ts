import type { ExperimentOutcome, JobProgress, JobRequest, MineOutcome, PretrainOutcome, TrainOutcome } from '../../shared/contract';

/** What a job worker ends with. */
export type WorkerOutcome = TrainOutcome | MineOutcome | ExperimentOutcome | PretrainOutcome;

/** Messages between the app and a job worker (src/main/jobs/worker.ts), as JSON. */
export type ToWorker = { type: 'start'; request: JobRequest } | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; result: WorkerOutcome }
  | { type: 'failed'; error: string };
