// `npm run -s bench -- import [--json] [--runs 3] [--limit 900]`
// The 900 Kvasir pairs imported into a fresh workspace, as the app imports them: hashing, decoding
// in the decode processes, thumbnails, blobs, masks by the mask rules, one transaction per file.
// Each run starts new decode processes (their start-up is part of an import's cost); the figures
// are the median of the runs and their range. On Linux the CPU seconds of the importing process and
// of its decode processes are given too: under a loaded machine's contention the wall time says
// little, the CPU an import spends says what a change saved.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sharedDecoder } from '../../src/main/imaging/decode-client';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** This process's children, by pid, over all its threads (Linux /proc); null where there is no /proc. */
function childPids(): Set<string> | null {
  try {
    const tasks = readdirSync('/proc/self/task');
    return new Set(tasks.flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean)));
  } catch {
    return null;
  }
}

/** CPU seconds of the children that have ended and been reaped (cutime + cstime of /proc/self/stat). */
function endedChildrenCpu(ticksPerSecond: number): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

/** Stops the decode processes and waits until they are reaped, so their CPU is counted. */
async function stopDecoders(others: Set<string> | null): Promise<void> {
  sharedDecoder().close();
  for (let waited = 0; others && waited < 5_000; waited += 20) {
    const now = childPids();
    if (!now || [...now].every((p) => others.has(p))) return;
    await sleep(20);
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '3' }, limit: { type: 'string' } } });
  const runs = Math.max(1, Number(values.runs));
  const names = readdirSync(KVASIR_IMAGES).sort();
  const limit = values.limit ? Math.min(names.length, Number(values.limit)) : names.length;
  const paths = limit === names.length ? [KVASIR_IMAGES] : names.slice(0, limit).map((n) => join(KVASIR_IMAGES, n));
  const seconds: number[] = [];
  const importingCpu: number[] = [];
  const decodersCpu: number[] = [];
  const others = childPids(); // tsx's own helpers, not decode processes
  const ticks = others ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) : 0;
  let last: Awaited<ReturnType<typeof importImages>> | null = null;
  for (let r = 0; r < runs; r++) {
    const dir = tempDir('bench-import');
    const ws = Workspace.open(join(dir, 'ws'), { create: true });
    await stopDecoders(others); // every run pays for starting its decode processes, as a first import does
    try {
      const children0 = others ? endedChildrenCpu(ticks) : 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      last = await importImages(ws, { paths, masks: KVASIR_MASKS });
      seconds.push((performance.now() - t0) / 1000);
      const cpu = process.cpuUsage(cpu0);
      importingCpu.push((cpu.user + cpu.system) / 1e6);
      await stopDecoders(others);
      if (others) decodersCpu.push(endedChildrenCpu(ticks) - children0);
    } finally {
      ws.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const cpuNote = others ? `, CPU ${importingCpu.at(-1)!.toFixed(1)} s importing + ${decodersCpu.at(-1)!.toFixed(1)} s decoding` : '';
    process.stderr.write(`run ${r + 1}: ${seconds.at(-1)!.toFixed(2)} s${cpuNote} (load ${loadavg()[0]!.toFixed(2)})\n`);
  }
  await stopDecoders(others);
  const s = median(seconds);
  return {
    images: limit,
    imported: last!.imported,
    masks: last!.masks,
    failed: last!.failed.length,
    runs,
    seconds: Number(s.toFixed(2)),
    seconds_range: [Number(Math.min(...seconds).toFixed(2)), Number(Math.max(...seconds).toFixed(2))],
    images_per_s: Number((limit / s).toFixed(1)),
    cpu_seconds_importing: Number(median(importingCpu).toFixed(2)),
    cpu_seconds_decoding: others ? Number(median(decodersCpu).toFixed(2)) : null,
    goal_seconds_for_900: 30,
    cores: availableParallelism(),
    load_after: Number(loadavg()[0]!.toFixed(2)),
  };
}
