import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../shared/contract';
import { JobFollower } from './job-follower';

const done = (jobId: string): JobEvent => ({
  type: 'done',
  jobId,
  kind: 'import',
  result: { imported: 0, duplicates: 0, masks: 0, failed: [{ file: '/nope', error: 'does not exist' }] },
});
const progress = (jobId: string): JobEvent => ({
  type: 'progress',
  jobId,
  kind: 'import',
  phase: 'import',
  done: 0,
  total: 1,
  message: '',
  runId: null,
  epoch: null,
  metrics: null,
  eta: null,
});

describe('following one job', () => {
  it('handles a job that finished before its start call returned (the panel is not left disabled)', () => {
    const seen: JobEvent[] = [];
    const f = new JobFollower((e) => seen.push(e));
    f.begin();
    expect(f.busy).toBe(true);
    f.receive(progress('other'));
    f.receive(done('a'));
    expect(seen).toEqual([]);
    f.started('a');
    expect(seen).toEqual([done('a')]);
    expect(f.busy).toBe(false);
  });

  it('ignores other jobs and stays busy until its own job ends', () => {
    const seen: JobEvent[] = [];
    const f = new JobFollower((e) => seen.push(e));
    f.begin();
    f.started('a');
    f.receive(done('b'));
    f.receive(progress('a'));
    expect(f.busy).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(['progress']);
    f.receive({ type: 'failed', jobId: 'a', kind: 'import', error: 'boom' });
    expect(f.busy).toBe(false);
    expect(seen.map((e) => e.type)).toEqual(['progress', 'failed']);
  });

  it('is free again when the start call itself failed', () => {
    const f = new JobFollower(() => undefined);
    f.begin();
    f.failedToStart();
    expect(f.busy).toBe(false);
  });
});

describe('starting a job through the follower', () => {
  it('follows the job the call started, and events that beat the call back are not lost', async () => {
    const seen: JobEvent[] = [];
    const f = new JobFollower((e) => seen.push(e));
    const reason = await f.start(async () => {
      f.receive(done('j9')); // the job ended before its id came back
      return { jobId: 'j9' };
    });
    expect(reason).toBeNull();
    expect(seen.map((e) => e.type)).toEqual(['done']);
    expect(f.busy).toBe(false);
  });

  it('gives the reason a job could not start and is not busy afterwards', async () => {
    const f = new JobFollower(() => {});
    const reason = await f.start(async () => {
      throw new Error('a training (run 3) is already running');
    });
    expect(reason).toBe('a training (run 3) is already running');
    expect(f.busy).toBe(false);
  });
});
