import { describe, expect, it } from 'vitest';
import { claimsKey, viewerKeyAction, type ViewerKeyContext } from './viewer-keys';

const press = (key: string, extra: Partial<Parameters<typeof viewerKeyAction>[0]> = {}) => ({
  key,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  inField: false,
  ...extra,
});
const ready: ViewerKeyContext = { hasImage: true, lassoOpen: false, structureFor: (k) => (k === '2' ? 2 : null) };

describe('viewerKeyAction', () => {
  it('leaves keys typed in a field, and modified keys, to the page', () => {
    expect(viewerKeyAction(press('b', { inField: true }), ready)).toBeNull();
    expect(viewerKeyAction(press('b', { ctrlKey: true }), ready)).toBeNull();
    expect(viewerKeyAction(press('ArrowDown', { altKey: true }), ready)).toBeNull();
  });

  it('steps frames with or without an image, everything else only on an image', () => {
    const none = { ...ready, hasImage: false };
    expect(viewerKeyAction(press('PageDown'), none)).toEqual({ kind: 'frame', delta: 1 });
    expect(viewerKeyAction(press(','), none)).toEqual({ kind: 'frame', delta: -1 });
    expect(viewerKeyAction(press('ArrowDown'), none)).toBeNull();
    expect(viewerKeyAction(press('b'), none)).toBeNull();
  });

  it('maps slices, series, cine, tools, structures and the brush size', () => {
    expect(viewerKeyAction(press('ArrowUp'), ready)).toEqual({ kind: 'stack', delta: -1 });
    expect(viewerKeyAction(press('ArrowRight'), ready)).toEqual({ kind: 'series', delta: 1 });
    expect(viewerKeyAction(press('C'), ready)).toEqual({ kind: 'cine' });
    expect(viewerKeyAction(press('E'), ready)).toEqual({ kind: 'tool', tool: 'eraser' });
    expect(viewerKeyAction(press('o'), ready)).toEqual({ kind: 'tool', tool: 'ellipse' });
    expect(viewerKeyAction(press('2'), ready)).toEqual({ kind: 'structure', value: 2 });
    expect(viewerKeyAction(press('3'), ready)).toBeNull();
    expect(viewerKeyAction(press(']'), ready)).toEqual({ kind: 'brush', larger: true });
    expect(viewerKeyAction(press('['), ready)).toEqual({ kind: 'brush', larger: false });
  });

  it('closes an open lasso on Enter (Shift: inverted) and backs out on Escape', () => {
    expect(viewerKeyAction(press('Enter'), ready)).toBeNull();
    expect(viewerKeyAction(press('Enter', { shiftKey: true }), { ...ready, lassoOpen: true })).toEqual({ kind: 'close-lasso', invert: true });
    expect(viewerKeyAction(press('Escape'), ready)).toEqual({ kind: 'escape' });
  });

  it('claims the keys the page would scroll or click with', () => {
    expect(claimsKey({ kind: 'stack', delta: 1 })).toBe(true);
    expect(claimsKey({ kind: 'close-lasso', invert: false })).toBe(true);
    expect(claimsKey({ kind: 'tool', tool: 'brush' })).toBe(false);
  });
});
