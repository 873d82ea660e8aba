import { describe, expect, it } from 'vitest';
import type { PatientNode, SeriesNode } from '../../../shared/contract';
import { filterTree } from './tree-filter';

const s = (key: string, modality: string): SeriesNode => ({ key, label: key, modality, count: 1, labeled: 0, imageIds: [1], slicePositions: [null] });
const tree: PatientNode[] = [
  { key: 'P1', name: 'DOE JOHN', studies: [{ key: 'a', description: 'CT ABDOMEN', date: '20240101', series: [s('#2 axial', 'CT'), s('#3 scout', 'CT')] }] },
  { key: 'P2', name: null, studies: [{ key: 'b', description: 'KNEE', date: null, series: [s('#1 T1', 'MR')] }] },
];

describe('series tree filter', () => {
  it('matches on patient, study and series text, keeping the path to each match', () => {
    expect(filterTree(tree, 'doe', 'any').map((p) => p.key)).toEqual(['P1']);
    expect(filterTree(tree, 'scout', 'any')[0]!.studies[0]!.series.map((x) => x.key)).toEqual(['#3 scout']);
    expect(filterTree(tree, 'knee', 'any').map((p) => p.key)).toEqual(['P2']);
    expect(filterTree(tree, '', 'any')).toEqual(tree);
  });

  it('filters by modality and drops what is left empty', () => {
    const mr = filterTree(tree, '', 'MR');
    expect(mr.map((p) => p.key)).toEqual(['P2']);
    expect(filterTree(tree, 'doe', 'MR')).toEqual([]);
  });
});
