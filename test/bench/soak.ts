// `npm run -s bench -- soak [--json] [--minutes 10] [--images 60] [--pause-ms 10] [--snapshots <dir>]`
// The browser host under a page's everyday traffic while a training runs: the real
// `apprentice serve` on 127.0.0.1, one WebSocket, mixed calls (images.list, images.get,
// images.pixels, workspace.status, runs.list) one after another for --minutes, while a tiny student
// trains in the job worker the whole time (cancelled at the end, so the soak is bounded). Reports
// the latency of images.list (the target: p99 under 50 ms) and the host's memory (the target: no
// growth). Loopback only; nothing is kept but the temporary workspace (and --snapshots' files).
//
// Memory. `host_rss_mb` is the kernel's RSS after the warm-up and at the end, raw, as it always was.
// On its own it cannot tell a leak from settling: under this traffic V8's heap swings by tens of MB
// between major GCs (images.pixels answers are data URLs of whole images) and malloc keeps pages
// it has freed, so two single readings differ with nothing retained; the warm-up reading may also
// come before the heap has grown to its working size. So the bench also reads the host from inside
// (soak-memory-probe.mjs, loaded into the host alone by this bench, through NODE_OPTIONS; no
// endpoint): `host_memory_mb.second_half` is the growth and least-squares slope (MB/min) of RSS,
// V8 heap used, external and ArrayBuffer memory over the second half of the soak, from samples every
// 2 s with no forced GC inside it — a leak climbs there, a settled heap is flat (heap used between
// GCs is a sawtooth: read its slope over minutes only); `live_after_gc` is the size right after a
// forced full GC at the warm-up's end and at the end, and its growth — what retained objects or
// buffers grow; `series` is ~60 rows of the samples. The forced GCs happen between
// calls, never inside a timed one, and the raw end RSS is read before the last. With --snapshots
// <dir> a heap snapshot is also written at both points (diff them by constructor); writing one costs
// the host tens of MB of RSS, so that run's RSS numbers are not comparable with others.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { JobEvent, Response } from '../../src/shared/contract';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { serve } from '../helpers/serve';
import { compactSeries, growthOver, liveAfterGc, MEASURES, memoryProbeEnv, readSamples, type MemorySample } from './soak-memory';

/** JIT, caches and the worker's start settle first; memory growth is measured from here on. */
const WARM_UP_MS = 15_000;

/** Resident memory of a process in MB, from the kernel's own count. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** A live-size reading (after a forced GC) for the JSON: when, in seconds of the soak, and its sizes. */
function liveReading(l: MemorySample, start: number): Record<string, number> {
  return { s: Math.round((l.at - start) / 1000), ...Object.fromEntries(MEASURES.map((k) => [k, l[k]])) };
}

/** One WebSocket client of the contract: numbered requests, job events to a listener. */
async function connect(url: string, onJob: (e: JobEvent) => void): Promise<{ call: (name: string, input: unknown) => Promise<unknown>; close: () => void }> {
  const page = new URL(url);
  const ws = new WebSocket(`ws://${page.host}/api?token=${page.searchParams.get('token')}`, { headers: { origin: page.origin } });
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  const pending = new Map<number, (r: Response) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as Response | { event: 'job'; payload: JobEvent };
    if ('event' in msg) onJob(msg.payload);
    else pending.get(msg.id)?.(msg);
  });
  let nextId = 1;
  return {
    call: async (name, input) => {
      const id = nextId++;
      const r = await new Promise<Response>((ok) => {
        pending.set(id, ok);
        ws.send(JSON.stringify({ id, name, input }));
      });
      pending.delete(id);
      if (!r.ok) throw new Error(`${name}: ${r.error}`);
      return r.output;
    },
    close: () => ws.close(),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: { minutes: { type: 'string' }, images: { type: 'string' }, 'pause-ms': { type: 'string' }, snapshots: { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? 10);
  const pauseMs = Number(values['pause-ms'] ?? 10);
  const count = Number(values.images ?? 60);
  if (!(minutes > 0 && minutes <= 60)) throw new Error('--minutes must be in (0, 60]');

  const dir = tempDir('bench-soak');
  const wsPath = join(dir, 'ws');
  const probeFile = join(dir, 'host-memory.jsonl');
  const ws = Workspace.open(wsPath, { create: true });
  try {
    const files = readdirSync(KVASIR_IMAGES).sort().slice(0, count).map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: files, masks: KVASIR_MASKS });
    createSplit(ws, { labeled: 1, val: 0.2, test: 0.1, seed: 1 });
  } finally {
    ws.close();
  }

  const snapshots = values.snapshots && resolve(values.snapshots);
  if (snapshots) mkdirSync(snapshots, { recursive: true });
  const host = await serve(wsPath, memoryProbeEnv(probeFile, snapshots));
  const job = { id: '', epochs: 0, trainings: 0, ended: false, failures: [] as string[] };
  const client = await connect(host.url, (e) => {
    if (e.jobId !== job.id) return;
    if (e.type === 'progress' && e.phase === 'epoch-end') job.epochs++;
    if (e.type === 'failed') job.failures.push(e.error);
    if (e.type !== 'progress') job.ended = true;
  });
  // A tiny student; early stopping may end it before the soak does, so a new one starts then.
  const train = async () => {
    job.ended = false;
    job.trainings++;
    job.id = (
      (await client.call('train.start', {
        settings: { epochs: 1000, size: 64, batch: 4, lr: 1e-3, width: 8, blocks: [1, 1, 1, 1], decoder: [32, 16, 8, 8, 4] },
      })) as { jobId: string }
    ).jobId;
  };
  try {
    const total = ((await client.call('images.list', { limit: 1 })) as { total: number }).total;
    const ids = ((await client.call('images.list', { limit: 5000 })) as { images: { id: number }[] }).images.map((i) => i.id);
    await train();
    process.stderr.write(`soak: ${total} images, training, ${minutes} min of mixed calls against pid ${host.pid}\n`);

    const calls: [string, () => unknown][] = [
      ['images.list', () => ({ offset: 0, limit: 500 })],
      ['images.get', () => ({ id: ids[Math.floor(Math.random() * ids.length)] })],
      ['images.pixels', () => ({ id: ids[Math.floor(Math.random() * ids.length)] })],
      ['workspace.status', () => ({})],
      ['runs.list', () => ({})],
    ];
    const listMs: number[] = [];
    const counts: Record<string, number> = {};
    const errors: string[] = [];
    const start = Date.now();
    const end = start + minutes * 60_000;
    let rssStart = NaN;
    let rssMax = 0;
    const live: MemorySample[] = [];
    // Between calls, so no timed call waits for a forced GC; the untimed call after it returns once the
    // host's event loop is free again (a heap snapshot holds it for seconds).
    const measureLive = async () => {
      live.push(await liveAfterGc(host.pid, probeFile));
      await client.call('workspace.status', {});
    };
    const halfWay = WARM_UP_MS + (end - start - WARM_UP_MS) / 2;
    for (let i = 0; Date.now() < end; i++) {
      if (job.ended && job.failures.length < 3) await train().catch((e: unknown) => job.failures.push(String(e)));
      const [name, input] = calls[i % calls.length]!;
      const t0 = performance.now();
      try {
        await client.call(name, input());
      } catch (e) {
        if (errors.length < 10) errors.push(String(e));
      }
      const ms = performance.now() - t0;
      counts[name] = (counts[name] ?? 0) + 1;
      const warm = Date.now() - start >= WARM_UP_MS;
      if (warm && Number.isNaN(rssStart)) {
        rssStart = rssMb(host.pid);
        await measureLive();
      }
      if (warm && name === 'images.list') listMs.push(ms);
      if (i % 50 === 0) rssMax = Math.max(rssMax, rssMb(host.pid));
      if (pauseMs > 0) await new Promise((ok) => setTimeout(ok, pauseMs));
    }
    const rssEnd = rssMb(host.pid);
    const samples = readSamples(probeFile, start).filter((s) => s.t <= end - start);
    await measureLive();
    const [liveStart, liveEnd] = live;
    if (!job.ended) await client.call('jobs.cancel', { jobId: job.id });
    listMs.sort((a, b) => a - b);
    return {
      minutes,
      images: total,
      calls: counts,
      errors,
      images_list_ms: { n: listMs.length, p50: round(percentile(listMs, 50)), p99: round(percentile(listMs, 99)), max: round(listMs.at(-1) ?? NaN) },
      host_rss_mb: { after_warm_up: rssStart, end: rssEnd, max: Math.max(rssMax, rssEnd), growth: rssEnd - rssStart },
      host_memory_mb: {
        after_warm_up: growthOver(samples, WARM_UP_MS),
        second_half: growthOver(samples, halfWay),
        live_after_gc: liveStart && liveEnd && {
          warm_up: liveReading(liveStart, start),
          end: liveReading(liveEnd, start),
          growth: Object.fromEntries(MEASURES.map((k) => [k, round(liveEnd[k] - liveStart[k])])),
        },
        series: { columns: ['s', ...MEASURES], rows: compactSeries(samples, 60) },
        ...(snapshots ? { snapshots: live.map((l) => l.snapshot) } : {}),
      },
      training: { trainings: job.trainings, epochs_done: job.epochs, failures: job.failures },
      load_average: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    };
  } finally {
    client.close();
    await host.stop();
  }
}
