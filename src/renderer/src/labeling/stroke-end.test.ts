import { describe, expect, it } from 'vitest';
import type { PointerTool } from '../viewport/pointer-tool';
import { withStrokeEnd } from './stroke-end';

const ev = { clientX: 0, clientY: 0, button: 0, shiftKey: false };

describe('stroke end', () => {
  it('calls back once per claimed drag, after the tool saw the release, and never for a drag the tool left to the viewport', () => {
    const seen: string[] = [];
    const inner: PointerTool = {
      down: (at) => (seen.push(`down ${at.x}`), at.x > 0),
      move: () => (seen.push('move'), true),
      up: () => (seen.push('up'), false),
    };
    const tool = withStrokeEnd(inner, () => seen.push('end'));
    const claimed = tool.down({ x: 1, y: 0 }, ev);
    tool.move({ x: 2, y: 0 }, ev, claimed);
    expect(tool.up({ x: 2, y: 0 }, ev, claimed)).toBe(true); // the stroke changed the overlay
    const panned = tool.down({ x: 0, y: 0 }, ev);
    expect(tool.up({ x: 0, y: 0 }, ev, panned)).toBe(false);
    expect(seen).toEqual(['down 1', 'move', 'up', 'end', 'down 0', 'up']);
    expect(tool.wheel!({ deltaY: 1, altKey: true })).toBe(false);
    expect(tool.leave!()).toBe(false);
  });
});
