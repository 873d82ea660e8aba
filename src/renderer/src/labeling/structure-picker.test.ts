import { describe, expect, it } from 'vitest';
import type { LabelStructure } from '../../../shared/contract';
import { DEFAULT_TERM } from '../../../shared/label-codes';
import { structureColours } from '../overlay/colour';
import { areasText, keptSelection, pickerEntries, valueForKey } from './structure-picker';

const structure = (value: number, name: string, color: string): LabelStructure => ({ value, name, color, ...DEFAULT_TERM });
const schema = [structure(1, 'Liver', '#00e676'), structure(2, 'Tumour', '#ff1744'), structure(5, 'Vessel', '#2962ff')];

describe('the structure picker', () => {
  const entries = pickerEntries(schema, structureColours(schema, '#123456', 255));

  it('lists the schema in order with keys 1–9, then the ignore region on 0, each in its schema colour', () => {
    expect(entries.map((e) => [e.value, e.name, e.colour, e.key])).toEqual([
      [1, 'Liver', '#00e676', '1'],
      [2, 'Tumour', '#ff1744', '2'],
      [5, 'Vessel', '#2962ff', '3'],
      [255, 'Ignore', '#b0bec5', '0'],
    ]);
    expect(valueForKey(entries, '3')).toBe(5);
    expect(valueForKey(entries, '0')).toBe(255);
    expect(valueForKey(entries, '4')).toBeNull();
  });

  it('gives keys to the first nine structures only', () => {
    const many = Array.from({ length: 11 }, (_, i) => structure(i + 1, `S${i + 1}`, '#000000'));
    const e = pickerEntries(many, new Map());
    expect(e.filter((x) => x.key !== null && x.value !== 255).map((x) => x.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(valueForKey(e, '9')).toBe(9);
  });

  it('a binary project shows its one structure in the Viewer’s ground-truth colour', () => {
    const one = [structure(1, 'Lesion', '#00e676')];
    expect(structureColours(one, '#abcdef', 255).get(1)).toBe('#abcdef');
    expect(structureColours(schema, '#abcdef', 255).get(1)).toBe('#00e676');
  });

  it('keeps the chosen structure while it exists, else falls back to the first', () => {
    expect(keptSelection(entries, 2)).toBe(2);
    expect(keptSelection(entries, 255)).toBe(255);
    expect(keptSelection(entries, 9)).toBe(1);
  });

  it('says a label’s pixels per structure by name', () => {
    expect(areasText({ '2': 310, '1': 1200, '7': 0 }, schema)).toBe('Liver 1200 px · Tumour 310 px');
    expect(areasText(new Map([[255, 40], [9, 3]]), schema)).toBe('value 9 3 px · ignore 40 px');
  });
});
