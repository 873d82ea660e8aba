import type { Device, PretrainSettings } from '../../../shared/contract';
import { SMALL_MODEL, type Parsed } from './settings-form';

/** The SimCLR pre-training form as typed; an empty field keeps the SimCLR paper's default (recorded with the run). */
export interface PretrainForm {
  epochs: string;
  batch: string;
  lr: string;
  temperature: string;
  size: string;
  seed: string;
  model: 'full' | 'small';
  device: Device;
}

export const DEFAULT_PRETRAIN_FORM: Readonly<PretrainForm> = {
  epochs: '',
  batch: '',
  lr: '',
  temperature: '',
  size: '',
  seed: '',
  model: 'full',
  device: 'auto',
};

/** Field, label, the default it keeps when empty, and whether it must be whole. */
export const PRETRAIN_FIELDS: readonly [keyof PretrainForm & string, string, string, boolean][] = [
  ['epochs', 'Epochs', '100', true],
  ['batch', 'Batch (views ×2)', '32', true],
  ['lr', 'Learning rate', '1e-3', false],
  ['temperature', 'Temperature τ', '0.5', false],
  ['size', 'Size', '224', true],
  ['seed', 'Seed', '1', true],
];

export function parsePretrainForm(f: PretrainForm): Parsed<PretrainSettings> {
  const out: Record<string, unknown> = f.model === 'small' ? { ...SMALL_MODEL } : {};
  for (const [key, label, , whole] of PRETRAIN_FIELDS) {
    const t = (f[key] as string).trim();
    if (t === '') continue;
    const n = Number(t);
    if (!Number.isFinite(n)) return { ok: false, error: `${label} must be a number` };
    if (whole && !Number.isInteger(n)) return { ok: false, error: `${label} must be a whole number` };
    out[key] = n;
  }
  if (typeof out.batch === 'number' && out.batch < 2) return { ok: false, error: 'Batch must be at least 2: the other images are the negatives' };
  if (typeof out.size === 'number' && (out.size < 32 || out.size % 32 !== 0)) return { ok: false, error: 'Size must be a multiple of 32' };
  if (typeof out.temperature === 'number' && out.temperature <= 0) return { ok: false, error: 'Temperature must be positive' };
  return { ok: true, value: { ...(out as PretrainSettings), device: f.device } };
}
