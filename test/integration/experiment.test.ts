import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPERIMENT, runExperiment, type ExperimentSpec } from '../../src/main/mining/experiment';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const spec: ExperimentSpec = {
  ...DEFAULT_EXPERIMENT,
  name: 'tiny-grid',
  ratios: [1, 0.5],
  schedules: ['supervised', 'one-time'],
  seeds: 2,
  val: 0.2,
  test: 0.2,
  teacher: { kind: 'oracle' },
  prompts: { threshold: 0.3 },
  train: { ...TINY_STUDENT, maxEpochs: 1 },
};

describe('experiment grid (tiny student, oracle teacher)', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('experiment'), 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(30, 50)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: files, masks: KVASIR_MASKS });
  }, 120_000);
  afterAll(() => ws.close());

  it('resumes an interrupted grid, then writes the table, CSV and plot; a re-run redoes nothing', async () => {
    const controller = new AbortController();
    let cellsStarted = 0;
    await expect(
      runExperiment(ws, spec, {
        signal: controller.signal,
        onProgress: (p) => {
          // Interrupt inside the third cell (seed 1, 50 %, one-time), after its labelling began.
          if (p.phase === 'pseudo-labelling' && ++cellsStarted === 2) controller.abort();
        },
      }),
    ).rejects.toThrow();
    const runsBefore = (ws.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    expect(runsBefore).toBeGreaterThanOrEqual(2);

    const r = await runExperiment(ws, spec);
    const done = r.cells.filter((c) => c.status === 'done');
    expect(done).toHaveLength(6); // per seed: 100 % supervised, 50 % supervised, 50 % one-time
    expect(r.cells.filter((c) => c.status === 'skipped').map((c) => `${c.ratio}/${c.schedule}`)).toEqual(['1/one-time', '1/one-time']);
    // The two seeds used different splits; the ratios of one seed shared theirs' val/test.
    expect(new Set(done.map((c) => c.runId)).size).toBe(6);
    for (const c of done) {
      expect(c.testDice).toBeGreaterThanOrEqual(0);
      expect(c.testDice).toBeLessThanOrEqual(1);
    }
    expect(r.table.map((t) => `${t.ratio}/${t.schedule}/${t.runs}`)).toEqual(['1/supervised/2', '0.5/supervised/2', '0.5/one-time/2']);

    const md = readFileSync(r.files.markdown, 'utf8');
    expect(md).toMatch(/\| 50 % \| one-time \| 2 \| \d\.\d{3} ± \d\.\d{3} \| \d\.\d{3} ± \d\.\d{3} \|/);
    expect(md).toContain('oracle (evaluation tool, not a model)');
    expect(md).toContain(`scratch = fresh weights drawn by the "${spec.train.initScheme}" scheme`);
    expect(readFileSync(r.files.csv, 'utf8').split('\n')[0]).toBe('labeled_ratio,method,runs,iou_mean,iou_std,dice_mean,dice_std');
    expect(readFileSync(r.files.plot, 'utf8')).toContain('<polyline');

    // Every run of the grid is accounted for: interrupted work was resumed, not redone.
    const runsAfter = (ws.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    expect(runsAfter).toBe(6);
    const again = await runExperiment(ws, spec);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(6);
    expect(again.table).toEqual(r.table);
    expect(existsSync(r.files.plot)).toBe(true);
  }, 600_000);

  it('refuses to resume a grid with other settings', async () => {
    await expect(runExperiment(ws, { ...spec, seeds: 3 })).rejects.toThrow(/exists with other settings/);
  });
});
