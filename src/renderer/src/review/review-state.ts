import type { GroundTruthVersion, ReviewDecision, ReviewVersion } from '../../../shared/contract';
import { provenanceText } from '../labeling/label-session';

/** Review opens on the latest version, decided or not. */
export function initialVersion(versions: readonly ReviewVersion[]): ReviewVersion | null {
  return versions.at(-1) ?? null;
}

export interface Correction {
  open: boolean;
  dirty: boolean;
}

/** An accepted version is already the ground truth: it can only be corrected (brush, then Enter). */
export function canAccept(selected: ReviewVersion | null, correction: Correction): boolean {
  return !!selected && ((correction.open && correction.dirty) || (selected.decision !== 'accepted' && selected.decision !== 'corrected'));
}

/** Only an undecided version can be rejected, and not while a correction of it is open. */
export function canReject(selected: ReviewVersion | null, correction: Correction): boolean {
  return !!selected && !correction.open && selected.decision === 'new';
}

/** What accepting stores: the drawn correction when there is one, else the version as it is. */
export function decisionCall(kind: 'accept' | 'reject', correction: Correction): 'review.correct' | 'review.accept' | 'review.reject' {
  if (kind === 'reject') return 'review.reject';
  return correction.open && correction.dirty ? 'review.correct' : 'review.accept';
}

export function decisionNotice(imageId: number, version: number, decision: ReviewDecision, replaced: GroundTruthVersion | null = null): string {
  const notice = `Image #${imageId}: version ${version} ${decision}${decision === 'rejected' ? '' : ' → ground truth'}`;
  // Replacing ground truth is never silent, least of all an imported label hidden from training.
  return replaced ? `${notice}; it replaces ground truth ${provenanceText(replaced)}, kept as a version` : notice;
}

/** The queue position after a step, or null when it would leave the queue. */
export function stepped(index: number, step: number, length: number): number | null {
  const i = index + step;
  return i < 0 || i >= length ? null : i;
}

export type ReviewAction =
  | 'accept'
  | 'reject'
  | 'next'
  | 'previous'
  | 'brush'
  | 'eraser'
  | 'larger'
  | 'smaller'
  | 'discard'
  | 'truth'
  | 'student'
  | { pick: number };

const KEYS: Record<string, ReviewAction> = {
  a: 'accept',
  Enter: 'accept',
  r: 'reject',
  ArrowRight: 'next',
  j: 'next',
  ArrowLeft: 'previous',
  k: 'previous',
  b: 'brush',
  e: 'eraser',
  ']': 'larger',
  '[': 'smaller',
  Escape: 'discard',
  g: 'truth',
  s: 'student',
};

/** The key event's parts the shortcuts read: the key, its modifiers, and where focus is. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** tagName and, for inputs, type of the focused element. */
  target: { tagName: string; type?: string } | null;
}

/**
 * The review shortcut a key press means, or null. Shortcuts stay live on checkboxes, sliders and
 * colour wells (a reviewer tweaks one and goes on), but not where keys type text or move a slider.
 * Digits 1–9 pick a version by position (0-based in the result).
 */
export function reviewAction(e: KeyPress): ReviewAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const tag = e.target?.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return null;
  const type = tag === 'INPUT' ? (e.target!.type ?? 'text') : null;
  if (type !== null && !['checkbox', 'range', 'color'].includes(type)) return null;
  if (type === 'range' && e.key.startsWith('Arrow')) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (/^[1-9]$/.test(key)) return { pick: Number(key) - 1 };
  return KEYS[key] ?? null;
}

export function shortHash(hash: string | null): string {
  return hash ? hash.slice(0, 8) : '—';
}

export function fmt(x: number | null, digits = 2): string {
  return x === null ? '—' : x.toFixed(digits);
}

/** Each structure's agreement with the student, by name ("Lesion 0.91 · Square —"); '' for a binary version. */
export function structureAgreementText(v: ReviewVersion, names: ReadonlyMap<number, string>): string {
  const s = v.structures;
  if (!s) return '';
  return s.values.map((value) => `${names.get(value) ?? `value ${value}`} ${fmt(s.agreements[value] ?? null)}`).join(' · ');
}

/**
 * The brush edits one binary mask; a version with several structures is corrected after accepting
 * it, with the Viewer's label-map tools. Null when the brush may start, else why not.
 */
export function brushRefusal(v: ReviewVersion | null): string | null {
  return v?.structures ? `version ${v.version} holds several structures: accept it (A) and correct its label map in the Viewer, or reject it (R)` : null;
}

export function fileName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** One-time mining makes rounds, continuous mining epochs. */
export function roundLabel(v: Pick<ReviewVersion, 'epoch' | 'runKind'>): string {
  if (v.epoch === null) return '';
  return v.runKind && /one-time|round/i.test(v.runKind) ? `round ${v.epoch}` : `epoch ${v.epoch}`;
}

/** A mask shown in review: a pseudo-label version, or the image's ground truth. */
export interface ReviewLayer {
  key: string; // 'v<version>' | 'truth'
  pref: string; // what its remembered colour/opacity belong to (see stylePref)
  title: string;
  version: ReviewVersion | null;
  dataUrl: string;
  canvas: HTMLCanvasElement | null; // coloured with the layer's colour
}
