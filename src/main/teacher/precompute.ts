/**
 * Image embeddings computed ahead of need: while the radiologist steps through a series, the next
 * frames' embeddings are made in the background, so a first prompt there does not wait seconds
 * for the encoder. A prompt always comes first: background work starts only when no prompt is in
 * flight and none came for `quietMs`, and a prompt's own image leaves the queue (it is computed in
 * the foreground). A new schedule replaces the old one, so moving on cancels what was not started.
 *
 * An encoder run already under way is not interrupted (onnxruntime-node cannot stop a run): it
 * finishes on the encoder thread (encoder-thread.ts), and a prompt that arrives meanwhile is
 * answered beside it, sharing the cores — the app's own thread is never held by the encoder.
 */

export interface PrecomputeStats {
  /** Embeddings the background computed (the encoder ran). */
  computed: number;
  /** Images it found cached already. */
  cached: number;
  /** Queued images dropped: replaced by a new schedule, cancelled, or taken by a prompt. */
  dropped: number;
  /** Background runs that failed (a broken image, no teacher); the queue goes on. */
  failed: number;
}

/** Computes one image's embedding; true when the encoder ran, false when it was cached. */
export type ComputeEmbedding = (imageId: number) => Promise<boolean>;

export class EmbeddingPrecompute {
  readonly stats: PrecomputeStats = { computed: 0, cached: 0, dropped: 0, failed: 0 };
  private queue: { imageId: number; compute: ComputeEmbedding }[] = [];
  /** Images with a prompt in flight, and how many prompts each. */
  private readonly prompted = new Map<number, number>();
  private lastPromptEnd = -Infinity;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(readonly quietMs = 300) {}

  /** Replaces the queue with these images (in order; one a prompt is on is left out); returns how many were queued. */
  schedule(imageIds: readonly number[], compute: ComputeEmbedding): number {
    this.stats.dropped += this.queue.length;
    this.queue = [...new Set(imageIds)].filter((id) => !this.prompted.has(id)).map((imageId) => ({ imageId, compute }));
    if (this.queue.length) this.loop ??= this.drain().finally(() => (this.loop = null));
    this.wake?.();
    return this.queue.length;
  }

  cancel(): void {
    this.schedule([], async () => false);
  }

  /** Images waiting, in the order they will run. */
  get pending(): number[] {
    return this.queue.map((q) => q.imageId);
  }

  /** Resolves when the queue is empty and no background run is under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** A prompt's work: ahead of every queued image, and its own image taken out of the queue. */
  async foreground<T>(imageId: number, work: () => Promise<T>): Promise<T> {
    const before = this.queue.length;
    this.queue = this.queue.filter((q) => q.imageId !== imageId);
    this.stats.dropped += before - this.queue.length;
    this.prompted.set(imageId, (this.prompted.get(imageId) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const n = this.prompted.get(imageId)! - 1;
      if (n) this.prompted.set(imageId, n);
      else this.prompted.delete(imageId);
      this.lastPromptEnd = performance.now();
      this.wake?.();
    }
  }

  private async quiet(): Promise<void> {
    for (;;) {
      const wait = this.prompted.size > 0 ? this.quietMs : this.lastPromptEnd + this.quietMs - performance.now();
      if (wait <= 0 || this.queue.length === 0) return;
      // Woken early by a prompt's end or a new schedule, then the quiet period is measured again.
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, wait);
        this.wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
      this.wake = null;
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      await this.quiet();
      const next = this.queue.shift();
      if (!next) return;
      try {
        if (await next.compute(next.imageId)) this.stats.computed++;
        else this.stats.cached++;
      } catch {
        // A background guess that failed costs nothing: the prompt on that image reports the reason.
        this.stats.failed++;
      }
    }
  }
}
