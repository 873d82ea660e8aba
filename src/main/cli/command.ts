import type { ParseArgsConfig } from 'node:util';
import { Workspace } from '../workspace/workspace';

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** One `apprentice <name>` subcommand. `run` returns the one JSON object printed with --json. */
export interface Command {
  summary: string; // one usage line, e.g. "segment <ws> --image <id> [--point x,y[,label]]"
  options: ParseArgsConfig['options'];
  run(positionals: string[], flags: Flags, json: boolean): Promise<unknown>;
  /** Human output; JSON pretty-print when absent. */
  print?(result: unknown): void;
}

export class UsageError extends Error {}

export function requireWs(positionals: string[], create = false): Workspace {
  const path = positionals[0];
  if (!path) throw new UsageError('missing workspace folder');
  return Workspace.open(path, { create });
}

/** Opens the workspace named by the first positional, runs `fn`, and always closes it. */
export async function withWs<T>(positionals: string[], fn: (ws: Workspace) => Promise<T> | T): Promise<T> {
  const ws = requireWs(positionals);
  try {
    return await fn(ws);
  } finally {
    ws.close();
  }
}

export function num(flags: Flags, name: string, fallback?: number): number {
  const v = flags[name];
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number (got ${String(v)})`);
  return n;
}

/** `--images 1,2,3` → [1, 2, 3]; absent → null (the command's own default set). */
export function idList(flags: Flags, name: string): number[] | null {
  const v = flags[name];
  if (v === undefined) return null;
  const ids = String(v)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  if (ids.length === 0 || ids.some((n) => !Number.isInteger(n) || n <= 0))
    throw new UsageError(`--${name} must be image ids like 1,2,3 (got ${String(v)})`);
  return ids;
}

/** Ctrl-C (or SIGTERM) → abort the work, which checkpoints or stops cleanly; a second Ctrl-C exits at once. */
export function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count === 1) {
      process.stderr.write('\nstopping after the current step (the last checkpoint is kept); Ctrl-C again to quit now\n');
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
