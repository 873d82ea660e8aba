import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainStudent } from '../../src/main/student/train';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { getRun } from '../../src/main/workspace/runs';
import { assignSubset, createSplit, latestSplitId, splitMembers, SplitError } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 14);

describe('split overrides (per image and multi-select)', () => {
  let ws: Workspace;
  let withTruth: number[];
  let withoutTruth: number[];
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('split-overrides'), 'ws'), { create: true });
    await importImages(ws, { paths: names.slice(0, 12).map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    await importImages(ws, { paths: names.slice(12).map((f) => join(KVASIR_IMAGES, f)) });
    const images = listImages(ws).images;
    withTruth = images.filter((i) => i.hasMask).map((i) => i.id);
    withoutTruth = images.filter((i) => !i.hasMask).map((i) => i.id);
  }, 120_000);
  afterAll(() => ws.close());

  it('moves the selected images into the chosen subset of the latest split, and the counts follow', () => {
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.2, seed: 1 });
    const [a, b] = splitMembers(ws, split.id, 'labeled');
    const moved = assignSubset(ws, [a!, b!], 'test');
    expect(moved.id).toBe(split.id); // no run used it yet: edited in place
    expect(splitMembers(ws, split.id, 'test')).toEqual(expect.arrayContaining([a, b]));
    expect(moved.counts.test).toBe(split.counts.test + 2);
    expect(moved.counts.labeled).toBe(split.counts.labeled - 2);
    const byId = new Map(listImages(ws).images.map((i) => [i.id, i.split]));
    expect(byId.get(a!)).toBe('test');
    const single = assignSubset(ws, [a!], 'val');
    expect(single.counts.val).toBe(moved.counts.val + 1);
  });

  it('refuses validation, test or labeled for images without ground truth, by count', () => {
    expect(() => assignSubset(ws, [withoutTruth[0]!, withTruth[0]!], 'val')).toThrow(SplitError);
    expect(() => assignSubset(ws, [withoutTruth[0]!, withTruth[0]!], 'labeled')).toThrow(/1 of the 2 selected image\(s\) have no ground truth/);
    expect(() => assignSubset(ws, [withoutTruth[0]!], 'test')).toThrow(`image ${withoutTruth[0]} has no ground truth, so it can only be unlabeled`);
    expect(assignSubset(ws, withoutTruth, 'unlabeled').counts.unlabeled).toBeGreaterThanOrEqual(withoutTruth.length);
  });

  it('never edits a split a run trained on: the override goes into a new latest split', async () => {
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.2, seed: 2 });
    const run = await trainStudent(ws, { ...TINY_STUDENT, maxEpochs: 1, splitId: split.id });
    const before = splitMembers(ws, split.id, 'labeled');
    const moved = assignSubset(ws, [before[0]!], 'unlabeled');
    expect(moved.id).not.toBe(split.id);
    expect(latestSplitId(ws)).toBe(moved.id);
    expect(splitMembers(ws, split.id, 'labeled')).toEqual(before);
    expect(splitMembers(ws, moved.id, 'unlabeled')).toContain(before[0]);
    expect(moved).toMatchObject({ seed: 2, labeled: 0.5, val: 0.2, test: 0.2 });
    expect(getRun(ws, run.runId)!.splitId).toBe(split.id);
  }, 120_000);

  it('needs a split to override', () => {
    const empty = Workspace.open(join(tempDir('split-overrides-empty'), 'ws'), { create: true });
    try {
      expect(() => assignSubset(empty, [1], 'val')).toThrow(/make one first \(Images tab/);
    } finally {
      empty.close();
    }
  });
});
