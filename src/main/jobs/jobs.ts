import { randomUUID } from 'node:crypto';
import type { JobEvent } from '../../shared/contract';
import { describe } from '../util/errors';

export type JobListener = (e: JobEvent) => void;

export interface JobContext {
  signal: AbortSignal;
  progress(done: number, total: number, message: string, detail?: Record<string, number | string | null>): void;
}

/**
 * Long work runs as a job: it reports progress, can be cancelled, and ends with one `done` or
 * `failed` event. Progress events are throttled so a fast loop cannot flood a renderer.
 */
export class JobRunner {
  private readonly running = new Map<string, AbortController>();
  private readonly listeners = new Set<JobListener>();

  onEvent(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start<T>(kind: string, work: (ctx: JobContext) => Promise<T>): { jobId: string; finished: Promise<T | undefined> } {
    const jobId = randomUUID();
    const controller = new AbortController();
    this.running.set(jobId, controller);
    let last = 0;
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (done, total, message, detail) => {
        const now = Date.now();
        // Events with numbers (an epoch's metrics) always pass; bare progress ticks are throttled.
        if (!detail && done < total && now - last < 100) return;
        last = now;
        this.emit({ type: 'progress', jobId, kind, done, total, message, detail: detail ?? null });
      },
    };
    const finished = work(ctx).then(
      (result) => {
        this.emit({ type: 'done', jobId, kind, result });
        return result;
      },
      (e: unknown) => {
        const error = controller.signal.aborted ? 'cancelled' : describe(e);
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
    c.abort();
    return true;
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }
}
