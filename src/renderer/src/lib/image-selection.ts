import type { ImageRow, ImageSelection, Subset } from '../../../shared/contract';

/** What a batch panel offers: every image that has what the batch needs, the open image, typed ids, or a split subset. */
export type SetChoice = 'all' | 'current' | 'ids' | Subset;

export const SUBSET_CHOICES: readonly { value: Subset; text: string }[] = [
  { value: 'labeled', text: 'Split: labeled' },
  { value: 'unlabeled', text: 'Split: unlabeled' },
  { value: 'val', text: 'Split: validation' },
  { value: 'test', text: 'Split: test' },
];

/** "3, 5-8 12" → [3, 5, 6, 7, 8, 12]; throws a message naming the part it cannot read. */
export function parseIdList(text: string): number[] {
  const ids: number[] = [];
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not an image id or a range like 5-9`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from || to - from > 100_000) throw new Error(`"${part}" is not a range of image ids`);
    for (let id = from; id <= to; id++) ids.push(id);
  }
  return [...new Set(ids)];
}

/**
 * The selection a batch command takes, or the message to show instead. `eligible` says which
 * images "all" means (those with ground truth, with pseudo-labels, or every image).
 */
export function imageSelection(
  choice: SetChoice,
  ctx: { images: ImageRow[]; selected: number | null; idText: string; eligible: (im: ImageRow) => boolean },
): ImageSelection | string {
  switch (choice) {
    case 'all': {
      const ids = ctx.images.filter(ctx.eligible).map((i) => i.id);
      return ids.length ? { ids } : 'No image has what this needs.';
    }
    case 'current':
      return ctx.selected !== null ? { ids: [ctx.selected] } : 'Open an image in the Images tab first.';
    case 'ids':
      try {
        const ids = parseIdList(ctx.idText);
        return ids.length ? { ids } : 'Type image ids, e.g. 3, 5-9.';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    default:
      return { split: choice };
  }
}
