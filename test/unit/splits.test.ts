import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages, loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { saveMask } from '../../src/main/workspace/masks';
import { createExperiment, setExperimentCell } from '../../src/main/workspace/experiments';
import { MIGRATIONS } from '../../src/main/workspace/migrations';
import {
  assignSubset,
  createSplit,
  findSplit,
  latestSplitId,
  listSplits,
  miningUnlabeledIds,
  splitMembers,
  SplitError,
  trainingLabeledIds,
} from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 24);

async function workspaceWith(files: string[], masksFor: number): Promise<Workspace> {
  const ws = Workspace.open(join(tempDir('split'), 'ws'), { create: true });
  // Masks for the first `masksFor` names only, so some images have no ground truth at all.
  const withMask = new Set(names.slice(0, masksFor));
  for (const f of files) {
    await importImages(ws, { paths: [join(KVASIR_IMAGES, f)], masks: withMask.has(f) ? KVASIR_MASKS : undefined });
  }
  return ws;
}

function sourcesOf(ws: Workspace, splitId: number, subset: 'labeled' | 'unlabeled' | 'val' | 'test'): string[] {
  const byId = new Map(listImages(ws).images.map((i) => [i.id, i.sourcePath]));
  return splitMembers(ws, splitId, subset)
    .map((id) => byId.get(id)!)
    .sort();
}

describe('splits', () => {
  let forward: Workspace;
  let backward: Workspace;
  beforeAll(async () => {
    forward = await workspaceWith(names, 20);
    backward = await workspaceWith([...names].reverse(), 20);
  }, 120_000);
  afterAll(() => {
    forward.close();
    backward.close();
  });

  it('the same seed gives the same split whatever the import order', () => {
    const a = createSplit(forward, { labeled: 0.5, val: 0.2, test: 0.2, seed: 3 });
    const b = createSplit(backward, { labeled: 0.5, val: 0.2, test: 0.2, seed: 3 });
    for (const subset of ['labeled', 'unlabeled', 'val', 'test'] as const) {
      expect(sourcesOf(backward, b.id, subset)).toEqual(sourcesOf(forward, a.id, subset));
    }
  });

  it('puts images without ground truth in unlabeled only, and counts add up', () => {
    const s = createSplit(forward, { labeled: 0.5, val: 0.2, test: 0.2, seed: 1 });
    expect(s.counts.val).toBe(4);
    expect(s.counts.test).toBe(4);
    expect(s.counts.labeled).toBe(6);
    expect(s.counts.unlabeled).toBe(6 + 4);
    const noMask = listImages(forward)
      .images.filter((i) => !i.hasMask)
      .map((i) => i.id);
    expect(noMask.length).toBe(4);
    for (const id of noMask) expect(splitMembers(forward, s.id, 'unlabeled')).toContain(id);
  });

  it('counts a radiologist-reviewed unlabeled image as labeled, and stops mining it', () => {
    const s = createSplit(forward, { labeled: 0.5, val: 0.2, test: 0.2, seed: 5 });
    const unlabeled = splitMembers(forward, s.id, 'unlabeled');
    const reviewed = unlabeled.find((id) => loadMask(forward, id))!;
    expect(trainingLabeledIds(forward, s.id)).not.toContain(reviewed);
    saveMask(forward, reviewed, loadMask(forward, reviewed)!, 'promoted');
    expect(trainingLabeledIds(forward, s.id)).toContain(reviewed);
    expect(miningUnlabeledIds(forward, s.id)).not.toContain(reviewed);
    expect(miningUnlabeledIds(forward, s.id)).toHaveLength(unlabeled.length - 1);
  });

  it("an experiment's splits never become the workspace's current split, and its next grid reuses them", () => {
    const mine = createSplit(backward, { labeled: 0.5, val: 0.2, test: 0.2, seed: 11 });
    const exp = createExperiment(backward, 'grid', '{}');
    const cell = createSplit(backward, { labeled: 0.25, val: 0.1, test: 0.1, seed: 12 }, { experimentId: exp });
    expect(cell.id).toBeGreaterThan(mine.id);
    expect(latestSplitId(backward)).toBe(mine.id);
    expect(listSplits(backward).map((s) => s.id)).toContain(mine.id);
    expect(listSplits(backward).map((s) => s.id)).not.toContain(cell.id);
    expect(findSplit(backward, { labeled: 0.25, val: 0.1, test: 0.1, seed: 12 })).toBe(cell.id);
    expect(findSplit(backward, { labeled: 0.25, val: 0.1, test: 0.1, seed: 13 })).toBeNull();
    // An override edits (or copies) the radiologist's split, not the experiment's.
    const moved = splitMembers(backward, mine.id, 'val')[0]!;
    const after = assignSubset(backward, [moved], 'test');
    expect(after.id).toBe(mine.id);
    expect(splitMembers(backward, cell.id, 'test')).not.toContain(moved);
  });

  it('recognises the splits earlier experiments made when the workspace is migrated', () => {
    const ws = forward;
    const before = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.2, seed: 21 });
    const exp = createExperiment(ws, 'old-grid', '{}');
    // As an app without the column made them: the cells' own split, and the radiologist's reused.
    const made = createSplit(ws, { labeled: 0.75, val: 0.2, test: 0.2, seed: 21 });
    ws.db.prepare("UPDATE splits SET created_at = '2026-01-01T00:00:00.000Z' WHERE id = ?").run(before.id);
    ws.db.prepare("UPDATE experiments SET created_at = '2026-01-02T00:00:00.000Z' WHERE id = ?").run(exp);
    ws.db.prepare("UPDATE splits SET created_at = '2026-01-02T00:00:01.000Z' WHERE id = ?").run(made.id);
    setExperimentCell(ws, { experimentId: exp, seed: 21, ratio: 0.5, schedule: 'supervised' }, { splitId: before.id, runId: null });
    setExperimentCell(ws, { experimentId: exp, seed: 21, ratio: 0.75, schedule: 'supervised' }, { splitId: made.id, runId: null });
    ws.db.exec('ALTER TABLE splits DROP COLUMN experiment_id');
    ws.db.exec(MIGRATIONS.find((m) => m.includes('ALTER TABLE splits ADD COLUMN experiment_id'))!);
    expect(latestSplitId(ws)).toBe(before.id);
    expect(findSplit(ws, { labeled: 0.75, val: 0.2, test: 0.2, seed: 21 })).toBe(made.id);
  });

  it('refuses impossible ratios with a clear message', () => {
    expect(() => createSplit(forward, { labeled: 1.5, val: 0.1, test: 0.1, seed: 1 })).toThrow(SplitError);
    expect(() => createSplit(forward, { labeled: 0.5, val: 0.6, test: 0.4, seed: 1 })).toThrow(/leave images for training/);
  });
});
