import type { Subset } from '../../../shared/contract';

/** The split form's fields as typed; percentages, because that is how a split is talked about. */
export interface SplitForm {
  labeledPercent: string;
  valPercent: string;
  testPercent: string;
  seed: string;
}

export const DEFAULT_SPLIT_FORM: Readonly<SplitForm> = { labeledPercent: '50', valPercent: '10', testPercent: '10', seed: '1' };

export type SplitInput = { labeled: number; val: number; test: number; seed: number };

/** The form as a split request, or the reason it is not one (said in the form's own words). */
export function parseSplitForm(f: SplitForm): { ok: true; value: SplitInput } | { ok: false; error: string } {
  const pct = (v: string, name: string): number | string => {
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) return `${name} must be a percentage from 0 to 100`;
    return n / 100;
  };
  const labeled = pct(f.labeledPercent, 'Labeled');
  const val = pct(f.valPercent, 'Validation');
  const test = pct(f.testPercent, 'Test');
  for (const v of [labeled, val, test]) if (typeof v === 'string') return { ok: false, error: v };
  const seed = f.seed.trim() === '' ? NaN : Number(f.seed);
  if (!Number.isInteger(seed)) return { ok: false, error: 'Seed must be a whole number' };
  if ((val as number) + (test as number) >= 1) return { ok: false, error: 'Validation + test must leave images for training' };
  return { ok: true, value: { labeled: labeled as number, val: val as number, test: test as number, seed } };
}

/** The subsets in the words the app uses everywhere (validation and test are never "labeled"). */
export const SUBSET_WORDS: Readonly<Record<Subset, string>> = {
  labeled: 'labeled (training)',
  unlabeled: 'unlabeled (training)',
  val: 'validation',
  test: 'test',
};

export const SUBSETS: readonly Subset[] = ['labeled', 'unlabeled', 'val', 'test'];
