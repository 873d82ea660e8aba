import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatMeanStd, summarize, type Summary } from '../metrics/metrics';
import { DEFAULT_PRETRAIN, pretrainStudent, resumePretrain, type PretrainConfig, type PretrainProgress } from '../student/simclr';
import { resolveSettings, resumeStudent, trainStudent, type TrainProgress, type TrainResult, type TrainConfig } from '../student/train';
import type { PromptSettings } from '../teacher/prompts';
import { writeFileAtomic } from '../util/atomic-write';
import { createSplit, findSplit } from '../workspace/splits';
import { createExperiment, experimentCell, findExperiment, setExperimentCell, type CellKey } from '../workspace/experiments';
import { getRun, runMetrics } from '../workspace/runs';
import type { Workspace } from '../workspace/workspace';
import { DEFAULT_PSEUDO_WEIGHT, mineSettings, mineStudent, resumeMining, type MineProgress, type MineResult } from './mine';
import type { TeacherSpec } from './teachers';
import { lineChartSvg } from './svg-chart';
import { RemedyError } from '../util/errors';

export type Method = 'supervised' | 'one-time' | 'continuous';

/**
 * Where a cell's student starts (the paper's Table 1 "+ SimCLR" rows): fresh weights (the settings' init scheme), SimCLR
 * pre-training made by the grid (one run per seed on that seed's training images, labeled and
 * unlabeled, with these settings on top of the grid's model and size), a finished run, or a
 * student weights file.
 */
export type InitFactor =
  | { kind: 'scratch' }
  | { kind: 'simclr'; settings?: Partial<PretrainConfig> }
  | { kind: 'run'; runId: number }
  | { kind: 'weights'; path: string };

/** The paper's prompt ablation (its Table 3), as named prompt settings on top of the grid's `prompts`. */
export const PROMPT_PRESETS = {
  points: { box: false },
  box: { points: 0 },
  both: { box: true },
  mask: { box: true, maskPrompt: true },
} as const satisfies Record<string, Partial<PromptSettings>>;
export type PromptPreset = keyof typeof PROMPT_PRESETS;

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
  /** Factors besides ratios × schedules × seeds; absent: scratch, `teacher`, `prompts` as given. */
  inits?: InitFactor[];
  teachers?: TeacherSpec[];
  promptSets?: PromptPreset[];
}

export interface CellResult {
  seed: number;
  ratio: number;
  schedule: Method;
  /** Factor labels ("scratch", "simclr", "run 4", "file w.bin"; "oracle", "model 2"; "box"); "—" where a factor does not apply. */
  init: string;
  teacher: string;
  prompts: string;
  runId: number | null;
  status: 'done' | 'skipped';
  reason?: string;
  testIou: number | null;
  testDice: number | null;
}

export interface ExperimentResult {
  name: string;
  cells: CellResult[];
  table: { ratio: number; init: string; schedule: Method; teacher: string; prompts: string; runs: number; iou: Summary; dice: Summary }[];
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

function splitFor(ws: Workspace, spec: ExperimentSpec, expId: number, seed: number, ratio: number): number {
  const req = { labeled: ratio, val: spec.val, test: spec.test, seed };
  return findSplit(ws, req) ?? createSplit(ws, req, { experimentId: expId }).id;
}

function runStatus(ws: Workspace, runId: number): string | null {
  return getRun(ws, runId)?.status ?? null;
}

function runTest(ws: Workspace, runId: number): { iou: number; dice: number } | null {
  const test = (getRun(ws, runId)!.result as Pick<TrainResult, 'test'> | null)?.test ?? null;
  return test ? { iou: test.iou.mean, dice: test.dice.mean } : null;
}

export function initLabel(init: InitFactor): string {
  if (init.kind === 'run') return `run ${init.runId}`;
  if (init.kind === 'weights') return `file ${basename(init.path)}`;
  return init.kind;
}

export function teacherLabel(t: TeacherSpec): string {
  return t.kind === 'sam' ? `model ${t.modelId ?? 'latest'}` : t.kind;
}

/** The grid's factors with their defaults: the spec of a grid without them stays what it was. */
function factors(spec: ExperimentSpec) {
  return {
    inits: spec.inits ?? [{ kind: 'scratch' } as InitFactor],
    teachers: spec.teachers ?? [spec.teacher],
    promptSets: spec.promptSets ?? [null],
  };
}

/** A cell's key in the store: the schedule, with the factors the spec names (a grid without factors keeps its old keys). */
function cellName(spec: ExperimentSpec, schedule: string, init: string, teacher: string | null, prompts: string | null): string {
  const parts = [schedule];
  if (spec.inits) parts.push(`init=${init}`);
  if (teacher !== null && spec.teachers) parts.push(`teacher=${teacher}`);
  if (prompts !== null && spec.promptSets) parts.push(`prompts=${prompts}`);
  return parts.join('|');
}

/**
 * Runs the grid cell by cell: for each seed and ratio and initialisation, supervised first, then
 * each teacher × prompt setting × mining schedule starting from that supervised run; a SimCLR
 * initialisation is pre-trained once per seed before the seed's first cell. Each cell's run is
 * recorded as soon as it exists; re-running the same experiment skips finished cells and resumes an
 * interrupted one from its checkpoint.
 */
export async function runExperiment(
  ws: Workspace,
  spec: ExperimentSpec,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress & { cell: string }) => void } = {},
): Promise<ExperimentResult> {
  const expId = experimentId(ws, spec);
  const cells: CellResult[] = [];
  const methods: Method[] = ['supervised', ...spec.schedules.filter((m) => m !== 'supervised')];
  const { inits, teachers, promptSets } = factors(spec);

  for (let seed = 1; seed <= spec.seeds; seed++) {
    const initRuns = new Map<InitFactor, number | null>();
    for (const init of inits) initRuns.set(init, await initRunFor(ws, spec, expId, seed, init, opts));
    for (const ratio of spec.ratios) {
      const splitId = splitFor(ws, spec, expId, seed, ratio);
      for (const init of inits) {
        const il = initLabel(init);
        const startFrom: Partial<TrainConfig> =
          init.kind === 'weights' ? { initWeights: init.path } : initRuns.get(init) != null ? { initRun: initRuns.get(init)! } : {};
        let baseRunId: number | null = null;
        for (const schedule of methods) {
          const combos =
            schedule === 'supervised'
              ? [{ teacher: null, preset: null }]
              : teachers.flatMap((teacher) => promptSets.map((preset) => ({ teacher, preset })));
          for (const { teacher, preset } of combos) {
            opts.signal?.throwIfAborted();
            const tl = teacher ? teacherLabel(teacher) : null;
            const pl = schedule === 'supervised' ? null : (preset ?? 'grid');
            const key: CellKey = { experimentId: expId, seed, ratio, schedule: cellName(spec, schedule, il, tl, pl) };
            const factorsText = [spec.inits ? il : '', spec.teachers && tl ? tl : '', spec.promptSets && preset ? `${preset} prompts` : '']
              .filter(Boolean)
              .join(', ');
            const cell = `seed ${seed}, ${Math.round(ratio * 100)} % labeled, ${schedule}${factorsText ? `, ${factorsText}` : ''}`;
            const labels = { init: il, teacher: tl ?? '—', prompts: schedule === 'supervised' ? '—' : (preset ?? 'grid') };
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
                ...labels,
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
                    train: p,
                  });
                const r: TrainResult = runId
                  ? await resumeStudent(ws, runId, { signal: opts.signal, onProgress })
                  : await trainStudent(ws, { ...spec.train, ...startFrom, seed, splitId }, { signal: opts.signal, onProgress });
                runId = r.runId;
              } else {
                const r: MineResult = runId
                  ? await resumeMining(ws, runId, { signal: opts.signal, onProgress: progress })
                  : await mineStudent(
                      ws,
                      mineSettings({
                        schedule,
                        teacher: teacher!,
                        baseRunId,
                        pseudoWeight: spec.pseudoWeight,
                        prompts: { ...spec.prompts, ...(preset ? PROMPT_PRESETS[preset] : {}) },
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
            cells.push({ seed, ratio, schedule, ...labels, runId, status: 'done', testIou: test?.iou ?? null, testDice: test?.dice ?? null });
          }
        }
      }
    }
  }
  return { name: spec.name, cells, ...writeReport(ws, spec, cells) };
}

/**
 * The run an initialisation starts from for one seed: a given run as it is, or the grid's own
 * SimCLR run of that seed (pre-trained, or resumed, on the training images of the seed's split at
 * the grid's first ratio — every ratio of a seed shares those images). Scratch and files need none.
 */
async function initRunFor(
  ws: Workspace,
  spec: ExperimentSpec,
  expId: number,
  seed: number,
  init: InitFactor,
  opts: { signal?: AbortSignal; onProgress?: (p: MineProgress & { cell: string }) => void },
): Promise<number | null> {
  if (init.kind === 'run') return init.runId;
  if (init.kind !== 'simclr') return null;
  const splitId = splitFor(ws, spec, expId, seed, spec.ratios[0]!);
  const key: CellKey = { experimentId: expId, seed, ratio: 0, schedule: `pretrain|init=${initLabel(init)}` };
  const cell = `seed ${seed}, SimCLR pre-training`;
  const onProgress = (p: PretrainProgress) => {
    if (p.phase === 'prepare' && p.batch === 0) setExperimentCell(ws, key, { splitId, runId: p.runId });
    opts.onProgress?.({ phase: 'supervised', done: p.epoch, total: p.maxEpochs, message: `pre-training epoch ${p.epoch}`, detail: { run_id: p.runId }, cell });
  };
  const existing = experimentCell(ws, key)?.runId ?? null;
  if (existing !== null && runStatus(ws, existing) === 'done') return existing;
  const t = spec.train;
  const settings: Partial<PretrainConfig> = {
    ...(t.size !== undefined ? { size: t.size } : {}),
    ...(t.model ? { model: { ...DEFAULT_PRETRAIN.model, ...t.model } } : {}),
    ...(t.device ? { device: t.device } : {}),
    ...(init.settings ?? {}),
    seed,
    splitId,
  };
  const r =
    existing !== null
      ? await resumePretrain(ws, existing, { signal: opts.signal, onProgress })
      : await pretrainStudent(ws, settings, { signal: opts.signal, onProgress });
  setExperimentCell(ws, key, { splitId, runId: r.runId });
  return r.runId;
}

function writeReport(ws: Workspace, spec: ExperimentSpec, cells: CellResult[]): Omit<ExperimentResult, 'name' | 'cells'> {
  const table: ExperimentResult['table'] = [];
  // Rows as the paper's tables: by labeled share, then initialisation, then method (teacher, prompts).
  const rowKey = (c: CellResult) => [c.ratio, c.init, c.schedule, c.teacher, c.prompts].join('\u0000');
  // Cells come seed by seed in that order, so the first seed's order is the table's.
  const keys = [...new Set(cells.map(rowKey))];
  for (const k of keys) {
    const done = cells.filter((c) => rowKey(c) === k && c.status === 'done' && c.testDice !== null);
    if (done.length === 0) continue;
    const c = done[0]!;
    table.push({
      ratio: c.ratio,
      init: c.init,
      schedule: c.schedule,
      teacher: c.teacher,
      prompts: c.prompts,
      runs: done.length,
      iou: summarize(done.map((x) => x.testIou!)),
      dice: summarize(done.map((x) => x.testDice!)),
    });
  }
  // The method column always; a factor's column only when the grid names that factor (older grids keep their table).
  type Row = Pick<CellResult, 'init' | 'schedule' | 'teacher' | 'prompts'>;
  const cols: { title: string; csv: string; of: (r: Row) => string }[] = [
    ...(spec.inits ? [{ title: 'Init', csv: 'init', of: (r: Row) => r.init }] : []),
    { title: 'Method', csv: 'method', of: (r: Row) => r.schedule },
    ...(spec.teachers ? [{ title: 'Teacher', csv: 'teacher', of: (r: Row) => r.teacher }] : []),
    ...(spec.promptSets ? [{ title: 'Prompts', csv: 'prompts', of: (r: Row) => r.prompts }] : []),
  ];
  const dir = join(ws.root, 'experiments', spec.name.replace(/[^A-Za-z0-9_.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const teacher = factors(spec)
    .teachers.map((t) => (t.kind === 'sam' ? `SAM-family model ${t.modelId ?? '(latest)'}` : `${t.kind} (evaluation tool, not a model)`))
    .join(', ');
  const md = [
    `# Experiment "${spec.name}"`,
    '',
    `Test split, mean ± sample std over ${spec.seeds} seed(s); each seed has its own split (val ${spec.val}, test ${spec.test}), shared by every ratio and method. Teacher: ${teacher}. Pseudo-label weight ${spec.pseudoWeight}.`,
    '',
    `Init: scratch = fresh weights drawn by the "${resolveSettings(spec.train).initScheme}" scheme; simclr = SimCLR pre-training of the encoder per seed on that seed's training images (labeled and unlabeled); run N / file F = those weights. Prompts (the paper's Table 3): points = points only, box = box only, both = points and box, mask = both with the mask prompt, grid = the grid's prompt settings.`,
    '',
    'Mining rows start from the supervised run of the same ratio and seed (its best weights) and train the same number of epochs again on labeled + pseudo-labeled images: compare them with a supervised run given that budget too.',
    '',
    `| Labeled |${cols.map((c) => ` ${c.title} |`).join('')} Runs | IoU | Dice |`,
    `| --- |${cols.map(() => ' --- |').join('')} --- | --- | --- |`,
    ...table.map(
      (r) => `| ${Math.round(r.ratio * 100)} % |${cols.map((c) => ` ${c.of(r)} |`).join('')} ${r.runs} | ${formatMeanStd(r.iou)} | ${formatMeanStd(r.dice)} |`,
    ),
    '',
    'Settings: `' + JSON.stringify({ train: spec.train, prompts: spec.prompts, inits: spec.inits, promptSets: spec.promptSets }) + '`',
    '',
  ].join('\n');
  const csv = [
    ['labeled_ratio', ...cols.map((c) => c.csv), 'runs,iou_mean,iou_std,dice_mean,dice_std'].join(','),
    ...table.map((r) => [r.ratio, ...cols.map((c) => csvText(c.of(r))), r.runs, r.iou.mean, r.iou.std, r.dice.mean, r.dice.std].join(',')),
    '',
    ['seed,labeled_ratio', ...cols.map((c) => c.csv), 'run_id,status,test_iou,test_dice'].join(','),
    ...cells.map((c) => [c.seed, c.ratio, ...cols.map((k) => csvText(k.of(c))), c.runId ?? '', c.status, c.testIou ?? '', c.testDice ?? ''].join(',')),
  ].join('\n');
  const series = table.map((r) => {
    const runIds = cells
      .filter((c) => c.ratio === r.ratio && c.schedule === r.schedule && c.init === r.init && c.teacher === r.teacher && c.prompts === r.prompts && c.runId)
      .map((c) => c.runId!);
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
    const extra = [spec.inits ? r.init : '', spec.teachers && r.teacher !== '—' ? r.teacher : '', spec.promptSets && r.prompts !== '—' ? r.prompts : '']
      .filter(Boolean)
      .join(' ');
    return { label: `${Math.round(r.ratio * 100)} % ${r.schedule}${extra ? ` ${extra}` : ''}`, points };
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

/** A CSV field that may hold a comma (a file name). */
function csvText(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
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
