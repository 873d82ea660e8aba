import type { JobEvent } from '../../../shared/contract';

/**
 * Follows the one job a panel started. A job can report (even finish) before the start call has
 * returned its id — an import of a path that does not exist fails at once — so events that arrive
 * while the start is pending are kept and replayed once the id is known; otherwise the panel would
 * wait forever for an end it already missed.
 */
export class JobFollower {
  private jobId: string | null = null;
  private starting = false;
  private early: JobEvent[] = [];

  constructor(private readonly handle: (e: JobEvent) => void) {}

  /** True from `begin()` until the job's `done` or `failed` was handled. */
  get busy(): boolean {
    return this.starting || this.jobId !== null;
  }

  get id(): string | null {
    return this.jobId;
  }

  /** The start call is on its way. */
  begin(): void {
    this.starting = true;
    this.early = [];
  }

  /** The start call returned: handle what already came for this job. */
  started(jobId: string): void {
    this.starting = false;
    this.jobId = jobId;
    const early = this.early.filter((e) => e.jobId === jobId);
    this.early = [];
    for (const e of early) this.receive(e);
  }

  /** The start call failed: nothing to follow. */
  failedToStart(): void {
    this.starting = false;
    this.early = [];
  }

  /**
   * Starts a job with `call` and follows it; resolves with the reason when it could not start
   * (null when it did), so a panel shows that reason instead of waiting for events. A null must not
   * clear the panel's error: a job that failed at once has already reported its own reason.
   */
  async start(call: () => Promise<{ jobId: string }>): Promise<string | null> {
    this.begin();
    try {
      this.started((await call()).jobId);
      return null;
    } catch (e) {
      this.failedToStart();
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Every job event of the window passes here. */
  receive(e: JobEvent): void {
    if (this.starting && this.jobId === null) {
      if (this.early.length < 10_000) this.early.push(e);
      return;
    }
    if (e.jobId !== this.jobId) return;
    if (e.type !== 'progress') this.jobId = null;
    this.handle(e);
  }
}
