import type { ImageSelection } from '../../shared/contract';
import { imageRecord } from '../workspace/images';
import { latestSplitId, splitMembers } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';

const SUBSET_NAMES = { labeled: 'labeled', unlabeled: 'unlabeled', val: 'validation', test: 'test' } as const;

/**
 * The images a batch (prediction, export) works on: chosen ids, checked to exist before any work,
 * or the members of one subset of the latest split.
 */
export function selectedImageIds(ws: Workspace, selection: ImageSelection): number[] {
  if ('ids' in selection) {
    for (const id of selection.ids) imageRecord(ws, id);
    return [...new Set(selection.ids)];
  }
  const split = latestSplitId(ws);
  if (split === null) throw new Error('there is no split yet: make one in the Images tab (“Make split”)');
  const ids = splitMembers(ws, split, selection.split);
  if (ids.length === 0) throw new Error(`the ${SUBSET_NAMES[selection.split]} subset of split #${split} is empty`);
  return ids;
}
