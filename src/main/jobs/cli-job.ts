import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { packageRoot } from '../util/package-root';
import type { JobContext } from './jobs';

export interface CliProgress {
  label: string;
  done: number;
  total: number;
  message: string;
  eta: number | null;
  detail: Record<string, number | string | null> | null;
}

/**
 * Runs an `apprentice … --json` command in a child process as a job: training and mining are CPU
 * bound for minutes, so they never share the event loop of the window or host. Progress arrives as
 * NDJSON on fd 3; cancelling sends SIGINT, which the commands answer by checkpointing and exiting.
 * Inside Electron the child is Electron's own Node (ELECTRON_RUN_AS_NODE), so no separate runtime.
 */
export function runCliJob(args: string[], ctx: JobContext, onProgress?: (p: CliProgress) => void): Promise<unknown> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin/apprentice.mjs'), ...args, '--json'], {
    cwd: packageRoot(),
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', APPRENTICE_PROGRESS_FD: '3' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const abort = () => child.kill('SIGINT');
  ctx.signal.addEventListener('abort', abort, { once: true });

  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
    try {
      const p = JSON.parse(line) as CliProgress;
      ctx.progress(p.done, p.total, p.message, p.detail ?? undefined);
      onProgress?.(p);
    } catch {
      // A torn line from a killed child carries nothing worth showing.
    }
  });

  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      ctx.signal.removeEventListener('abort', abort);
      const last = stdout.trim().split('\n').pop() ?? '';
      let result: unknown = null;
      try {
        result = last ? JSON.parse(last) : null;
      } catch {
        result = null;
      }
      if (code === 0) return ok(result);
      const reason = (result as { error?: string } | null)?.error ?? (stderr.trim().split('\n').pop() || `exited with ${signal ?? code}`);
      fail(new Error(reason));
    });
  });
}
