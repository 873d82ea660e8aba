import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRequest } from '../../shared/contract';
import { packageRoot } from '../util/package-root';
import type { JobContext } from './jobs';
import type { FromWorker, ToWorker, WorkerOutcome } from './worker-protocol';

/** The built job worker (electron-vite's `worker` entry of the main build). */
export function workerEntry(): string {
  return join(packageRoot(), 'out', 'main', 'worker.js');
}

interface WorkerProcess {
  send(m: ToWorker): void;
  onMessage(listener: (m: FromWorker) => void): void;
  onExit(listener: (code: number | null) => void): void;
  stderr: NodeJS.ReadableStream | null;
}

/** Inside the Electron app a utilityProcess; anywhere else (serve, tests) a forked Node of the same binary. */
async function startWorker(): Promise<WorkerProcess> {
  const entry = workerEntry();
  if (!existsSync(entry)) throw new Error(`the job worker is not built (${entry} missing): run "npm run build" first`);
  if (process.type === 'browser') {
    const { utilityProcess } = await import('electron');
    const child = utilityProcess.fork(entry, [], { serviceName: 'Apprentice job', stdio: 'pipe', cwd: packageRoot() });
    await new Promise<void>((ok) => child.once('spawn', () => ok()));
    child.stdout?.resume();
    return {
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
      onExit: (l) => child.once('exit', (code) => l(code)),
      stderr: child.stderr,
    };
  }
  const child = fork(entry, [], {
    cwd: packageRoot(),
    // Under Electron's Node (the CLI after `npm run app`) the same binary must start as Node again.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  return {
    send: (m) => child.send(m),
    onMessage: (l) => child.on('message', (m) => l(m as FromWorker)),
    onExit: (l) => child.once('exit', (code) => l(code)),
    stderr: child.stderr,
  };
}

/**
 * Runs a training or mining request in a job worker: the worker gets the validated request as
 * JSON, progress comes back as the contract's JobProgress, and cancelling asks the worker to stop
 * (it checkpoints, as Ctrl-C does in the CLI).
 */
export async function runWorkerJob(request: JobRequest, ctx: JobContext): Promise<WorkerOutcome> {
  const worker = await startWorker();
  let stderr = '';
  worker.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const cancel = () => worker.send({ type: 'cancel' });
  ctx.signal.addEventListener('abort', cancel, { once: true });
  return new Promise((ok, fail) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', cancel);
      f();
    };
    worker.onMessage((m) => {
      if (m.type === 'progress') ctx.progress(m.progress);
      else if (m.type === 'done') settle(() => ok(m.result));
      else settle(() => fail(new Error(m.error)));
    });
    // A worker that dies without a reply (a crash, a kill) says why on stderr, if anywhere.
    worker.onExit((code) => settle(() => fail(new Error(stderr.trim().split('\n').pop() || `the job worker exited with ${code}`))));
    worker.send({ type: 'start', request });
  });
}
