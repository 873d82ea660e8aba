import type { ImageRow } from '../../../shared/contract';

/** An image's place in the labeling workflow, as the Dataset view tags and filters it. */
export type ImageStatus = 'labeled' | 'unlabeled' | 'pseudo-labeled' | 'reviewed';

export const STATUSES: readonly ImageStatus[] = ['labeled', 'unlabeled', 'pseudo-labeled', 'reviewed'];

/**
 * reviewed: a radiologist accepted, corrected or rejected its pseudo-labels;
 * pseudo-labeled: it has pseudo-label versions waiting for review;
 * labeled: ground truth training may see (not in the "unlabeled" subset);
 * unlabeled: no ground truth, or ground truth hidden from training by the split.
 */
export function imageStatus(im: ImageRow): ImageStatus {
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
