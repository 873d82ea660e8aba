import type { Prompts } from '../prompting/prompt-tool';

/** What one teacher request asked and got back, with how long the click took to answer. */
export interface SamRoundTrip<R> {
  prompts: Prompts;
  result: R;
  clickMs: number;
}

/**
 * The teacher prompt round-trip: one request in flight; prompts that change meanwhile wait and
 * then replace it, so fast clicks never pile up requests and the last prompts always get an answer.
 */
export class SamSession<R> {
  private busy = false;
  private pending = false;

  constructor(
    /** The image in view and its prompts now: read when a request starts, not when it was asked for. */
    private readonly current: () => { imageId: number | null; prompts: Prompts },
    private readonly request: (imageId: number, prompts: Prompts) => Promise<R>,
    private readonly onanswer: (answer: SamRoundTrip<R>) => void,
    /** The request's error message, or null as a new request starts. */
    private readonly onerror: (message: string | null) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async ask(): Promise<void> {
    const { imageId, prompts } = this.current();
    if (imageId === null || (prompts.points.length === 0 && !prompts.box)) return;
    if (this.busy) {
      this.pending = true;
      return;
    }
    this.busy = true;
    this.onerror(null);
    const started = this.now();
    try {
      const result = await this.request(imageId, prompts);
      this.onanswer({ prompts, result, clickMs: this.now() - started });
    } catch (e) {
      this.onerror(e instanceof Error ? e.message : String(e));
    } finally {
      this.busy = false;
      if (this.pending) {
        this.pending = false;
        void this.ask();
      }
    }
  }
}
