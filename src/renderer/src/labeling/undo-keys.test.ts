import { describe, expect, it } from 'vitest';
import { editsText, undoKey, type UndoKeyPress } from './undo-keys';

const press = (over: Partial<UndoKeyPress>): UndoKeyPress => ({
  key: 'z',
  ctrlKey: true,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  target: { tagName: 'BODY' },
  ...over,
});

describe('undo keys', () => {
  it('Ctrl+Z / ⌘Z undo, Ctrl+Shift+Z and Ctrl+Y redo on the canvas', () => {
    expect(undoKey(press({}))).toBe('undo');
    expect(undoKey(press({ ctrlKey: false, metaKey: true }))).toBe('undo');
    expect(undoKey(press({ key: 'Z', shiftKey: true }))).toBe('redo');
    expect(undoKey(press({ key: 'y' }))).toBe('redo');
    expect(undoKey(press({ key: 'y', ctrlKey: false, metaKey: true }))).toBe('redo');
  });

  it('leaves other keys and combinations alone', () => {
    expect(undoKey(press({ ctrlKey: false }))).toBeNull();
    expect(undoKey(press({ altKey: true }))).toBeNull();
    expect(undoKey(press({ key: 'x' }))).toBeNull();
    expect(undoKey(press({ key: 'Y', shiftKey: true }))).toBeNull();
  });

  it('in a text field the browser undoes the text, not the canvas', () => {
    for (const target of [
      { tagName: 'INPUT', type: 'text' },
      { tagName: 'INPUT' },
      { tagName: 'INPUT', type: 'number' },
      { tagName: 'TEXTAREA' },
      { tagName: 'DIV', isContentEditable: true },
    ]) {
      expect(editsText(target)).toBe(true);
      expect(undoKey(press({ target }))).toBeNull();
      expect(undoKey(press({ target, key: 'y' }))).toBeNull();
    }
  });

  it('on a button, checkbox, slider or the canvas the canvas history answers', () => {
    for (const target of [{ tagName: 'BUTTON' }, { tagName: 'INPUT', type: 'checkbox' }, { tagName: 'INPUT', type: 'range' }, { tagName: 'CANVAS' }, null]) {
      expect(editsText(target)).toBe(false);
      expect(undoKey(press({ target }))).toBe('undo');
    }
  });
});
