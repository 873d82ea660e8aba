import { randomUUID } from 'node:crypto';
import type {
  ExperimentOutcome,
  ExportOutcome,
  ImportResult,
  JobEvent,
  JobKind,
  JobProgress,
  MineOutcome,
  PredictOutcome,
  TrainOutcome,
  WorkspaceCheck,
  PretrainOutcome,
} from '../../shared/contract';
import { describeForApp } from '../util/errors';

export type JobListener = (e: JobEvent) => void;

export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

export type JobResult = ImportResult | TrainOutcome | MineOutcome | ExportOutcome | PredictOutcome | ExperimentOutcome | WorkspaceCheck | PretrainOutcome;

/**
 * Long work runs as a job: it reports progress, can be cancelled, and ends with one `done` or
 * `failed` event. Progress events are throttled so a fast loop cannot flood a renderer.
 */
export class JobRunner {
  private readonly running = new Map<string, { kind: JobKind; controller: AbortController }>();
  private readonly listeners = new Set<JobListener>();

  onEvent(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kinds of the jobs running now (a workspace's queue asks before starting another). */
  runningKinds(): JobKind[] {
    return [...this.running.values()].map((r) => r.kind);
  }

  start<T extends JobResult>(kind: JobKind, work: (ctx: JobContext) => Promise<T>): { jobId: string; finished: Promise<T | undefined> } {
    const jobId = randomUUID();
    const controller = new AbortController();
    this.running.set(jobId, { kind, controller });
    let last = 0;
    let lastPhase = '';
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (p) => {
        const now = Date.now();
        // An epoch's metrics and a new phase always pass; bare progress ticks are throttled.
        if (!p.metrics && p.phase === lastPhase && p.done < p.total && now - last < 100) return;
        last = now;
        lastPhase = p.phase;
        this.emit({ type: 'progress', jobId, kind, ...p });
      },
    };
    const finished = work(ctx).then(
      (result) => {
        this.emit({ type: 'done', jobId, kind, result });
        return result;
      },
      (e: unknown) => {
        const error = controller.signal.aborted ? 'cancelled' : describeForApp(e);
        this.emit({ type: 'failed', jobId, kind, error });
        return undefined;
      },
    );
    void finished.finally(() => this.running.delete(jobId));
    return { jobId, finished };
  }

  cancel(jobId: string): boolean {
    const c = this.running.get(jobId);
    if (!c) return false;
    c.controller.abort();
    return true;
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }
}
