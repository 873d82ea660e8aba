import type { ExperimentInit, ExperimentRequest, PromptPreset } from '../../../shared/contract';
import { teacherChoiceOf, type Parsed } from './settings-form';

/**
 * The paper's further factors for the grid (its Table 1 "+ SimCLR" and MedSAM rows, its Table 3
 * prompt ablation). Nothing ticked keeps the plain grid: scratch, the one teacher, the one prompt setting.
 */
export interface FactorForm {
  scratch: boolean;
  /** SimCLR pre-training made by the grid, one run per seed. */
  simclr: boolean;
  simclrEpochs: string;
  /** Ids of finished pre-training runs to start from. */
  pretrainRuns: number[];
  /** Teacher picker keys ("sam:<id>", "oracle", "noisy-oracle") to compare; empty: the one teacher above. */
  teachers: string[];
  promptSets: Record<PromptPreset, boolean>;
}

export const PROMPT_PRESET_WORDS: Record<PromptPreset, string> = {
  points: 'points only',
  box: 'box only',
  both: 'points + box',
  mask: 'points + box + mask prompt',
};

export const DEFAULT_FACTOR_FORM: Readonly<FactorForm> = {
  scratch: true,
  simclr: false,
  simclrEpochs: '',
  pretrainRuns: [],
  teachers: [],
  promptSets: { points: false, box: false, both: false, mask: false },
};

type Factors = Pick<ExperimentRequest, 'inits' | 'teachers' | 'promptSets'>;

export function parseFactors(f: FactorForm): Parsed<Factors> {
  const inits: ExperimentInit[] = [];
  if (f.scratch) inits.push({ kind: 'scratch' });
  if (f.simclr) {
    const t = f.simclrEpochs.trim();
    const epochs = t === '' ? undefined : Number(t);
    if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) return { ok: false, error: 'SimCLR epochs must be a whole number ≥ 1' };
    inits.push(epochs === undefined ? { kind: 'simclr' } : { kind: 'simclr', epochs });
  }
  for (const runId of f.pretrainRuns) inits.push({ kind: 'run', runId });
  if (inits.length === 0) return { ok: false, error: 'Tick at least one initialisation (scratch, SimCLR or a pre-training run)' };
  const presets = (Object.keys(f.promptSets) as PromptPreset[]).filter((k) => f.promptSets[k]);
  const out: Factors = {};
  // A factor with one plain value is no factor: the request stays the grid the table always showed.
  if (!(inits.length === 1 && inits[0]!.kind === 'scratch')) out.inits = inits;
  if (f.teachers.length > 0) out.teachers = f.teachers.map(teacherChoiceOf);
  if (presets.length > 0) out.promptSets = presets;
  return { ok: true, value: out };
}

/** How many runs the factors make of a grid's cells: inits multiply every cell, teachers × prompts the mining ones. */
export function cellsWithFactors(g: Pick<ExperimentRequest, 'ratios' | 'schedules' | 'seeds'>, factors: Factors): number {
  const inits = factors.inits?.length ?? 1;
  const perMining = (factors.teachers?.length ?? 1) * (factors.promptSets?.length ?? 1);
  const mining = g.schedules.filter((s) => s !== 'supervised').length;
  const perSeed = g.ratios.reduce((n, r) => n + 1 + (r < 1 ? mining * perMining : 0), 0);
  const pretraining = factors.inits?.some((i) => i.kind === 'simclr') ? 1 : 0;
  return (perSeed * inits + pretraining) * g.seeds;
}
