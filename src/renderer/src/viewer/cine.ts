/**
 * Cine: a tick at a fixed frame rate until stopped. The tick decides what a frame is (and may stop
 * the loop); `onplaying` reports the state so the button can show it.
 */
export class Cine {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly tick: () => void,
    private readonly onplaying: (playing: boolean) => void,
  ) {}

  get playing(): boolean {
    return this.timer !== null;
  }

  start(fps: number): void {
    this.stop();
    this.onplaying(true);
    this.timer = setInterval(this.tick, 1000 / fps);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.onplaying(false);
  }
}
