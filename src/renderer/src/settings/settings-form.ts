import type { Device, ExperimentRequest, InitScheme, PromptSettingsInput, TrainSettings } from '../../../shared/contract';

/**
 * The settings forms of Training and Experiments as typed, and their parsing into the contract's
 * requests. An empty field keeps the default (the paper's protocol), which each run records.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface TrainForm {
  epochs: string;
  size: string;
  batch: string;
  lr: string;
  seed: string;
  lambda: string;
  width: string;
  /** "small" tries the workflow quickly; "full" is the paper's ResNet34 U-Net++. */
  model: 'full' | 'small';
  device: Device;
  /** '' starts from scratch; otherwise the id of a finished SimCLR pre-training run. */
  init: string;
  /** How scratch weights are drawn (unused when starting from a run). */
  initScheme: InitScheme;
}

export const DEFAULT_TRAIN_FORM: Readonly<TrainForm> = {
  epochs: '',
  size: '',
  batch: '',
  lr: '',
  seed: '',
  lambda: '',
  width: '',
  model: 'full',
  device: 'auto',
  init: '',
  initScheme: 'pytorch',
};

/** The initialisation choices as a radiologist or researcher reads them. */
export const INIT_SCHEME_LABELS: Readonly<Record<InitScheme, string>> = {
  pytorch: 'PyTorch defaults (recommended)',
  smp: 'segmentation_models_pytorch style',
  he: 'He normal everywhere (earlier default)',
};

export const SMALL_MODEL = { width: 8, blocks: [1, 1, 1, 1], decoder: [32, 16, 8, 8, 4] };

/** Field, label, the default it keeps when empty, and whether it must be whole. */
export const TRAIN_FIELDS: readonly [keyof TrainForm & string, string, string, boolean][] = [
  ['epochs', 'Epochs', '100', true],
  ['size', 'Size', '224', true],
  ['batch', 'Batch', '8', true],
  ['lr', 'Learning rate', '5e-5', false],
  ['lambda', 'λ (BCE weight)', '0.5', false],
  ['seed', 'Seed', '1', true],
  ['width', 'Encoder width', '64', true],
];

function numberField(v: string, label: string, whole: boolean): number | undefined | string {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) return `${label} must be a number`;
  if (whole && !Number.isInteger(n)) return `${label} must be a whole number`;
  return n;
}

export function parseTrainForm(f: TrainForm): Parsed<TrainSettings> {
  const out: Record<string, unknown> = f.model === 'small' ? { ...SMALL_MODEL } : {};
  for (const [key, label, , whole] of TRAIN_FIELDS) {
    const v = numberField(f[key] as string, label, whole);
    if (typeof v === 'string') return { ok: false, error: v };
    if (v !== undefined) out[key] = v;
  }
  if (typeof out.size === 'number' && (out.size < 32 || out.size % 32 !== 0)) return { ok: false, error: 'Size must be a multiple of 32' };
  return { ok: true, value: { ...(out as TrainSettings), device: f.device, ...(f.init ? { initRun: Number(f.init) } : { initScheme: f.initScheme }) } };
}

export interface PromptForm {
  points: string;
  threshold: string;
  box: boolean;
  maskPrompt: boolean;
  perComponent: boolean;
}

export const DEFAULT_PROMPT_FORM: Readonly<PromptForm> = { points: '3', threshold: '0.5', box: true, maskPrompt: false, perComponent: false };

export function parsePromptForm(f: PromptForm): Parsed<PromptSettingsInput> {
  const points = numberField(f.points, 'Points', true);
  const threshold = numberField(f.threshold, 'Threshold', false);
  if (typeof points === 'string') return { ok: false, error: points };
  if (typeof threshold === 'string') return { ok: false, error: threshold };
  if (points !== undefined && (points < 0 || points > 64)) return { ok: false, error: 'Points must be from 0 to 64' };
  if (threshold !== undefined && (threshold < 0 || threshold > 1)) return { ok: false, error: 'Threshold must be from 0 to 1' };
  if (!f.box && !f.maskPrompt && (points ?? 3) === 0)
    return { ok: false, error: 'These prompts give the teacher nothing: enable the box, points or the mask prompt' };
  return {
    ok: true,
    value: {
      ...(points !== undefined ? { points } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      box: f.box,
      maskPrompt: f.maskPrompt,
      perComponent: f.perComponent,
    },
  };
}

export function parseWeight(v: string): Parsed<number | undefined> {
  const w = numberField(v, 'Pseudo-label weight', false);
  if (typeof w === 'string') return { ok: false, error: w };
  if (w !== undefined && (w < 0 || w > 1)) return { ok: false, error: 'Pseudo-label weight must be from 0 to 1' };
  return { ok: true, value: w };
}

export type Method = ExperimentRequest['schedules'][number];
export const METHODS: readonly Method[] = ['supervised', 'one-time', 'continuous'];

export interface ExperimentForm {
  name: string;
  /** Labeled percentages, comma separated: "100, 75, 50". */
  ratios: string;
  schedules: Record<Method, boolean>;
  seeds: string;
  valPercent: string;
  testPercent: string;
}

export const DEFAULT_EXPERIMENT_FORM: Readonly<ExperimentForm> = {
  name: 'default',
  ratios: '100, 75, 50',
  schedules: { supervised: true, 'one-time': true, continuous: true },
  seeds: '3',
  valPercent: '10',
  testPercent: '10',
};

/** The grid part of an experiment request (teacher and settings come from their own fields). */
export function parseExperimentForm(f: ExperimentForm): Parsed<Pick<ExperimentRequest, 'name' | 'ratios' | 'schedules' | 'seeds' | 'val' | 'test'>> {
  const name = f.name.trim();
  if (!name) return { ok: false, error: 'Give the experiment a name (its results folder)' };
  const parts = f.ratios.split(/[,\s]+/).filter(Boolean);
  const ratios = parts.map(Number);
  if (ratios.length === 0 || ratios.some((r) => !(r > 0 && r <= 100))) return { ok: false, error: 'Labeled % must be percentages in (0, 100], e.g. "100, 50"' };
  const schedules = METHODS.filter((m) => f.schedules[m]);
  if (schedules.length === 0) return { ok: false, error: 'Choose at least one method' };
  const seeds = Number(f.seeds);
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 20) return { ok: false, error: 'Seeds must be a whole number from 1 to 20' };
  const val = Number(f.valPercent) / 100;
  const test = Number(f.testPercent) / 100;
  if (!(val >= 0 && test >= 0) || f.valPercent.trim() === '' || f.testPercent.trim() === '') return { ok: false, error: 'Validation % and test % must be percentages' };
  if (val + test >= 1) return { ok: false, error: 'Validation + test must leave images for training' };
  return { ok: true, value: { name, ratios: [...new Set(ratios.map((r) => r / 100))], schedules, seeds, val, test } };
}

/** How many runs the grid trains: mining cells at 100 % labeled have nothing to mine and are skipped. */
export function experimentCells(g: Pick<ExperimentRequest, 'ratios' | 'schedules' | 'seeds'>): number {
  const mining = g.schedules.filter((s) => s !== 'supervised').length;
  const perSeed = g.ratios.reduce((n, r) => n + 1 + (r < 1 ? mining : 0), 0);
  return perSeed * g.seeds;
}

/** A teacher picker's value: "sam:<model id>", "oracle" or "noisy-oracle". */
export function teacherChoiceOf(key: string): ExperimentRequest['teacher'] {
  if (key === 'oracle') return { kind: 'oracle' };
  if (key === 'noisy-oracle') return { kind: 'noisy-oracle' };
  return { kind: 'sam', modelId: Number(key.slice(4)) };
}
