import type { ViewerTool } from '../labeling/label-session';
import type { MeasureKind } from '../measure/measure-tool';

/** What the pointer does on the image: a labeling tool, or a measurement. */
export type Tool = ViewerTool | MeasureKind;

export const TOOL_KEYS: Record<string, Tool> = { b: 'brush', e: 'eraser', l: 'lasso', p: 'prompt', m: 'line', o: 'ellipse' };

export type ViewerKeyAction =
  | { kind: 'frame'; delta: number }
  | { kind: 'stack'; delta: number }
  | { kind: 'series'; delta: number }
  | { kind: 'cine' }
  | { kind: 'tool'; tool: Tool }
  | { kind: 'structure'; value: number }
  | { kind: 'brush'; larger: boolean }
  | { kind: 'close-lasso'; invert: boolean }
  | { kind: 'escape' };

export interface ViewerKeyPress {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Typing in a text field, number field or select: the key is the field's. */
  inField: boolean;
}

export interface ViewerKeyContext {
  hasImage: boolean;
  lassoOpen: boolean;
  /** The structure a key picks (null: none, or only one structure to paint). */
  structureFor: (key: string) => number | null;
}

/** The Viewer's shortcut for a key press (undo and redo are decided before, even in a field). */
export function viewerKeyAction(e: ViewerKeyPress, at: ViewerKeyContext): ViewerKeyAction | null {
  if (e.inField || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'PageDown' || e.key === '.') return { kind: 'frame', delta: 1 };
  if (e.key === 'PageUp' || e.key === ',') return { kind: 'frame', delta: -1 };
  if (!at.hasImage) return null;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') return { kind: 'stack', delta: e.key === 'ArrowDown' ? 1 : -1 };
  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') return { kind: 'series', delta: e.key === 'ArrowRight' ? 1 : -1 };
  const lower = e.key.toLowerCase();
  if (lower === 'c') return { kind: 'cine' };
  const tool = TOOL_KEYS[lower];
  if (tool) return { kind: 'tool', tool };
  const value = at.structureFor(e.key);
  if (value !== null) return { kind: 'structure', value };
  if (e.key === ']') return { kind: 'brush', larger: true };
  if (e.key === '[') return { kind: 'brush', larger: false };
  if (e.key === 'Enter' && at.lassoOpen) return { kind: 'close-lasso', invert: e.shiftKey };
  if (e.key === 'Escape') return { kind: 'escape' };
  return null;
}

/** Keys the page would also act on (scrolling, clicking a focused button): the Viewer claims them. */
export function claimsKey(a: ViewerKeyAction): boolean {
  return a.kind === 'stack' || a.kind === 'series' || a.kind === 'close-lasso';
}
