import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mineSettings, mineStudent } from '../../src/main/mining/mine';
import { trainStudent } from '../../src/main/student/train';
import { importImages } from '../../src/main/workspace/import';
import { listRuns } from '../../src/main/workspace/runs';
import { createSplit, miningUnlabeledIds } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 16);

/** Kvasir images, the first `withTruth` of them with their masks, the rest imported without any. */
async function workspaceWith(withTruth: number): Promise<Workspace> {
  const ws = Workspace.open(join(tempDir('oracle-mining'), 'ws'), { create: true });
  await importImages(ws, { paths: names.slice(0, withTruth).map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
  await importImages(ws, { paths: names.slice(withTruth).map((f) => join(KVASIR_IMAGES, f)) });
  return ws;
}

describe('oracle mining in a workspace with unlabeled images that have no hidden ground truth', () => {
  let ws: Workspace;
  let baseRunId: number;
  let unlabeled: number[];
  beforeAll(async () => {
    ws = await workspaceWith(12);
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.1, seed: 1 });
    unlabeled = miningUnlabeledIds(ws, split.id);
    baseRunId = (await trainStudent(ws, { ...TINY_STUDENT, splitId: split.id })).runId;
  }, 120_000);
  afterAll(() => ws.close());

  it('skips them, reports how many, and finishes the run', async () => {
    const messages: string[] = [];
    const r = await mineStudent(
      ws,
      mineSettings({ schedule: 'one-time', teacher: { kind: 'oracle' }, baseRunId, train: TINY_STUDENT, prompts: { threshold: 0.3 } }),
      { onProgress: (p) => messages.push(p.message) },
    );
    expect(r.pseudoLabels.skipped).toBe(4);
    expect(r.pseudoLabels.images).toBeLessThanOrEqual(unlabeled.length - 4);
    expect(listRuns(ws).find((run) => run.id === r.run.runId)?.status).toBe('done');
    expect(messages.some((m) => /4 unlabeled image\(s\) without hidden ground truth skipped/.test(m))).toBe(true);
  }, 300_000);

  it('a mining run that fails midway is left interrupted (resumable), never "running"', async () => {
    const before = new Set(listRuns(ws).map((r) => r.id));
    // A teacher that is not there fails at the first image it is asked about.
    await expect(
      mineStudent(ws, mineSettings({ schedule: 'one-time', teacher: { kind: 'sam', modelId: 999 }, baseRunId, train: TINY_STUDENT })),
    ).rejects.toThrow(/no teacher model with id 999/);
    const failed = listRuns(ws).filter((r) => !before.has(r.id));
    expect(failed.map((r) => [r.kind, r.status])).toEqual([['mining-one-time', 'interrupted']]);
  }, 120_000);
});

describe('oracle mining where no unlabeled image has hidden ground truth', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspaceWith(12);
  }, 120_000);
  afterAll(() => ws.close());

  it('is refused before any run starts, saying why', async () => {
    // Every image with ground truth is labeled, validation or test: the unlabeled ones have none.
    createSplit(ws, { labeled: 1, val: 0.2, test: 0.1, seed: 1 });
    const runsBefore = listRuns(ws).length;
    await expect(
      mineStudent(ws, mineSettings({ schedule: 'one-time', teacher: { kind: 'oracle' }, train: TINY_STUDENT })),
    ).rejects.toThrow(/evaluation tool that answers with hidden ground truth, and none of the 4 unlabeled image\(s\)/);
    expect(listRuns(ws).length).toBe(runsBefore);
  }, 120_000);
});
