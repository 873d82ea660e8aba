import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JobKind } from '../../shared/contract';
import { writeFileAtomic } from '../util/atomic-write';
import { processAlive } from '../util/process-alive';

/**
 * One training, mining or experiment per workspace at a time, across processes: the app's worker
 * and a CLI in a terminal may both try. The holder writes `job.lock` in the workspace with its pid;
 * a lock whose pid is gone (a killed process) is stale and is broken by the next job.
 */
export interface RunningJob {
  pid: number;
  kind: JobKind;
  startedAt: string;
  runId: number | null;
}

export class WorkspaceBusyError extends Error {
  constructor(readonly running: RunningJob) {
    super(`${describeRunning(running)} is already running on this workspace; wait for it to finish or cancel it first`);
  }
}

const LOCK_FILE = 'job.lock';

const NOUN: Record<JobKind, string> = { import: 'an import', train: 'a training', mine: 'a mining run', experiment: 'an experiment', export: 'an export', predict: 'a prediction batch', check: 'a workspace check', pretrain: 'a pre-training' };

export function jobNoun(kind: JobKind): string {
  return NOUN[kind];
}

export function describeRunning(j: RunningJob): string {
  return `${NOUN[j.kind]}${j.runId !== null ? ` (run ${j.runId})` : ''} started ${j.startedAt} by process ${j.pid}`;
}

const alive = processAlive;

function readLock(file: string): RunningJob | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as RunningJob;
    return Number.isInteger(j.pid) && j.pid > 0 ? j : null;
  } catch {
    return null; // absent, or torn by a crash between create and write
  }
}

/** The job holding the workspace, or null when it is free (a stale lock counts as free). */
export function runningJob(root: string): RunningJob | null {
  const held = readLock(join(root, LOCK_FILE));
  return held && alive(held.pid) ? held : null;
}

export interface JobSlot {
  /** Names the run in the lock once it exists, so whoever is refused learns which run holds it. */
  noteRun(runId: number): void;
  release(): void;
}

export function acquireJobSlot(root: string, kind: JobKind): JobSlot {
  const file = join(root, LOCK_FILE);
  const mine: RunningJob = { pid: process.pid, kind, startedAt: new Date().toISOString(), runId: null };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx'); // atomic: exactly one process creates it
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
      const held = readLock(file);
      if (held && alive(held.pid)) throw new WorkspaceBusyError(held);
      // Stale: move it aside under a unique name, so two processes breaking it at once cannot
      // delete the lock a third one has just taken.
      const aside = `${file}.stale-${process.pid}-${attempt}`;
      try {
        renameSync(file, aside);
        rmSync(aside, { force: true });
      } catch {
        // Someone else broke it first: try again.
      }
    }
  }
  let released = false;
  return {
    noteRun(runId) {
      if (released || mine.runId === runId) return;
      mine.runId = runId;
      writeFileAtomic(file, Buffer.from(JSON.stringify(mine)));
    },
    release() {
      if (released) return;
      released = true;
      if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}

/** Runs `work` holding the workspace's job slot; refuses at once when another job holds it. */
export async function withJobSlot<T>(root: string, kind: JobKind, work: (slot: JobSlot) => Promise<T>): Promise<T> {
  const slot = acquireJobSlot(root, kind);
  try {
    return await work(slot);
  } finally {
    slot.release();
  }
}
