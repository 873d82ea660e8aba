import { describe, expect, it } from 'vitest';
import type { JobEvent, RunSummary } from '../../../shared/contract';
import { bestValidationDice, clock, progressStatus, resumable, watchJob, watchProgress } from './job-progress';

const progress = (p: Partial<Extract<JobEvent, { type: 'progress' }>>): Extract<JobEvent, { type: 'progress' }> => ({
  type: 'progress',
  jobId: 'j',
  kind: 'mine',
  phase: 'pseudo-labelling',
  done: 0,
  total: 40,
  message: '',
  runId: null,
  epoch: null,
  metrics: null,
  eta: null,
  ...p,
});

const run = (r: Partial<RunSummary>): RunSummary => ({
  id: 1,
  kind: 'supervised',
  status: 'interrupted',
  backend: null,
  splitId: 1,
  config: { size: 64 } as RunSummary['config'],
  result: null,
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  ...r,
});

describe('job progress in the views', () => {
  it('reads elapsed time and ETA as a person would', () => {
    expect(clock(4.6)).toBe('5 s');
    expect(clock(125)).toBe('2 min 5 s');
    expect(clock(3780)).toBe('1 h 3 min');
    expect(progressStatus({ phase: 'pseudo-labelling', done: 3, total: 40, eta: 150 }, 12)).toBe(
      'teacher pass 3/40 · elapsed 12 s · about 2 min 30 s left in this phase',
    );
    expect(progressStatus({ phase: 'mining', done: 0, total: 10, eta: null }, 0)).toBe('training on pseudo-labels 0/10 · elapsed 0 s');
  });

  it('notes the run once, when the first event names it, and keeps every announcement', () => {
    let job = watchJob(1000);
    let step = watchProgress(job, progress({ done: 0 }));
    expect(step.runAppeared).toBe(false);
    step = watchProgress(step.job, progress({ done: 1, runId: 7 }));
    expect(step.runAppeared).toBe(true);
    expect(step.job.runId).toBe(7);
    step = watchProgress(step.job, progress({ phase: 'mining', runId: 7, notice: 'learning rate lowered' }));
    expect(step.runAppeared).toBe(false);
    step = watchProgress(step.job, progress({ phase: 'mining', runId: 7, notice: 'early stop after epoch 11' }));
    job = watchProgress(step.job, progress({ phase: 'test', runId: 7 })).job;
    expect(job.notices).toEqual(['learning rate lowered', 'early stop after epoch 11']);
    expect(job.progress).toMatchObject({ phase: 'test', total: 40 });
    expect(job.startedAt).toBe(1000);
  });

  it('offers Resume for a stopped run with a checkpoint or stored pseudo-labels, never for a running or finished one', () => {
    const best = { epoch: 2, valLoss: 0.3, valDice: 0.71234, valIou: 0.6, blob: 'x' };
    expect(resumable(run({ result: { inProgress: true, epochs: 2, best } }))).toBe(true);
    expect(resumable(run({ result: null }))).toBe(false);
    expect(resumable(run({ kind: 'mining-one-time', status: 'failed' }))).toBe(true);
    expect(resumable(run({ status: 'running', result: { inProgress: true, epochs: 2, best } }))).toBe(false);
    expect(resumable(run({ status: 'done', kind: 'mining-one-time' }))).toBe(false);
    expect(bestValidationDice(run({ result: { inProgress: true, epochs: 2, best } }))).toBe('0.712 (epoch 2)');
    expect(bestValidationDice(run({}))).toBe('–');
  });
});
