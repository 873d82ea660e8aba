// `npm run -s bench -- kvasir-grid [--json] [--epochs 5] [--pretrain-epochs 5] [--seeds 2] [--size 128] [--lr 1e-3]
//                                   [--width 16 --blocks 2,2,2,2 --decoder 128,64,32,16,8] [--limit N]
//                                   [--out docs/results/kvasir-oracle-grid] [--workspace dir]`
// The paper's Table 1 on Kvasir-SEG with the oracle teacher: 100 / 50 % labeled × supervised,
// one-time and continuous mining × from scratch and after SimCLR pre-training, over seeds — one
// `runExperiment` grid (the same as `apprentice experiment`), at a budget a quiet 2-core machine
// runs in under an hour: the small U-Net++ preset, 128×128, a few epochs, Adam lr 1e-3 (the paper's
// 5e-5 is for 100 epochs). It writes the experiment's table (results.md, results.csv), its
// validation-Dice plot and a README with the command, the wall time, the machine and the share of
// the 50 % → 100 % gap that mining closes, into --out.
//
// Any budget other than the defaults (--limit, fewer seeds or epochs, …) is labelled a SMOKE RUN in
// the README: its numbers check the machinery, not the method.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { Flags } from '../../src/main/cli/command';
import { trainSettingsFromFlags, TRAIN_FLAG_OPTIONS } from '../../src/main/cli/train-flags';
import { DEFAULT_EXPERIMENT, runExperiment, type ExperimentResult, type ExperimentSpec } from '../../src/main/mining/experiment';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, REPO, tempDir } from '../helpers/data';

/** The documented budget: every flag the grid's numbers depend on, as the README quotes them. */
export const GRID_BUDGET = {
  epochs: '5',
  'pretrain-epochs': '5',
  seeds: '2',
  size: '128',
  lr: '0.001',
  width: '16',
  blocks: '2,2,2,2',
  decoder: '128,64,32,16,8',
} as const;

/** The issue's goal: with the oracle teacher, mining closes at least this share of the 50 % → 100 % gap. */
export const GAP_GOAL = 0.8;

type Row = ExperimentResult['table'][number];

/**
 * (mining at 50 % − supervised at 50 %) / (supervised at 100 % − supervised at 50 %) of mean test
 * Dice, per initialisation and mining schedule; null where a row is missing or there is no gap.
 */
export function gapClosed(table: readonly Row[]): { init: string; schedule: string; closed: number | null; gap: number | null }[] {
  const dice = (ratio: number, init: string, schedule: string) =>
    table.find((r) => r.ratio === ratio && r.init === init && r.schedule === schedule)?.dice.mean ?? null;
  const out: ReturnType<typeof gapClosed> = [];
  for (const init of [...new Set(table.map((r) => r.init))]) {
    const full = dice(1, init, 'supervised');
    const half = dice(0.5, init, 'supervised');
    const gap = full !== null && half !== null ? full - half : null;
    for (const schedule of ['one-time', 'continuous']) {
      const mined = dice(0.5, init, schedule);
      out.push({ init, schedule, gap, closed: gap !== null && gap > 0 && mined !== null ? (mined - half!) / gap : null });
    }
  }
  return out;
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 100)} %`);

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      ...TRAIN_FLAG_OPTIONS,
      seeds: { type: 'string' },
      'pretrain-epochs': { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string' },
      workspace: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const given: Flags = values;
  const flags: Flags = { ...GRID_BUDGET, ...given };
  const seeds = Number(flags.seeds);
  const pretrainEpochs = Number(flags['pretrain-epochs']);
  const limit = values.limit === undefined ? null : Number(values.limit);
  if (!(Number.isInteger(seeds) && seeds >= 1)) throw new Error(`--seeds must be a positive integer (got ${flags.seeds})`);
  if (!(Number.isInteger(pretrainEpochs) && pretrainEpochs >= 1)) throw new Error(`--pretrain-epochs must be a positive integer (got ${flags['pretrain-epochs']})`);
  // 8·N training images: SimCLR's default batch of 32 needs N ≥ 4.
  if (limit !== null && !(Number.isInteger(limit) && limit >= 4)) throw new Error(`--limit must be an integer ≥ 4 (got ${values.limit})`);
  // Any flag besides --out, --workspace and --name changes what the numbers are.
  const smoke = Object.entries(given).some(([k, v]) => v !== undefined && !['out', 'workspace', 'name'].includes(k) && GRID_BUDGET[k as keyof typeof GRID_BUDGET] !== v);
  const out = values.out ?? join(REPO, 'docs', 'results', smoke ? 'kvasir-oracle-grid-smoke' : 'kvasir-oracle-grid');

  const spec: ExperimentSpec = {
    ...DEFAULT_EXPERIMENT,
    name: values.name ?? 'kvasir-oracle-grid',
    ratios: [1, 0.5],
    schedules: ['supervised', 'one-time', 'continuous'],
    seeds,
    teacher: { kind: 'oracle' },
    train: trainSettingsFromFlags(flags),
    inits: [{ kind: 'scratch' }, { kind: 'simclr', settings: { maxEpochs: pretrainEpochs } }],
  };
  const command = `npm run -s bench -- kvasir-grid ${args.join(' ')}`.trim();

  const ws = Workspace.open(values.workspace ?? join(tempDir('bench-kvasir-grid'), 'ws'), { create: true });
  try {
    const files = readdirSync(KVASIR_IMAGES).sort();
    // 10·N pairs: the experiment's 80/10/10 split then has N validation and N test images.
    const chosen = limit === null ? files : files.slice(0, 10 * limit);
    const load = loadavg()[0]!;
    const t0 = Date.now();
    await importImages(ws, { paths: chosen.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    const importMinutes = (Date.now() - t0) / 60000;
    process.stderr.write(`imported ${chosen.length} pairs in ${importMinutes.toFixed(1)} min\n`);

    // Wall time of each cell, from its first progress report to its last.
    const cellTimes = new Map<string, { start: number; end: number }>();
    let last = '';
    const tGrid = Date.now();
    const result = await runExperiment(ws, spec, {
      onProgress: (p) => {
        const now = Date.now();
        const t = cellTimes.get(p.cell) ?? { start: now, end: now };
        t.end = now;
        cellTimes.set(p.cell, t);
        // The teacher's pass is reported image by image: its first and last image are enough here.
        const line = `${p.cell}: ${p.phase === 'pseudo-labelling' && p.done > 1 && p.done < p.total ? 'pseudo-labelling' : p.message}`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
    });
    const gridMinutes = (Date.now() - tGrid) / 60000;
    const gaps = gapClosed(result.table);

    mkdirSync(out, { recursive: true });
    const banner = smoke ? `> SMOKE RUN made by \`${command}\`: not the documented budget; see README.md.\n\n` : '';
    writeFileSync(join(out, 'results.md'), banner + readFileSync(result.files.markdown, 'utf8'));
    copyFileSync(result.files.csv, join(out, 'results.csv'));
    copyFileSync(result.files.plot, join(out, 'val-dice.svg'));
    const cpu = cpus();
    const readme = [
      `# Oracle grid on Kvasir-SEG${smoke ? ' — SMOKE RUN (not the documented budget: these numbers check the machinery, not the method)' : ''}`,
      '',
      `Made by \`${command}\` on ${new Date().toISOString().slice(0, 10)}.`,
      '',
      `- Data: ${chosen.length} Kvasir-SEG pairs${limit === null ? '' : ` (the first ${chosen.length} file names, --limit ${limit})`}; each seed its own 80/10/10 split.`,
      `- Grid: labeled 100 / 50 % × supervised, one-time, continuous × scratch, SimCLR (${pretrainEpochs} pre-training epochs per seed) × ${seeds} seed(s); teacher: the oracle (an evaluation tool that answers a prompt with the ground truth it touches, not a model).`,
      `- Student: \`${JSON.stringify(spec.train)}\` (defaults otherwise: batch 8, λ = 0.5, ReduceLROnPlateau, early stop, best-validation weights).`,
      `- Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load average ${load.toFixed(1)} at the start${load > cpu.length ? ' (the machine was busy: times are pessimistic)' : ''}.`,
      `- Wall time: import ${importMinutes.toFixed(1)} min, grid ${gridMinutes.toFixed(1)} min.`,
      '',
      '## Share of the 50 % → 100 % gap that mining closes',
      '',
      `Mean test Dice: (mining at 50 % − supervised at 50 %) / (supervised at 100 % − supervised at 50 %); goal ≥ ${GAP_GOAL * 100} %. Mining runs train their epochs on top of the supervised run they start from, so they have had twice its budget.`,
      '',
      '| Init | Mining | Gap (Dice) | Closed |',
      '| --- | --- | --- | --- |',
      ...gaps.map((g) => `| ${g.init} | ${g.schedule} | ${g.gap === null ? 'n/a' : g.gap.toFixed(3)} | ${pct(g.closed)} |`),
      '',
      'n/a: no gap to close (supervised at 50 % scored at least as well as at 100 %) or a row is missing.',
      '',
      'The table and the plot: [results.md](results.md), [results.csv](results.csv), [val-dice.svg](val-dice.svg).',
      '',
      '## Time per cell',
      '',
      '| Cell | Minutes |',
      '| --- | --- |',
      ...[...cellTimes].map(([cell, t]) => `| ${cell} | ${((t.end - t.start) / 60000).toFixed(1)} |`),
      '',
    ].join('\n');
    writeFileSync(join(out, 'README.md'), readme);
    return {
      smoke,
      out: relative(process.cwd(), out),
      images: chosen.length,
      import_minutes: Number(importMinutes.toFixed(2)),
      grid_minutes: Number(gridMinutes.toFixed(2)),
      load_average_at_start: Number(load.toFixed(2)),
      table: result.table.map((r) => ({ labeled: r.ratio, init: r.init, method: r.schedule, runs: r.runs, dice_mean: r.dice.mean, dice_std: r.dice.std })),
      gap_closed: gaps,
    };
  } finally {
    ws.close();
  }
}
