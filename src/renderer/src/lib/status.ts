import type { ImageRow } from '../../../shared/contract';

/**
 * An image's place in the labeling workflow, as the Dataset view tags and filters it. Validation and
 * test images have ground truth too, but training never learns from it: they are named for what
 * they are, never "labeled".
 */
export type ImageStatus = 'labeled' | 'validation' | 'test' | 'unlabeled' | 'pseudo-labeled' | 'reviewed';

export const STATUSES: readonly ImageStatus[] = ['labeled', 'unlabeled', 'validation', 'test', 'pseudo-labeled', 'reviewed'];

/** What each status word means, for tooltips and the filter. */
export const STATUS_MEANING: Readonly<Record<ImageStatus, string>> = {
  labeled: 'ground truth that training learns from',
  unlabeled: 'no ground truth, or ground truth the split hides from training',
  validation: 'held out: picks the best epoch and drives the learning-rate schedule',
  test: 'held out: scored once at the end of a run',
  'pseudo-labeled': 'pseudo-label versions from the teacher, waiting for review',
  reviewed: 'a radiologist accepted, corrected or rejected its pseudo-labels',
};

export function imageStatus(im: ImageRow): ImageStatus {
  if (im.split === 'val') return 'validation';
  if (im.split === 'test') return 'test';
  if (im.reviewed) return 'reviewed';
  if (im.pseudoLabels > 0) return 'pseudo-labeled';
  return im.hasMask && im.split !== 'unlabeled' ? 'labeled' : 'unlabeled';
}

/** 1 − agreement Dice of the latest version; null when unknown. */
export function disagreement(im: ImageRow): number | null {
  return im.latestAgreement === null ? null : 1 - im.latestAgreement;
}

/** Most disagreement first; unknown agreement last; ties by id. */
export function byDisagreement(a: ImageRow, b: ImageRow): number {
  const da = disagreement(a);
  const db = disagreement(b);
  if (da === null || db === null) return da === db ? a.id - b.id : da === null ? 1 : -1;
  return db - da || a.id - b.id;
}
