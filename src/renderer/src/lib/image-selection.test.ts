import { describe, expect, it } from 'vitest';
import type { ImageRow } from '../../../shared/contract';
import { imageSelection, parseIdList } from './image-selection';

const row = (id: number, hasMask: boolean): ImageRow => ({
  id,
  sourcePath: `/data/${id}.png`,
  frameIndex: 0,
  format: 'png',
  width: 8,
  height: 8,
  modality: null,
  split: null,
  hasMask,
  pseudoLabels: 0,
  latestAgreement: null,
  reviewed: false,
});

describe('the images a batch panel works on', () => {
  it('reads ids and ranges, once each', () => {
    expect(parseIdList('3, 5-8 12;3')).toEqual([3, 5, 6, 7, 8, 12]);
    expect(parseIdList('  ')).toEqual([]);
    expect(() => parseIdList('4, x')).toThrow(/"x"/);
    expect(() => parseIdList('9-2')).toThrow(/"9-2"/);
  });

  it('turns each choice into the command\'s selection, or says what is missing', () => {
    const ctx = { images: [row(1, true), row(2, false), row(3, true)], selected: null, idText: '2-3', eligible: (i: ImageRow) => i.hasMask };
    expect(imageSelection('all', ctx)).toEqual({ ids: [1, 3] });
    expect(imageSelection('all', { ...ctx, eligible: () => false })).toMatch(/No image/);
    expect(imageSelection('current', ctx)).toMatch(/Images tab/);
    expect(imageSelection('current', { ...ctx, selected: 2 })).toEqual({ ids: [2] });
    expect(imageSelection('ids', ctx)).toEqual({ ids: [2, 3] });
    expect(imageSelection('ids', { ...ctx, idText: 'seven' })).toMatch(/"seven"/);
    expect(imageSelection('val', ctx)).toEqual({ split: 'val' });
  });
});
