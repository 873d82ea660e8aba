import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveEnv } from '../util/env';
import { packageRoot } from '../util/package-root';
import { decodeLimits } from './decode-limits';
import type { DecodeOp, DecodeOptions, DecodeResults } from './decode-for-import';
import { TEST_HOOKS_ENV, type DecodeReply, type DecodeRequest } from './decode-protocol';

/**
 * Decoding happens in a long-lived child process (decode-worker.ts), one file at a time. When that
 * process dies on a file — a native abort, an exhausted heap — or takes longer than the per-file
 * timeout, that file fails with the reason and a fresh process decodes the next one.
 */

export interface DecodeSettings {
  /** Per-file wall-clock limit (APPRENTICE_DECODE_TIMEOUT_S). */
  timeoutMs: number;
  /** The decode process's JavaScript heap (APPRENTICE_DECODE_HEAP_MB); pixels live outside it. */
  heapMb: number;
}

export const DEFAULT_DECODE_SETTINGS: Readonly<DecodeSettings> = Object.freeze({ timeoutMs: 120_000, heapMb: 2048 });

export function decodeSettings(): DecodeSettings {
  const seconds = positiveEnv('APPRENTICE_DECODE_TIMEOUT_S');
  return {
    timeoutMs: seconds !== null ? seconds * 1000 : DEFAULT_DECODE_SETTINGS.timeoutMs,
    heapMb: Math.round(positiveEnv('APPRENTICE_DECODE_HEAP_MB') ?? DEFAULT_DECODE_SETTINGS.heapMb),
  };
}

/**
 * The decode process's program and how to start it: the built `out/main/decode-worker.js` when this
 * code runs built, the TypeScript source through tsx when it runs from source (tests, scripts), so
 * the decoder is always the same code as its caller.
 */
function workerProgram(): { entry: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return { entry: join(dirname(here), 'decode-worker.ts'), execArgv: ['--import', 'tsx'] };
  return { entry: join(packageRoot(), 'out', 'main', 'decode-worker.js'), execArgv: [] };
}

interface Running {
  child: ChildProcess;
  /** What the process was started with: limits and settings are read from the environment at start. */
  startedWith: string;
  stderr: string;
}

export class DecodeClient {
  private running: Running | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;

  /** Decodes one file's bytes; requests are answered in order, one file at a time. */
  decode<K extends DecodeOp>(op: K, bytes: Uint8Array, options?: DecodeOptions): Promise<DecodeResults[K]> {
    const turn = this.queue.then(() => this.run(op, bytes, options));
    this.queue = turn.catch(() => undefined);
    return turn as Promise<DecodeResults[K]>;
  }

  close(): void {
    this.running?.child.kill('SIGKILL');
    this.running = null;
  }

  private run(op: DecodeOp, bytes: Uint8Array, options?: DecodeOptions): Promise<unknown> {
    const settings = decodeSettings();
    const proc = this.process(settings);
    const id = ++this.nextId;
    return new Promise((ok, fail) => {
      const done = (f: () => void) => {
        clearTimeout(timer);
        proc.child.off('message', onMessage);
        proc.child.off('close', onClose);
        f();
      };
      const onMessage = (m: DecodeReply) => {
        if (m.id === id) done(() => (m.ok ? ok(m.value) : fail(new Error(m.error))));
      };
      // 'close', not 'exit': by then stderr is read to the end, where V8 says it ran out of heap.
      const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
        done(() => fail(new Error(deathReason(code, signal, proc.stderr, settings))));
      // The timer is what keeps a short-lived process (the CLI) alive while a file is decoded.
      const timer = setTimeout(() => {
        done(() =>
          fail(
            new Error(
              `the decoder took longer than ${settings.timeoutMs / 1000} s on this file and was stopped (APPRENTICE_DECODE_TIMEOUT_S)`,
            ),
          ),
        );
        this.stop(proc);
      }, settings.timeoutMs);
      proc.child.on('message', onMessage);
      proc.child.once('close', onClose);
      const request: DecodeRequest = { id, op, bytes, ...(options ? { options } : {}) };
      proc.child.send(request, (err) => {
        if (err) done(() => fail(new Error(`could not hand the file to the decoder: ${err.message}`)));
      });
    });
  }

  private process(settings: DecodeSettings): Running {
    const startedWith = JSON.stringify([decodeLimits(), settings.heapMb, process.env[TEST_HOOKS_ENV] ?? '']);
    if (this.running && this.running.startedWith !== startedWith) this.stop(this.running);
    if (this.running) return this.running;
    const { entry, execArgv } = workerProgram();
    if (!existsSync(entry)) throw new Error(`the decoder is not built (${entry} missing): run "npm run build" first`);
    const child = fork(entry, [], {
      cwd: packageRoot(),
      execArgv: [...execArgv, `--max-old-space-size=${settings.heapMb}`],
      // Under Electron (the app, or the CLI after `npm run app`) the same binary must start as Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Typed arrays cross as bytes, not as JSON arrays of numbers.
      serialization: 'advanced',
    });
    const running: Running = { child, startedWith, stderr: '' };
    // An idle decoder must not keep a finished CLI alive; it exits itself when its parent goes.
    child.unref();
    child.channel?.unref();
    const stderr = child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null;
    stderr?.unref?.();
    stderr?.on('data', (d) => (running.stderr = (running.stderr + String(d)).slice(-4000)));
    child.once('exit', () => {
      if (this.running === running) this.running = null;
    });
    child.on('error', () => undefined); // a failed spawn or send surfaces as 'exit' or in send's callback
    this.running = running;
    return running;
  }

  private stop(proc: Running): void {
    proc.child.kill('SIGKILL');
    if (this.running === proc) this.running = null;
  }
}

/** Why the decode process ended while it held a file, in words a user can act on. */
function deathReason(code: number | null, signal: NodeJS.Signals | null, stderr: string, settings: DecodeSettings): string {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) {
    return `the decoder ran out of memory on this file (heap limit ${settings.heapMb} MB, APPRENTICE_DECODE_HEAP_MB)`;
  }
  return signal ? `the decoder crashed on this file (signal ${signal})` : `the decoder crashed on this file (exit code ${code})`;
}

/**
 * Decode processes side by side, one per core up to `size`: an import keeps each busy with a file
 * (an image and its mask go to different processes) while the importing process hashes and writes
 * blobs. Each request goes to the process with the fewest files waiting; the caller awaits the
 * answers in its own order, so what it commits stays in file order.
 */
export class DecodePool {
  private readonly clients: { client: DecodeClient; waiting: number }[];

  constructor(size: number) {
    this.clients = Array.from({ length: Math.max(1, size) }, () => ({ client: new DecodeClient(), waiting: 0 }));
  }

  decode<K extends DecodeOp>(op: K, bytes: Uint8Array, options?: DecodeOptions): Promise<DecodeResults[K]> {
    const least = this.clients.reduce((a, b) => (b.waiting < a.waiting ? b : a));
    least.waiting++;
    const answer = least.client.decode(op, bytes, options);
    const settled = () => void least.waiting--;
    answer.then(settled, settled);
    return answer;
  }

  close(): void {
    for (const { client } of this.clients) client.close();
  }
}

/** Two decode processes at most: beyond that the importing process's own work is the limit. */
const POOL_SIZE = Math.min(2, availableParallelism());

let shared: DecodePool | null = null;

/** The process's decoders, shared by every import (the CLI's, the host's, the app's). */
export function sharedDecoder(): DecodePool {
  return (shared ??= new DecodePool(POOL_SIZE));
}
