/** The key event's parts undo reads: the key, its modifiers, and the focused element. */
export interface UndoKeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** tagName, for inputs their type, and whether the element is contenteditable. */
  target: { tagName: string; type?: string; isContentEditable?: boolean } | null;
}

const TEXT_INPUTS = new Set(['text', 'search', 'url', 'email', 'password', 'number', 'tel', 'date', 'time']);

/** Whether keys typed into the element edit its text: there the browser's own undo belongs to it. */
export function editsText(target: UndoKeyPress['target']): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  if (target.tagName === 'TEXTAREA') return true;
  return target.tagName === 'INPUT' && TEXT_INPUTS.has(target.type ?? 'text');
}

/**
 * Ctrl+Z (⌘Z) undoes on the canvas, Ctrl+Shift+Z and Ctrl+Y redo — unless a text field has focus,
 * where the browser's undo applies to the field (null). The caller prevents the browser's default
 * for a non-null answer even with nothing to undo: otherwise the browser's undo reaches back into the
 * last text field edited (the workspace path reverted under a radiologist's brush).
 */
export function undoKey(e: UndoKeyPress): 'undo' | 'redo' | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || editsText(e.target)) return null;
  const key = e.key.toLowerCase();
  if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !e.shiftKey) return 'redo';
  return null;
}

/** The parts of a DOM keyboard event undoKey reads. */
export function undoKeyPress(e: KeyboardEvent): UndoKeyPress {
  const t = e.target instanceof HTMLElement ? e.target : null;
  return {
    key: e.key,
    ctrlKey: e.ctrlKey,
    metaKey: e.metaKey,
    shiftKey: e.shiftKey,
    altKey: e.altKey,
    target: t && { tagName: t.tagName, type: t instanceof HTMLInputElement ? t.type : undefined, isContentEditable: t.isContentEditable },
  };
}
