// The soak bench's view of the host's memory from inside: the probe it loads into the host
// (soak-memory-probe.mjs), and the arithmetic that tells a leak from a heap settling to its size.
import { existsSync, readFileSync } from 'node:fs';

/** One reading of the host by the probe, in MB; `gc` when a full GC ran just before it. */
export interface MemorySample {
  /** Wall-clock ms, as the probe writes it; `t` is ms since the soak's calls began. */
  at: number;
  t: number;
  pid: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gc?: boolean;
  snapshot?: string;
}

export const MEASURES = ['rss', 'heapUsed', 'external', 'arrayBuffers'] as const;

export interface Growth {
  from: number;
  to: number;
  growth: number;
  slope_per_min: number;
}

const round = (mb: number) => Math.round(mb * 10) / 10;

/** The environment that loads the probe into `apprentice serve` (and samples only there). */
export function memoryProbeEnv(file: string, snapshots?: string): Record<string, string> {
  const probe = new URL('./soak-memory-probe.mjs', import.meta.url).href;
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', '--expose-gc', `--import=${probe}`].join(' ').trim(),
    APPRENTICE_SOAK_PROBE: file,
    ...(snapshots ? { APPRENTICE_SOAK_SNAPSHOTS: snapshots } : {}),
  };
}

export function readSamples(file: string, start = 0): MemorySample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Omit<MemorySample, 't'>)
    .map((s) => ({ ...s, t: s.at - start }));
}

/** Asks the host for a full GC (SIGUSR2 to its probe) and waits for the live sizes it then reports. */
export async function liveAfterGc(pid: number, file: string, timeoutMs = 30_000): Promise<MemorySample> {
  const before = readSamples(file).filter((s) => 'gc' in s).length;
  process.kill(pid, 'SIGUSR2');
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const after = readSamples(file).filter((s) => 'gc' in s);
    if (after.length > before) {
      if (!after.at(-1)!.gc) throw new Error('the host was not started with --expose-gc');
      return after.at(-1)!;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`the host's memory probe did not answer (is soak-memory-probe.mjs loaded into pid ${pid}?)`);
}

/** Least-squares slope of y over t (ms), per minute. */
export function slopePerMinute(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return sxx > 0 ? (sxy / sxx) * 60_000 : NaN;
}

/**
 * The periodic samples (not those right after a forced GC) with `from` ≤ t ≤ `to`: each measure's
 * first and last value, their difference and the slope of the line through all of them, so a step
 * early in the window and a steady climb can be told apart.
 */
export function growthOver(samples: MemorySample[], from: number, to = Infinity): Partial<Record<(typeof MEASURES)[number], Growth>> {
  const window = samples.filter((s) => !('gc' in s) && s.t >= from && s.t <= to);
  if (window.length < 2) return {};
  return Object.fromEntries(
    MEASURES.map((k) => {
      const first = window[0]![k];
      const last = window.at(-1)![k];
      return [k, { from: first, to: last, growth: round(last - first), slope_per_min: round(slopePerMinute(window.map((s) => ({ t: s.t, y: s[k] })))) }];
    }),
  );
}

/** The periodic samples as about `rows` rows of [seconds, ...MEASURES], first and last always kept. */
export function compactSeries(samples: MemorySample[], rows: number): number[][] {
  const periodic = samples.filter((s) => !('gc' in s));
  const step = Math.max(1, Math.ceil(periodic.length / rows));
  const kept = periodic.filter((_, i) => i % step === 0 || i === periodic.length - 1);
  return kept.map((s) => [Math.round(s.t / 1000), ...MEASURES.map((k) => s[k])]);
}
