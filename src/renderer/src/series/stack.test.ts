import { describe, expect, it } from 'vitest';
import type { PatientNode, SeriesNode } from '../../../shared/contract';
import { cineNext, clampFps, flattenSeries, isSliceStack, locate, sliceText, stepSeries, stepSlice } from './stack';

function series(key: string, ids: number[], positions: (number | null)[] = ids.map(() => null)): SeriesNode {
  return { key, label: key, modality: 'CT', count: ids.length, labeled: 0, imageIds: ids, slicePositions: positions };
}

const axial = series('ax', [11, 12, 13, 14], [0, 5, 10, 15]);
const thin = series('thin', [21, 22, 23, 24, 25, 26, 27], [0, 2.5, 5, 7.5, 10, 12.5, 15]);
const folder = series('folder', [31, 32, 33]);
const tree: PatientNode[] = [
  { key: 'p1', name: 'A', studies: [{ key: 's1', description: null, date: null, series: [axial, thin] }] },
  { key: 'image folders', name: null, studies: [{ key: 'f', description: null, date: null, series: [folder] }] },
];
const all = flattenSeries(tree);

describe('stack navigation', () => {
  it('flattens patients → studies → series in order and finds an image', () => {
    expect(all.map((s) => s.key)).toEqual(['ax', 'thin', 'folder']);
    expect(locate(all, 23)).toEqual({ series: 1, slice: 2 });
    expect(locate(all, 99)).toBeNull();
  });

  it('plays and places slices of an acquisition, never a folder of photos', () => {
    const photos = series('folder:/data/kvasir', [41, 42, 43]);
    expect(isSliceStack(axial)).toBe(true);
    expect(isSliceStack(photos)).toBe(false);
    expect(cineNext([photos], { series: 0, slice: 0 })).toBeNull();
    expect(cineNext([axial], { series: 0, slice: 3 })).toBe(11);
  });

  it('steps slices within a series and stops at its ends', () => {
    expect(stepSlice(all, { series: 0, slice: 1 }, 1)).toBe(13);
    expect(stepSlice(all, { series: 0, slice: 1 }, -1)).toBe(11);
    expect(stepSlice(all, { series: 0, slice: 0 }, -1)).toBeNull();
    expect(stepSlice(all, { series: 0, slice: 3 }, 1)).toBeNull();
  });

  it('steps to the neighbouring series at the nearest position, else the same depth', () => {
    // Slice at 10 mm in the 5 mm series → the 10 mm slice of the 2.5 mm series.
    expect(stepSeries(all, { series: 0, slice: 2 }, 1)).toBe(25);
    expect(stepSeries(all, { series: 1, slice: 1 }, -1)).toBe(11); // 2.5 mm: 0 and 5 tie, the first wins
    // Into a folder without positions: the same relative depth (last → last).
    expect(stepSeries(all, { series: 1, slice: 6 }, 1)).toBe(33);
    expect(stepSeries(all, { series: 2, slice: 0 }, 1)).toBeNull();
    expect(stepSeries(all, { series: 0, slice: 0 }, -1)).toBeNull();
  });

  it('cine loops through the series; a single image does not play', () => {
    expect(cineNext(all, { series: 0, slice: 3 })).toBe(11);
    expect(cineNext(all, { series: 0, slice: 0 })).toBe(12);
    expect(cineNext([series('one', [5])], { series: 0, slice: 0 })).toBeNull();
    expect(clampFps(0)).toBe(1);
    expect(clampFps(100)).toBe(30);
    expect(clampFps(Number.NaN)).toBe(10);
  });

  it('shows the slice and its position when known', () => {
    expect(sliceText(axial, 2)).toBe('slice 3/4 · 10.0 mm');
    expect(sliceText(folder, 0)).toBe('slice 1/3');
  });
});
