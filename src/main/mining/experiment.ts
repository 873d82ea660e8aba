import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatMeanStd, summarize, type Summary } from '../metrics/metrics';
import { resumeStudent, trainStudent, type TrainProgress, type TrainResult, type TrainConfig } from '../student/train';
import type { PromptSettings } from '../teacher/prompts';
import { writeFileAtomic } from '../util/atomic-write';
import { createSplit, listSplits } from '../workspace/splits';
import { createExperiment, experimentCell, findExperiment, setExperimentCell, type CellKey } from '../workspace/experiments';
import { getRun, runMetrics } from '../workspace/runs';
import type { Workspace } from '../workspace/workspace';
import { DEFAULT_PSEUDO_WEIGHT, mineSettings, mineStudent, resumeMining, type MineProgress, type MineResult } from './mine';
import type { TeacherSpec } from './teachers';
import { lineChartSvg } from './svg-chart';
import { RemedyError } from '../util/errors';

export type Method = 'supervised' | 'one-time' | 'continuous';

export interface ExperimentSpec {
  name: string;
  ratios: number[]; // labeled fractions of the training images, e.g. [1, 0.75, 0.5]
  schedules: Method[];
  seeds: number; // seeds 1…n: each seed its own split (same val/test for every ratio of that seed)
  val: number;
  test: number;
  teacher: TeacherSpec;
  pseudoWeight: number;
  prompts: Partial<PromptSettings>;
  train: Partial<TrainConfig>;
}

export interface CellResult {
  seed: number;
  ratio: number;
  schedule: Method;
  runId: number | null;
  status: 'done' | 'skipped';
  reason?: string;
  testIou: number | null;
  testDice: number | null;
}

export interface ExperimentResult {
  name: string;
  cells: CellResult[];
  table: { ratio: number; schedule: Method; runs: number; iou: Summary; dice: Summary }[];
  files: { markdown: string; csv: string; plot: string };
}

function experimentId(ws: Workspace, spec: ExperimentSpec): number {
  const row = findExperiment(ws, spec.name);
  if (row) {
    // Resuming is only honest with the grid it started with.
    if (row.spec !== JSON.stringify(spec)) {
      throw new RemedyError(`experiment "${spec.name}" exists with other settings`, {
        cli: 'resume it with the same options or choose another --name',
        app: 'resume it with the same settings or give the experiment another name',
      });
    }
    return row.id;
  }
  return createExperiment(ws, spec.name, JSON.stringify(spec));
}

function splitFor(ws: Workspace, spec: ExperimentSpec, seed: number, ratio: number): number {
  const same = listSplits(ws).find((s) => s.seed === seed && s.labeled === ratio && s.val === spec.val && s.test === spec.test);
  return same ? same.id : createSplit(ws, { labeled: ratio, val: spec.val, test: spec.test, seed }).id;
}

function runStatus(ws: Workspace, runId: number): string | null {
  return getRun(ws, runId)?.status ?? null;
}

function runTest(ws: Workspace, runId: number): { iou: number; dice: number } | null {
  const test = (getRun(ws, runId)!.result as Pick<TrainResult, 'test'> | null)?.test ?? null;
  return test ? { iou: test.iou.mean, dice: test.dice.mean } : null;
}

/**
 * Runs the grid cell by cell (for each seed and ratio: supervised first, then the mining schedules
 * starting from that supervised run), recording each cell's run as soon as it exists. Re-running
 * the same experiment skips finished cells and resumes an interrupted one from its checkpoint.
 */
export async function runExperiment(
  ws: Workspace,
  spec: ExperimentSpec,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress & { cell: string }) => void } = {},
): Promise<ExperimentResult> {
  const expId = experimentId(ws, spec);
  const cells: CellResult[] = [];
  const methods: Method[] = ['supervised', ...spec.schedules.filter((m) => m !== 'supervised')];

  for (let seed = 1; seed <= spec.seeds; seed++) {
    for (const ratio of spec.ratios) {
      const splitId = splitFor(ws, spec, seed, ratio);
      let baseRunId: number | null = null;
      for (const schedule of methods) {
        opts.signal?.throwIfAborted();
        const key: CellKey = { experimentId: expId, seed, ratio, schedule };
        const cell = `seed ${seed}, ${Math.round(ratio * 100)} % labeled, ${schedule}`;
        const progress = (p: MineProgress) => {
          const runId = p.detail?.run_id;
          if (typeof runId === 'number' && (p.phase === 'supervised' || p.phase === 'mining'))
            setExperimentCell(ws, key, { splitId, runId });
          opts.onProgress?.({ ...p, cell });
        };
        if (schedule !== 'supervised' && ratio >= 1) {
          cells.push({
            seed,
            ratio,
            schedule,
            runId: null,
            status: 'skipped',
            reason: 'no unlabeled images at 100 % labeled',
            testIou: null,
            testDice: null,
          });
          continue;
        }
        let runId = experimentCell(ws, key)?.runId ?? null;
        const status = runId ? runStatus(ws, runId) : null;
        if (status !== 'done') {
          if (schedule === 'supervised') {
            const onProgress = (p: TrainProgress) =>
              progress({
                phase: 'supervised',
                done: p.epoch,
                total: p.maxEpochs,
                message: `epoch ${p.epoch}`,
                detail: { run_id: p.runId, epoch: p.epoch, batch: p.batch, batches: p.batches, ...(p.metrics ?? {}) },
              });
            const r: TrainResult = runId
              ? await resumeStudent(ws, runId, { signal: opts.signal, onProgress })
              : await trainStudent(ws, { ...spec.train, seed, splitId }, { signal: opts.signal, onProgress });
            runId = r.runId;
          } else {
            const r: MineResult = runId
              ? await resumeMining(ws, runId, { signal: opts.signal, onProgress: progress })
              : await mineStudent(
                  ws,
                  mineSettings({
                    schedule,
                    teacher: spec.teacher,
                    baseRunId,
                    pseudoWeight: spec.pseudoWeight,
                    prompts: spec.prompts,
                    train: { ...spec.train, seed, splitId },
                  }),
                  { signal: opts.signal, onProgress: progress },
                );
            runId = r.run.runId;
          }
          setExperimentCell(ws, key, { splitId, runId });
        }
        if (schedule === 'supervised') baseRunId = runId;
        const test = runTest(ws, runId!);
        cells.push({ seed, ratio, schedule, runId, status: 'done', testIou: test?.iou ?? null, testDice: test?.dice ?? null });
      }
    }
  }
  return { name: spec.name, cells, ...writeReport(ws, spec, cells) };
}

function writeReport(ws: Workspace, spec: ExperimentSpec, cells: CellResult[]): Omit<ExperimentResult, 'name' | 'cells'> {
  const table: ExperimentResult['table'] = [];
  const methods: Method[] = ['supervised', ...spec.schedules.filter((m) => m !== 'supervised')];
  for (const ratio of spec.ratios) {
    for (const schedule of methods) {
      const done = cells.filter((c) => c.ratio === ratio && c.schedule === schedule && c.status === 'done' && c.testDice !== null);
      if (done.length === 0) continue;
      table.push({
        ratio,
        schedule,
        runs: done.length,
        iou: summarize(done.map((c) => c.testIou!)),
        dice: summarize(done.map((c) => c.testDice!)),
      });
    }
  }
  const dir = join(ws.root, 'experiments', spec.name.replace(/[^A-Za-z0-9_.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const teacher =
    spec.teacher.kind === 'sam'
      ? `SAM-family model ${spec.teacher.modelId ?? '(latest)'}`
      : `${spec.teacher.kind} (evaluation tool, not a model)`;
  const md = [
    `# Experiment "${spec.name}"`,
    '',
    `Test split, mean ± sample std over ${spec.seeds} seed(s); each seed has its own split (val ${spec.val}, test ${spec.test}), shared by every ratio and method. Teacher: ${teacher}. Pseudo-label weight ${spec.pseudoWeight}.`,
    '',
    'Mining rows start from the supervised run of the same ratio and seed (its best weights) and train the same number of epochs again on labeled + pseudo-labeled images: compare them with a supervised run given that budget too.',
    '',
    '| Labeled | Method | Runs | IoU | Dice |',
    '| --- | --- | --- | --- | --- |',
    ...table.map(
      (r) => `| ${Math.round(r.ratio * 100)} % | ${r.schedule} | ${r.runs} | ${formatMeanStd(r.iou)} | ${formatMeanStd(r.dice)} |`,
    ),
    '',
    'Settings: `' + JSON.stringify({ train: spec.train, prompts: spec.prompts }) + '`',
    '',
  ].join('\n');
  const csv = [
    'labeled_ratio,method,runs,iou_mean,iou_std,dice_mean,dice_std',
    ...table.map((r) => [r.ratio, r.schedule, r.runs, r.iou.mean, r.iou.std, r.dice.mean, r.dice.std].join(',')),
    '',
    'seed,labeled_ratio,method,run_id,status,test_iou,test_dice',
    ...cells.map((c) => [c.seed, c.ratio, c.schedule, c.runId ?? '', c.status, c.testIou ?? '', c.testDice ?? ''].join(',')),
  ].join('\n');
  const series = table.map((r) => {
    const runIds = cells.filter((c) => c.ratio === r.ratio && c.schedule === r.schedule && c.runId).map((c) => c.runId!);
    const byEpoch = new Map<number, number[]>();
    for (const id of runIds) {
      // A mining run continues its supervised base: plot it after the base's epochs.
      const config = getRun(ws, id)!.config as { baseRunId?: number };
      const offset = config.baseRunId ? runMetrics(ws, config.baseRunId).reduce((e, m) => Math.max(e, m.epoch), 0) : 0;
      for (const m of runMetrics(ws, id).filter((p) => p.name === 'val_dice')) {
        byEpoch.set(m.epoch + offset, [...(byEpoch.get(m.epoch + offset) ?? []), m.value]);
      }
    }
    const points = [...byEpoch].sort((a, b) => a[0] - b[0]).map(([x, ys]) => ({ x, y: ys.reduce((a, b) => a + b, 0) / ys.length }));
    return { label: `${Math.round(r.ratio * 100)} % ${r.schedule}`, points };
  });
  const files = { markdown: join(dir, 'results.md'), csv: join(dir, 'results.csv'), plot: join(dir, 'val-dice.svg') };
  writeFileAtomic(files.markdown, Buffer.from(md));
  writeFileAtomic(files.csv, Buffer.from(csv + '\n'));
  writeFileAtomic(
    files.plot,
    Buffer.from(
      lineChartSvg({
        title: `Validation Dice per epoch — ${spec.name} (mean over seeds; mining continues its supervised run)`,
        xLabel: 'epoch',
        yLabel: 'val Dice',
        series,
      }),
    ),
  );
  return { table, files };
}

export const DEFAULT_EXPERIMENT: Omit<ExperimentSpec, 'name' | 'teacher'> = {
  ratios: [1, 0.75, 0.5],
  schedules: ['supervised', 'one-time', 'continuous'],
  seeds: 3,
  val: 0.1,
  test: 0.1,
  pseudoWeight: DEFAULT_PSEUDO_WEIGHT,
  prompts: {},
  train: {},
};
