import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compactSeries, growthOver, liveAfterGc, memoryProbeEnv, readSamples, type MemorySample } from '../bench/soak-memory';

const dir = mkdtempSync(join(tmpdir(), 'apprentice-soak-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sample every 2 s for `seconds`, RSS from `rssAt`, the rest fixed. */
function samples(seconds: number, rssAt: (s: number) => number): MemorySample[] {
  const out: MemorySample[] = [];
  for (let s = 0; s <= seconds; s += 2) out.push({ at: s * 1000, t: s * 1000, pid: 1, rss: rssAt(s), heapUsed: 30, heapTotal: 60, external: 3, arrayBuffers: 0.5 });
  return out;
}

describe('soak memory arithmetic', () => {
  it('tells a heap that settled early from one that keeps growing', () => {
    // Settling: +30 MB in the first minute, flat afterwards.
    const settled = samples(600, (s) => (s < 60 ? 96 + s / 2 : 126));
    expect(growthOver(settled, 15_000).rss!.growth).toBeGreaterThan(20);
    expect(growthOver(settled, 300_000).rss).toMatchObject({ growth: 0, slope_per_min: 0 });
    // A leak: 3 MB per minute throughout.
    const leaking = samples(600, (s) => 96 + (3 * s) / 60);
    expect(growthOver(leaking, 300_000).rss).toMatchObject({ growth: 15, slope_per_min: 3 });
    expect(growthOver(leaking, 300_000).heapUsed).toMatchObject({ growth: 0, slope_per_min: 0 });
  });

  it('leaves out the readings right after a forced GC and those past the window', () => {
    const s = samples(60, () => 100);
    s.splice(10, 0, { ...s[10]!, rss: 40, gc: true });
    s.push({ ...s.at(-1)!, at: 70_000, t: 70_000, rss: 500 });
    expect(growthOver(s, 0, 60_000).rss).toMatchObject({ from: 100, to: 100, growth: 0, slope_per_min: 0 });
    expect(compactSeries(s, 100).some((row) => row[1] === 40)).toBe(false);
  });

  it('keeps about the asked number of rows, the first and the last among them', () => {
    const rows = compactSeries(samples(600, (s) => s), 60);
    expect(rows.length).toBeLessThanOrEqual(61);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    expect(rows[0]![0]).toBe(0);
    expect(rows.at(-1)![0]).toBe(600);
  });
});

describe('soak memory probe', () => {
  /** A Node process with the probe's environment, started with `args` (the probe samples only a `serve`). */
  function start(file: string, args: string[], snapshots?: string) {
    return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], {
      env: { ...process.env, ...memoryProbeEnv(file, snapshots), APPRENTICE_SOAK_PROBE_MS: '100' },
      stdio: 'ignore',
    });
  }

  it('samples the host, answers a forced-GC request with its live size, and leaves other processes alone', async () => {
    const hostFile = join(dir, 'host.jsonl');
    const otherFile = join(dir, 'other.jsonl');
    const host = start(hostFile, ['serve']);
    const other = start(otherFile, ['worker']);
    try {
      // SIGUSR2 would end a process whose probe has not started yet: wait for its samples first.
      await expect.poll(() => readSamples(hostFile).length, { timeout: 20_000 }).toBeGreaterThan(2);
      const periodic = readSamples(hostFile);
      expect(periodic.length).toBeGreaterThan(2);
      expect(periodic[0]!.rss).toBeGreaterThan(periodic[0]!.heapUsed);
      const live = await liveAfterGc(host.pid!, hostFile);
      expect(live).toMatchObject({ gc: true, pid: host.pid });
      expect(live.heapUsed).toBeGreaterThan(0);
      expect(existsSync(otherFile)).toBe(false);
    } finally {
      host.kill();
      other.kill();
    }
  });

  it('writes a heap snapshot after the forced GC when asked for snapshots', async () => {
    const file = join(dir, 'snap.jsonl');
    const snapshots = mkdtempSync(join(dir, 'snapshots-'));
    const host = start(file, ['serve'], snapshots);
    try {
      await expect.poll(() => readSamples(file).length, { timeout: 20_000 }).toBeGreaterThan(0);
      const live = await liveAfterGc(host.pid!, file);
      expect(live.snapshot).toBe(join(snapshots, 'host-1.heapsnapshot'));
      // The snapshot is written after the reading: the host answers again once it is complete.
      const before = readSamples(file).length;
      await expect.poll(() => readSamples(file).length, { timeout: 20_000 }).toBeGreaterThan(before);
      expect(JSON.parse(readFileSync(live.snapshot!, 'utf8')).snapshot.node_count).toBeGreaterThan(0);
    } finally {
      host.kill();
    }
  });
});
