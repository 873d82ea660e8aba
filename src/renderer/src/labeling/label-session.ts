import type { GroundTruthVersion, ImageRow, LabelSource, SavedGroundTruth, TeacherRef } from '../../../shared/contract';
import type { Prompts } from '../prompting/prompt-tool';

// A label being made in the Viewer, as undo/redo sees it: the mask (alpha snapshot; white where on),
// the SAM prompts, and what the label came from. Snapshots are shared between states that did not
// change the mask, so a prompt click costs no mask copy.

/** What a press on the Viewer's image does: window/level or pan, paint, erase, lasso fill, or prompt SAM. */
export type ViewerTool = 'wl' | 'brush' | 'eraser' | 'lasso' | 'prompt';

/** Where the label on the canvas came from: drawn by hand, or a SAM proposal taken as its start. */
export type LabelOrigin = { kind: 'drawn' } | { kind: 'sam-assisted'; teacher: TeacherRef; prompts: Prompts[] };

export interface LabelState {
  /** The mask's alpha, one byte per image pixel (> 127 = on). */
  mask: Uint8Array;
  prompts: Prompts;
  origin: LabelOrigin;
  /** The SAM proposal was changed by hand after it was taken. */
  edited: boolean;
}

/** What the save tells the store about how the label was made. */
export function labelSource(s: LabelState): LabelSource {
  if (s.origin.kind === 'drawn') return { kind: 'drawn' };
  return {
    kind: 'sam-assisted',
    modelId: s.origin.teacher.id,
    prompts: s.origin.prompts.map((p) => ({ points: p.points.map(({ x, y, label }) => ({ x, y, label })), box: p.box })),
    edited: s.edited,
  };
}

/** The origin an existing ground truth gives a label drawn over it: a SAM-assisted one stays SAM-assisted. */
export function originOf(v: GroundTruthVersion | null): LabelOrigin {
  const d = v?.details;
  if (v?.provenance === 'sam-assisted' && d?.teacher && d.prompts) return { kind: 'sam-assisted', teacher: d.teacher, prompts: d.prompts };
  return { kind: 'drawn' };
}

/** The state after a brush stroke, eraser stroke or lasso fill. */
export function afterEdit(s: LabelState, mask: Uint8Array): LabelState {
  return { ...s, mask, edited: true };
}

/** The state after taking SAM's proposal as the label: it replaces the mask, and the label is now SAM-assisted. */
export function afterProposal(s: LabelState, mask: Uint8Array, teacher: TeacherRef, prompts: Prompts): LabelState {
  return { ...s, mask, origin: { kind: 'sam-assisted', teacher, prompts: [prompts] }, edited: false };
}

const PROVENANCE_WORDS: Record<GroundTruthVersion['provenance'], string> = {
  imported: 'imported',
  drawn: 'drawn',
  'sam-assisted': 'SAM-assisted',
  promoted: 'accepted pseudo-label',
};

/** "v2 · SAM-assisted (mobilesam “vit-t”, 1 prompt, edited)" — one ground-truth version in words. */
export function provenanceText(v: Pick<GroundTruthVersion, 'version' | 'provenance' | 'details' | 'hidden'>): string {
  const d = v.details;
  const parts: string[] = [];
  if (d?.teacher) parts.push(`${d.teacher.family} “${d.teacher.name}”`);
  if (d?.prompts) parts.push(`${d.prompts.length} prompt${d.prompts.length === 1 ? '' : 's'}`);
  if (d?.pseudoLabelVersion !== undefined) parts.push(`from pseudo-label v${d.pseudoLabelVersion}`);
  if (d?.edited) parts.push('edited');
  if (d?.noFinding) parts.push('no finding');
  if (v.hidden) parts.push('hidden from training');
  return `v${v.version} · ${PROVENANCE_WORDS[v.provenance]}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * Whether the label would be stored empty: no pixel on by the save's rule (alpha above half, as
 * binaryMaskRgba writes the PNG). An empty label saves only as "no finding".
 */
export function labelIsEmpty(alpha: ArrayLike<number>): boolean {
  for (let i = 0; i < alpha.length; i++) if (alpha[i]! > 127) return false;
  return true;
}

/** What a save says: the new version, and the one it replaced, which is kept. */
export function savedNotice(r: SavedGroundTruth): string {
  const saved = `Saved as ground truth v${r.version} (${PROVENANCE_WORDS[r.provenance]}, ${r.area} px)`;
  return r.replaced ? `${saved}; it replaces ${provenanceText(r.replaced)}, kept as a version` : saved;
}

/** The next image after `currentId` (in list order, wrapping) that has no ground truth; null when none is left. */
export function nextUnlabeled(images: readonly Pick<ImageRow, 'id' | 'hasMask'>[], currentId: number | null): number | null {
  const at = images.findIndex((i) => i.id === currentId);
  for (let k = 1; k <= images.length; k++) {
    const img = images[(at + k + images.length) % images.length]!;
    if (!img.hasMask && img.id !== currentId) return img.id;
  }
  return null;
}

/** The mask's alpha out of RGBA pixels. */
export function alphaOf(rgba: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + 3]!;
  return out;
}

/** RGBA pixels for a mask alpha: white, with the alpha kept (the editable mask's own colours). */
export function rgbaOf(alpha: Uint8Array, out: Uint8ClampedArray): Uint8ClampedArray {
  for (let i = 0; i < alpha.length; i++) {
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = 255;
    out[i * 4 + 3] = alpha[i]!;
  }
  return out;
}

/** Pixels the mask holds (alpha > 127, the rule the saved PNG follows). */
export function maskPixels(alpha: Uint8Array): number {
  let n = 0;
  for (const a of alpha) if (a > 127) n++;
  return n;
}
