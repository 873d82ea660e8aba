/** A one-line progress bar with ETA on stderr (stdout stays clean for --json and pipes). */
export class ProgressBar {
  private readonly start = Date.now();
  private last = 0;

  constructor(private readonly label: string) {}

  update(done: number, total: number, extra = ''): void {
    const now = Date.now();
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : null;
    if (done < total && now - this.last < 200) return;
    this.last = now;
    if (!process.stderr.isTTY) return;
    const frac = total > 0 ? done / total : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const etaText = eta !== null ? `ETA ${formatSeconds(eta)}` : 'ETA --';
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${etaText} ${extra}\x1b[K`);
  }

  done(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
