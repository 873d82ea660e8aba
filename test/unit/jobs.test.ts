import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobEvent, JobRequest, type JobProgress } from '../../src/shared/contract';
import { mineProgressReporter, trainProgressReporter } from '../../src/main/jobs/progress';
import { trainSettingsFromRequest } from '../../src/main/jobs/training-jobs';
import { acquireJobSlot, runningJob, WorkspaceBusyError } from '../../src/main/jobs/workspace-lock';
import { tempDir } from '../helpers/data';

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(String(r.stdout));
}

describe('workspace job slot', () => {
  it('refuses a second job while one runs, naming it, and frees the slot on release', () => {
    const root = tempDir('slot');
    const slot = acquireJobSlot(root, 'train');
    slot.noteRun(7);
    expect(runningJob(root)).toMatchObject({ pid: process.pid, kind: 'train', runId: 7 });
    let refused: unknown = null;
    try {
      acquireJobSlot(root, 'mine');
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(WorkspaceBusyError);
    expect((refused as Error).message).toMatch(new RegExp(`a training \\(run 7\\) started .* by process ${process.pid} is already running`));
    slot.release();
    expect(runningJob(root)).toBeNull();
    expect(existsSync(join(root, 'job.lock'))).toBe(false);
    acquireJobSlot(root, 'experiment').release();
  });

  it('breaks a stale lock left by a process that is gone', () => {
    const root = tempDir('slot-stale');
    const pid = deadPid();
    writeFileSync(join(root, 'job.lock'), JSON.stringify({ pid, kind: 'mine', startedAt: '2020-01-01T00:00:00Z', runId: 3 }));
    expect(runningJob(root)).toBeNull();
    const slot = acquireJobSlot(root, 'train');
    expect(JSON.parse(readFileSync(join(root, 'job.lock'), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'train' });
    slot.release();
  });
});

describe('job progress and requests', () => {
  it('reports training as one bar over the session, with the run, epoch and metrics typed', () => {
    const seen: JobProgress[] = [];
    const report = trainProgressReporter((p) => seen.push(p));
    const base = { runId: 4, maxEpochs: 2, batches: 5, loss: 0.5, etaEpoch: 3, etaRun: 9 };
    report({ ...base, phase: 'train', epoch: 1, batch: 5 });
    const metrics = { epoch: 1, train_loss: 0.5, val_loss: 0.4, val_iou: 0.6, val_dice: 0.7, lr: 1e-4 };
    report({ ...base, phase: 'epoch-end', epoch: 1, batch: 5, metrics });
    report({ ...base, phase: 'train', epoch: 2, batch: 1 });
    expect(seen.map((p) => [p.phase, p.done, p.total, p.runId, p.epoch])).toEqual([
      ['train', 5, 10, 4, 1],
      ['epoch-end', 5, 10, 4, 1],
      ['train', 6, 10, 4, 2],
    ]);
    expect(seen[0]!.eta).toBe(9);
    expect(seen[1]!.metrics).toEqual(metrics);
    expect(seen[2]!.message).toContain('val loss 0.4000 dice 0.700');
    for (const p of seen) expect(JobEvent.parse({ type: 'progress', jobId: 'j', kind: 'train', ...p })).toBeTruthy();
  });

  it('reads the run and an epoch’s metrics out of mining progress', () => {
    const seen: JobProgress[] = [];
    const report = mineProgressReporter((p) => seen.push(p));
    report({ phase: 'pseudo-labelling', done: 1, total: 4, message: 'pseudo-labelling image 3' });
    const m = { train_loss: 0.5, val_loss: 0.4, val_iou: 0.6, val_dice: 0.7, lr: 1e-4 };
    report({ phase: 'mining', done: 2, total: 3, message: 'one-time epoch 2', detail: { run_id: 9, epoch: 2, batch: 3, batches: 3, loss: 0.5, ...m } });
    expect(seen[0]).toMatchObject({ runId: null, epoch: null, metrics: null });
    expect(seen[1]).toMatchObject({ runId: 9, epoch: 2, metrics: { epoch: 2, ...m }, message: 'mining: one-time epoch 2' });
  });

  it('turns the settings a user gives into training overrides, and validates worker requests', () => {
    expect(trainSettingsFromRequest({ epochs: 3, size: 64, width: 8, blocks: [1, 1, 1, 1] })).toEqual({
      maxEpochs: 3,
      size: 64,
      model: { width: 8, blocks: [1, 1, 1, 1] },
    });
    expect(JobRequest.safeParse({ kind: 'train', workspace: '/ws', settings: { epochs: 0 } }).success).toBe(false);
    expect(JobRequest.safeParse({ kind: 'shell', workspace: '/ws' }).success).toBe(false);
    expect(JobRequest.parse({ kind: 'mine', workspace: '/ws', resume: 2 })).toEqual({ kind: 'mine', workspace: '/ws', resume: 2 });
  });
});
