import type { ApprenticeApi } from '../../../shared/contract';

/** How many of the following frames get their embeddings made in the background. */
export const PRECOMPUTE_AHEAD = 2;

/** The images after this one in its stack (series, or a multi-frame file's frames), nearest first. */
export function nextFrames(imageId: number, stack: readonly number[], count = PRECOMPUTE_AHEAD): number[] {
  const at = stack.indexOf(imageId);
  return at < 0 ? [] : stack.slice(at + 1, at + 1 + count);
}

/**
 * Whether the teacher's encoder is at work for the image in view, and for how long: a first prompt
 * on an image can wait seconds for its embedding, and the Viewer says so ("computing the image
 * embedding… N s") instead of looking frozen. The next frames' embeddings are asked for in the
 * background (the main process runs them only while no prompt is waiting).
 */
export class EmbeddingStatus {
  /** Images whose embedding is known to exist (a prompt or an embed answered for them). */
  private readonly ready = new Set<number>();
  private active = 0;
  private since = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private shown: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Pick<ApprenticeApi, 'call'>,
    /** Seconds the encoder has been running, or null when it is not (or not for long enough to say). */
    private readonly onchange: (seconds: number | null) => void,
    /** A cached embedding answers within this: saying nothing spares a flicker. */
    private readonly quietMs = 200,
  ) {}

  /**
   * With the prompt tool on: the next frames' embeddings in the background (replacing the previous
   * list, so scrolling past images leaves at most the run under way). The image in view gets its
   * embedding from its first prompt, with the status shown.
   */
  ahead(imageIds: readonly number[]): void {
    void this.api.call('segment.precompute', { imageIds: [...imageIds] }).catch(() => undefined);
  }

  /** `work` (an embed or a prompt), with the status shown while the image's embedding may be in the making. */
  async whileComputing<T>(imageId: number, work: () => Promise<T>): Promise<T> {
    if (this.ready.has(imageId)) return work();
    this.begin();
    try {
      const r = await work();
      this.ready.add(imageId);
      return r;
    } finally {
      this.end();
    }
  }

  private begin(): void {
    if (this.active++ > 0) return;
    this.since = performance.now();
    this.shown = setTimeout(() => {
      this.shown = null;
      const tick = () => this.onchange((performance.now() - this.since) / 1000);
      tick();
      this.timer = setInterval(tick, 250);
    }, this.quietMs);
  }

  private end(): void {
    if (--this.active > 0) return;
    if (this.shown) clearTimeout(this.shown);
    if (this.timer) clearInterval(this.timer);
    this.shown = this.timer = null;
    this.onchange(null);
  }
}
