/** A one-line progress bar with elapsed time and ETA on stderr (stdout stays clean for --json and pipes). */
export class ProgressBar {
  private readonly start = Date.now();
  private last = 0;

  constructor(private readonly label: string) {}

  /** `eta`: seconds left when the caller knows better than the pace of this bar (training's step time). */
  update(done: number, total: number, extra = '', eta?: number | null): void {
    const now = Date.now();
    const elapsed = (now - this.start) / 1000;
    const left = eta ?? (done > 0 ? (elapsed / done) * (total - done) : null);
    if (done < total && now - this.last < 200) return;
    this.last = now;
    if (!process.stderr.isTTY) return;
    process.stderr.write(`\r${progressLine(this.label, done, total, elapsed, left)} ${extra}\x1b[K`);
  }

  /** A job's progress; its notice (a learning-rate drop, an early stop) gets a line of its own that stays. */
  show(p: { done: number; total: number; message: string; eta?: number | null; notice?: string }): void {
    if (p.notice) this.announce(p.notice);
    this.update(p.done, p.total, p.message, p.eta);
  }

  /** Printed even without a terminal: logs of a long run must say why it ended early. */
  announce(text: string): void {
    process.stderr.write(process.stderr.isTTY ? `\r${text}\x1b[K\n` : `${text}\n`);
    this.last = 0;
  }

  done(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}

/** `label [#####.....] done/total elapsed 1m03s ETA 2m10s` */
export function progressLine(label: string, done: number, total: number, elapsed: number, eta: number | null): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const width = 30;
  const filled = Math.round(frac * width);
  const etaText = eta !== null ? `ETA ${formatSeconds(eta)}` : 'ETA --';
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} elapsed ${formatSeconds(elapsed)} ${etaText}`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
