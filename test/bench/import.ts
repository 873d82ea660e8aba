// `npm run -s bench -- import [--json] [--runs 3] [--limit 900]`
// The 900 Kvasir pairs imported into a fresh workspace, as the app imports them: hashing, decoding
// in the decode processes, thumbnails, blobs, masks by the mask rules, one transaction per file.
// Each run starts new decode processes (their start-up is part of an import's cost); the figures
// are the median of the runs and their range.
import { readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sharedDecoder } from '../../src/main/imaging/decode-client';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '3' }, limit: { type: 'string' } } });
  const runs = Math.max(1, Number(values.runs));
  const names = readdirSync(KVASIR_IMAGES).sort();
  const limit = values.limit ? Math.min(names.length, Number(values.limit)) : names.length;
  const paths = limit === names.length ? [KVASIR_IMAGES] : names.slice(0, limit).map((n) => join(KVASIR_IMAGES, n));
  const seconds: number[] = [];
  let last: Awaited<ReturnType<typeof importImages>> | null = null;
  for (let r = 0; r < runs; r++) {
    const dir = tempDir('bench-import');
    const ws = Workspace.open(join(dir, 'ws'), { create: true });
    sharedDecoder().close(); // every run pays for starting its decode processes, as a first import does
    try {
      const t0 = performance.now();
      last = await importImages(ws, { paths, masks: KVASIR_MASKS });
      seconds.push((performance.now() - t0) / 1000);
    } finally {
      ws.close();
      rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`run ${r + 1}: ${seconds.at(-1)!.toFixed(2)} s (load ${loadavg()[0]!.toFixed(2)})\n`);
  }
  sharedDecoder().close();
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
    goal_seconds_for_900: 30,
    cores: availableParallelism(),
    load_after: Number(loadavg()[0]!.toFixed(2)),
  };
}
