import { describe, expect, it } from 'vitest';
import { MeasureTool, type Measurement } from './measure-tool';

describe('measure tool', () => {
  it('a left drag makes one measurement of the chosen kind, reported as it grows', () => {
    const seen: (Measurement | null)[] = [];
    let kind: 'line' | 'ellipse' = 'line';
    const t = new MeasureTool(() => kind, (m) => seen.push(m));
    expect(t.down({ x: 1, y: 2 }, { button: 2 })).toBe(false);
    expect(t.down({ x: 1, y: 2 }, { button: 0 })).toBe(true);
    expect(t.move({ x: 5, y: 2 }, {}, true)).toBe(true);
    expect(t.up({ x: 9, y: 2 }, {}, true)).toBe(true);
    expect(t.current).toEqual({ kind: 'line', a: { x: 1, y: 2 }, b: { x: 9, y: 2 } });
    expect(seen.length).toBe(2);
    // Hovering after the drag changes nothing.
    expect(t.move({ x: 50, y: 50 }, {}, false)).toBe(false);
    kind = 'ellipse';
    t.down({ x: 0, y: 0 }, { button: 0 });
    t.up({ x: 4, y: 4 }, {}, true);
    expect(t.current?.kind).toBe('ellipse');
    t.clear();
    expect(t.current).toBeNull();
    expect(seen.at(-1)).toBeNull();
  });
});
