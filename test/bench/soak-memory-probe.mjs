// Loaded into `apprentice serve` by the soak bench only (NODE_OPTIONS="--expose-gc --import <this>"),
// never by the app: what the host's memory is made of can only be read from inside it (V8 heap,
// external and ArrayBuffer memory beside the kernel's RSS). Nothing listens on the network: samples
// go to the file named by APPRENTICE_SOAK_PROBE as JSON lines (every APPRENTICE_SOAK_PROBE_MS, by
// default 2 s), and SIGUSR2 (from the bench, the
// host's parent) asks for a full GC first — the live size, which a leak grows and settling does not —
// and, when APPRENTICE_SOAK_SNAPSHOTS names a folder, a heap snapshot to diff by constructor.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const out = process.env.APPRENTICE_SOAK_PROBE;
// The variable reaches the host's children too (job worker, decoders); only the host is sampled.
if (out && process.argv.includes('serve')) {
  const record = (extra) => {
    const m = process.memoryUsage();
    const mb = (b) => Math.round((b / 1048576) * 10) / 10;
    const line = { at: Date.now(), pid: process.pid, rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), ...extra };
    appendFileSync(out, JSON.stringify(line) + '\n');
  };
  const everyMs = Number(process.env.APPRENTICE_SOAK_PROBE_MS ?? 2000);
  setInterval(() => record({}), everyMs).unref();
  let snapshots = 0;
  process.on('SIGUSR2', () => {
    if (typeof globalThis.gc !== 'function') return record({ gc: false });
    globalThis.gc();
    const dir = process.env.APPRENTICE_SOAK_SNAPSHOTS;
    const snapshot = dir ? join(dir, `host-${++snapshots}.heapsnapshot`) : undefined;
    // Measured before the snapshot, whose own buffers would count otherwise.
    record({ gc: true, ...(snapshot ? { snapshot } : {}) });
    if (snapshot) writeHeapSnapshot(snapshot);
  });
}
