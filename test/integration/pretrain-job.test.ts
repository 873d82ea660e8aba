import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ApiService } from '../../src/main/services/api';
import { importImages } from '../../src/main/workspace/import';
import { getRun } from '../../src/main/workspace/runs';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import type { JobEvent, PretrainOutcome, TrainOutcome } from '../../src/shared/contract';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { readdirSync } from 'node:fs';

const TINY = { width: 8, blocks: [1, 1, 1, 1], decoder: [32, 16, 8, 8, 4], size: 64 };

describe('SimCLR pre-training from the app: a job in the worker, then a student that starts from it', () => {
  it('runs with progress, is in the run history, and a supervised run records it as its initialisation', async () => {
    const root = join(tempDir('pretrain-job'), 'ws');
    const ws = Workspace.open(root, { create: true });
    const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 12);
    await importImages(ws, { paths: names.map((n) => join(KVASIR_IMAGES, n)), masks: KVASIR_MASKS });
    createSplit(ws, { labeled: 1, val: 0.2, test: 0.2, seed: 1 });
    const api = new ApiService('websocket');
    api.openWorkspace(root);
    const events: JobEvent[] = [];
    api.onJobEvent((e) => events.push(e));
    const end = (jobId: string) => vi.waitUntil(() => events.find((e) => e.jobId === jobId && e.type !== 'progress'), { timeout: 120_000, interval: 200 });
    try {
      const { jobId } = (await api.dispatch('pretrain.start', { settings: { ...TINY, epochs: 2, batch: 4 } })) as { jobId: string };
      await expect(api.dispatch('train.start', { settings: { ...TINY, epochs: 1 } })).rejects.toThrow(/pre-training started from this window is still running/);
      const finished = await end(jobId);
      expect(finished).toMatchObject({ type: 'done', kind: 'pretrain' });
      const outcome = (finished as { result: PretrainOutcome }).result;
      expect(outcome.epochs).toBe(2);
      const progress = events.filter((e) => e.jobId === jobId && e.type === 'progress');
      expect(progress.some((p) => p.type === 'progress' && p.phase === 'train' && p.runId === outcome.runId && /NT-Xent/.test(p.message))).toBe(true);
      const runs = (await api.dispatch('runs.list', {})) as { runs: { id: number; kind: string; status: string }[] };
      expect(runs.runs.find((r) => r.id === outcome.runId)).toMatchObject({ kind: 'pretrain', status: 'done' });

      const train = (await api.dispatch('train.start', { settings: { ...TINY, epochs: 1, batch: 4, initRun: outcome.runId } })) as { jobId: string };
      const trained = await end(train.jobId);
      expect(trained, JSON.stringify(trained)).toMatchObject({ type: 'done', kind: 'train' });
      const run = getRun(ws, (trained as { result: TrainOutcome }).result.runId)!;
      expect(run.config).toMatchObject({ initRun: outcome.runId, initRunKind: 'pretrain' });
    } finally {
      ws.close();
    }
  }, 240_000);
});
