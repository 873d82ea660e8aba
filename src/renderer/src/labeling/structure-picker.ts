import type { LabelStructure } from '../../../shared/contract';
import { IGNORE_VALUE } from './label-map';

// What the brush, the SAM proposal and the lasso paint: one structure of the label schema, or the
// ignore region. Keys 1–9 choose the first nine structures in schema order, 0 the ignore region.

export interface PickerEntry {
  value: number;
  name: string;
  colour: string;
  /** The key that chooses it, or null past the ninth structure. */
  key: string | null;
}

export function pickerEntries(schema: readonly LabelStructure[], colours: ReadonlyMap<number, string>): PickerEntry[] {
  const entries: PickerEntry[] = schema.map((s, i) => ({ value: s.value, name: s.name, colour: colours.get(s.value) ?? s.color, key: i < 9 ? String(i + 1) : null }));
  entries.push({ value: IGNORE_VALUE, name: 'Ignore', colour: colours.get(IGNORE_VALUE) ?? '#808080', key: '0' });
  return entries;
}

/** The value a key press chooses, or null when the key chooses nothing. */
export function valueForKey(entries: readonly PickerEntry[], key: string): number | null {
  return entries.find((e) => e.key === key)?.value ?? null;
}

/**
 * The value still painted after the schema changed: the same one if it is still there, else the
 * first structure (a removed or renumbered structure is never painted by a stale choice).
 */
export function keptSelection(entries: readonly PickerEntry[], selected: number): number {
  return entries.some((e) => e.value === selected) ? selected : (entries[0]?.value ?? 1);
}

/** "Liver 1200 px · Tumour 310 px · ignore 40 px": a label's pixels per structure in words. */
export function areasText(areas: ReadonlyMap<number, number> | Record<string, number>, schema: readonly Pick<LabelStructure, 'value' | 'name'>[]): string {
  const entries = areas instanceof Map ? [...areas.entries()] : Object.entries(areas).map(([k, n]) => [Number(k), n] as const);
  const name = (v: number): string => (v === IGNORE_VALUE ? 'ignore' : (schema.find((s) => s.value === v)?.name ?? `value ${v}`));
  return entries
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([v, n]) => `${name(v)} ${n} px`)
    .join(' · ');
}
