import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPERIMENT, runExperiment } from '../../src/main/mining/experiment';
import { decodeWeights } from '../../src/main/student/checkpoint';
import { pretrainStudent, resumePretrain, type PretrainConfig } from '../../src/main/student/simclr';
import { trainStudent, TrainingInterrupted } from '../../src/main/student/train';
import { initWeights, paramSpecs, unetConfig } from '../../src/main/student/unetpp';
import { importImages } from '../../src/main/workspace/import';
import { bestWeightsBlob, getRun, readRunBlob, runMetrics } from '../../src/main/workspace/runs';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const TINY_PRETRAIN: Partial<PretrainConfig> = { size: 64, batch: 4, lr: 1e-3, maxEpochs: 8, model: TINY_STUDENT.model, device: 'cpu' };

describe('SimCLR pre-training (tiny student, Kvasir)', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('pretrain'), 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(60, 80)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: files, masks: KVASIR_MASKS });
    createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.2, seed: 1 });
  }, 120_000);
  afterAll(() => ws.close());

  it('lowers the NT-Xent loss, is cancelled and resumes as the same run, and its weights initialise a supervised run', async () => {
    const controller = new AbortController();
    let runId = 0;
    await expect(
      pretrainStudent(ws, TINY_PRETRAIN, {
        signal: controller.signal,
        onProgress: (p) => {
          runId = p.runId;
          if (p.phase === 'epoch-end' && p.epoch === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(TrainingInterrupted);
    expect(getRun(ws, runId)!.status).toBe('interrupted');
    expect(runMetrics(ws, runId).filter((m) => m.name === 'train_loss')).toHaveLength(3);

    const r = await resumePretrain(ws, runId);
    expect(r.runId).toBe(runId);
    expect(r.epochs).toBe(8);
    const losses = runMetrics(ws, runId)
      .filter((m) => m.name === 'train_loss')
      .map((m) => m.value);
    expect(losses).toHaveLength(8);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));

    // The encoder moved away from He initialisation; the decoder did not train.
    const run = getRun(ws, runId)!;
    expect(run.status).toBe('done');
    const cfg = unetConfig(TINY_STUDENT.model);
    const pre = decodeWeights(readRunBlob(ws, bestWeightsBlob(run)!), cfg).weights;
    const scratch = initWeights(cfg, 1);
    const changed = (name: string) => pre.get(name)!.some((v, i) => v !== scratch.get(name)![i]);
    expect(changed('encoder.conv1.weight')).toBe(true);
    expect(changed('encoder.layer4.0.conv2.weight')).toBe(true);
    expect(paramSpecs(cfg).filter((s) => s.name.startsWith('decoder.')).some((s) => changed(s.name))).toBe(false);

    const sup = await trainStudent(ws, { ...TINY_STUDENT, maxEpochs: 1, initRun: runId });
    const config = getRun(ws, sup.runId)!.config as { initRun: number; initRunKind: string; initWeightsSha256: string; initWeights: string };
    expect(config.initRun).toBe(runId);
    expect(config.initRunKind).toBe('pretrain');
    expect(config.initWeightsSha256).toBe(bestWeightsBlob(run));
    expect(readFileSync(config.initWeights).equals(readRunBlob(ws, bestWeightsBlob(run)!))).toBe(true);
  }, 120_000);

  it('experiment grid with an initialisation factor (scratch, SimCLR) and a prompt factor (box, points), oracle teacher', async () => {
    const r = await runExperiment(ws, {
      ...DEFAULT_EXPERIMENT,
      name: 'factors',
      ratios: [0.5],
      schedules: ['supervised', 'one-time'],
      seeds: 1,
      val: 0.2,
      test: 0.2,
      teacher: { kind: 'oracle' },
      train: { ...TINY_STUDENT, maxEpochs: 1 },
      inits: [{ kind: 'scratch' }, { kind: 'simclr', settings: { maxEpochs: 1, batch: 4 } }],
      promptSets: ['box', 'points'],
    });
    expect(r.table.map((t) => `${t.init}/${t.schedule}/${t.prompts}`)).toEqual([
      'scratch/supervised/—',
      'scratch/one-time/box',
      'scratch/one-time/points',
      'simclr/supervised/—',
      'simclr/one-time/box',
      'simclr/one-time/points',
    ]);
    const simclrSup = r.cells.find((c) => c.init === 'simclr' && c.schedule === 'supervised')!;
    const cfg = getRun(ws, simclrSup.runId!)!.config as { initRunKind: string };
    expect(cfg.initRunKind).toBe('pretrain');
    const boxRun = r.cells.find((c) => c.init === 'scratch' && c.prompts === 'box')!;
    const mining = (getRun(ws, boxRun.runId!)!.config as { mining: { prompts: { points: number; box: boolean } } }).mining;
    expect(mining.prompts).toMatchObject({ points: 0, box: true });
    expect(readFileSync(r.files.markdown, 'utf8')).toContain('| 50 % | simclr | one-time | points | 1 |');
  }, 180_000);
});
