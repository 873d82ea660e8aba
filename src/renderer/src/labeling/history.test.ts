import { describe, expect, it } from 'vitest';
import { EditHistory } from './history';

describe('canvas edit history', () => {
  it('undoes and redoes edits in order, and says when there is nothing to undo or redo', () => {
    const h = new EditHistory('empty');
    expect([h.canUndo, h.canRedo, h.undo(), h.redo()]).toEqual([false, false, null, null]);
    h.push('stroke 1');
    h.push('stroke 2');
    expect(h.undo()).toBe('stroke 1');
    expect(h.undo()).toBe('empty');
    expect(h.undo()).toBeNull();
    expect(h.current).toBe('empty');
    expect(h.redo()).toBe('stroke 1');
    expect(h.redo()).toBe('stroke 2');
    expect(h.redo()).toBeNull();
    expect(h.current).toBe('stroke 2');
  });

  it('an edit after undoing drops the undone states', () => {
    const h = new EditHistory(0);
    h.push(1);
    h.push(2);
    h.undo();
    h.push(3);
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toBe(1);
    expect(h.redo()).toBe(3);
  });

  it('knows whether the current state is the saved one, through undo and redo', () => {
    const h = new EditHistory('loaded');
    expect(h.dirty).toBe(false);
    h.push('a');
    expect(h.dirty).toBe(true);
    h.undo();
    expect(h.dirty).toBe(false);
    h.redo();
    h.markSaved();
    expect(h.dirty).toBe(false);
    h.undo();
    expect(h.dirty).toBe(true);
    h.reset('next image');
    expect([h.dirty, h.canUndo, h.current]).toEqual([false, false, 'next image']);
  });

  it('keeps at most `limit` states, dropping the oldest; a saved state that fell off stays unreachable', () => {
    const h = new EditHistory(0, 3);
    for (let i = 1; i <= 5; i++) h.push(i);
    expect(h.undo()).toBe(4);
    expect(h.undo()).toBe(3);
    expect(h.undo()).toBeNull();
    expect(h.dirty).toBe(true); // state 0 (saved) is gone
  });
});
