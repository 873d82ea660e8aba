import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMining } from '../../src/main/jobs/training-jobs';
import { mineSettings } from '../../src/main/mining/mine';
import { trainStudent } from '../../src/main/student/train';
import { importImages } from '../../src/main/workspace/import';
import { createSplit, miningUnlabeledIds } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import type { JobProgress } from '../../src/shared/contract';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

/** One-time mining used to show "starting…" and an empty bar until the teacher pass ended. */
describe('a mining job reports from its first second', () => {
  let ws: Workspace;
  let baseRunId: number;
  let unlabeled: number[];
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('mining-progress'), 'ws'), { create: true });
    const names = readdirSync(KVASIR_IMAGES).sort().slice(60, 76);
    await importImages(ws, { paths: names.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    const split = createSplit(ws, { labeled: 0.4, val: 0.2, test: 0.1, seed: 2 });
    unlabeled = miningUnlabeledIds(ws, split.id);
    baseRunId = (await trainStudent(ws, { ...TINY_STUDENT, maxEpochs: 1, splitId: split.id })).runId;
  }, 120_000);
  afterAll(() => ws.close());

  it('sends its first events within seconds, and the teacher pass image by image with phase, done/total and its run', async () => {
    const seen: (JobProgress & { at: number })[] = [];
    const t0 = Date.now();
    await runMining(
      ws,
      { settings: mineSettings({ schedule: 'one-time', teacher: { kind: 'oracle' }, baseRunId, train: { ...TINY_STUDENT, maxEpochs: 1 }, prompts: { threshold: 0.3 } }) },
      { onProgress: (p) => seen.push({ ...p, at: Date.now() - t0 }) },
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.at).toBeLessThan(3000);
    expect(seen[0]!.runId).not.toBeNull(); // the run exists from the first event: the history can show it

    const pass = seen.filter((p) => p.phase === 'pseudo-labelling');
    expect(pass.map((p) => p.done)).toEqual(Array.from({ length: unlabeled.length + 1 }, (_, i) => i));
    for (const p of pass) {
      expect(p.total).toBe(unlabeled.length);
      expect(p.runId).toBe(seen[0]!.runId);
    }
    expect(pass[0]!.at).toBeLessThan(3000);
    expect(pass[0]!.message).toMatch(/^teacher pass: loading the supervised student \(run \d+\)/);
    expect(pass[1]!.message).toMatch(new RegExp(`^teacher pass: image 1/${unlabeled.length} \\(#\\d+\\) · (oracle|no prompt)`));
    // No silent stretch: every image of the pass is reported as soon as it is answered.
    for (let i = 1; i < pass.length; i++) expect(pass[i]!.at - pass[i - 1]!.at).toBeLessThan(3000);
    expect(pass.at(-1)!.eta).toBe(0);

    // The training on pseudo-labels reports batch by batch under its own phase, and ends with an epoch's numbers.
    const mining = seen.filter((p) => p.phase === 'mining');
    expect(mining.length).toBeGreaterThan(1);
    expect(mining.some((p) => p.metrics !== null && /best validation Dice \d\.\d{3} \(epoch 1\)/.test(p.message))).toBe(true);
  }, 300_000);
});
