import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Rgb } from '../imaging/raster';
import type { Device } from '../onnx/device';
import { packageRoot } from '../util/package-root';
import type { EncodedImage, EncoderSpec } from './encode-image';
import { ownBuffer, type EncoderReply, type EncoderRequest, type RawGraph } from './encoder-protocol';
import { TeacherModelError } from './teacher-error';

/**
 * The app's side of the encoder thread (encoder-worker.ts): one worker thread per process, started
 * at the first encoder run, that owns the encoder sessions. The image's pixels are handed over and
 * the embedding handed back (no copies); the thread is ended by `releaseEncoderThread` after the
 * runs it was given, and a new one starts with the next run. The worker does not keep the process
 * alive while nothing is asked.
 */

interface Pending {
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  /** The request's promise, for release to wait on. */
  settled: Promise<unknown>;
}

/** The running thread and the requests it has not answered (a thread that stops fails its own only). */
let current: { worker: Worker; pending: Map<number, Pending> } | null = null;
let nextId = 0;

/** tsx's module-hooks API, as an import specifier the thread can load from anywhere. */
function tsxApi(): string {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  // import.meta.resolve picks the package's "import" entry; without it, the thread resolves the
  // bare name itself, from the working directory (the repository, where tests and benches run).
  return resolve ? resolve('tsx/esm/api') : 'tsx/esm/api';
}

/**
 * The worker's program: the built `out/main/encoder-worker.js` when this code runs built; from
 * source (tests, benches, scripts) the TypeScript entry, through tsx registered in the thread.
 */
function startWorker(): { worker: Worker; pending: Map<number, Pending> } {
  const here = fileURLToPath(import.meta.url);
  const w = here.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(tsxApi())})` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(join(here, '..', 'encoder-worker.ts')).href)}); })`,
        { eval: true },
      )
    : new Worker(join(packageRoot(), 'out', 'main', 'encoder-worker.js'));
  const thread = { worker: w, pending: new Map<number, Pending>() };
  w.on('message', (reply: EncoderReply) => {
    const p = thread.pending.get(reply.id);
    if (!p) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) w.unref();
    if (reply.ok) p.resolve(reply.result);
    else p.reject(reply.error.teacherModel ? new TeacherModelError(reply.error.message) : new Error(reply.error.message));
  });
  const fail = (why: string) => {
    if (current === thread) current = null;
    for (const p of thread.pending.values()) p.reject(new Error(`the teacher's encoder thread ${why}`));
    thread.pending.clear();
  };
  w.on('error', (e) => fail(`failed: ${e instanceof Error ? e.message : String(e)}`));
  w.on('exit', (code) => fail(`stopped (exit code ${code})`));
  w.unref();
  return thread;
}

/**
 * Encodes an image on the encoder thread. `handOver`: the caller will not touch `rgb` again, so
 * its pixels move to the thread instead of being copied.
 */
export function encodeOffThread(spec: EncoderSpec, device: Device, rgb: Rgb, handOver: boolean): Promise<EncodedImage> {
  const data = handOver ? ownBuffer(rgb.data) : rgb.data.slice();
  return ask({ id: nextId++, kind: 'encode', spec, device, rgb: { width: rgb.width, height: rgb.height, data } }, [data.buffer as ArrayBuffer]) as Promise<EncodedImage>;
}

/** An encoder file's inputs and outputs, read by onnxruntime on the encoder thread (the load takes seconds for a large SAM). */
export function encoderGraphOffThread(path: string): Promise<RawGraph> {
  return ask({ id: nextId++, kind: 'graph', path }, []) as Promise<RawGraph>;
}

function ask(request: EncoderRequest, transfer: ArrayBuffer[]): Promise<unknown> {
  current ??= startWorker();
  const thread = current;
  let resolve!: (r: unknown) => void, reject!: (e: Error) => void;
  const settled = new Promise<unknown>((ok, fail) => ((resolve = ok), (reject = fail)));
  thread.pending.set(request.id, { resolve, reject, settled });
  thread.worker.ref();
  thread.worker.postMessage(request, transfer);
  return settled;
}

/**
 * Ends the encoder thread and its sessions once the runs it was given are over (ending a thread
 * inside a native run aborts the whole process: onnxruntime-node cannot be interrupted). The next
 * run starts a new thread.
 */
export async function releaseEncoderThread(): Promise<void> {
  const thread = current;
  current = null;
  if (!thread) return;
  while (thread.pending.size) await Promise.allSettled([...thread.pending.values()].map((p) => p.settled));
  await thread.worker.terminate();
}
