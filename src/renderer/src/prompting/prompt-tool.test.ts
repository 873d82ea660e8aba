import { describe, expect, it } from 'vitest';
import { PromptTool, type Prompts } from './prompt-tool';

const press = (clientX: number, clientY: number, button = 0, shiftKey = false) => ({ clientX, clientY, button, shiftKey });

function tool() {
  const asked: Prompts[] = [];
  const t = new PromptTool(() => ({ width: 100, height: 80 }), (p) => asked.push(structuredClone(p)));
  return { t, asked };
}

describe('SAM prompt tool', () => {
  it('a click is a positive point, right- or shift-click a negative one, clamped to the image', () => {
    const { t, asked } = tool();
    expect(t.down({ x: 10, y: 20 }, press(0, 0))).toBe(true);
    t.up({ x: 10, y: 20 }, press(0, 0), true);
    t.down({ x: 150, y: 20 }, press(5, 5, 2));
    t.up({ x: 150, y: 20 }, press(5, 5, 2), true);
    t.down({ x: 1, y: 1 }, press(9, 9, 0, true));
    t.up({ x: 1, y: 1 }, press(9, 9, 0, true), true);
    expect(asked.at(-1)).toEqual({
      points: [
        { x: 10, y: 20, label: 1 },
        { x: 100, y: 20, label: 0 },
        { x: 1, y: 1, label: 0 },
      ],
      box: null,
    });
  });

  it('a left drag beyond 4 screen pixels is a box, drafted while dragging', () => {
    const { t, asked } = tool();
    t.down({ x: 50, y: 60 }, press(100, 100));
    expect(t.move({ x: 51, y: 61 }, press(102, 102), true)).toBe(false);
    expect(t.move({ x: 20, y: 90 }, press(130, 90), true)).toBe(true);
    expect(t.draft).toEqual({ x0: 20, y0: 60, x1: 50, y1: 80 });
    t.up({ x: 20, y: 90 }, press(130, 90), true);
    expect(t.draft).toBeNull();
    expect(asked).toEqual([{ points: [], box: { x0: 20, y0: 60, x1: 50, y1: 80 } }]);
  });

  it('a right drag makes no box; clear forgets everything', () => {
    const { t } = tool();
    t.down({ x: 50, y: 60 }, press(100, 100, 2));
    expect(t.move({ x: 10, y: 10 }, press(160, 160, 2), true)).toBe(false);
    t.up({ x: 10, y: 10 }, press(160, 160, 2), true);
    expect(t.points).toHaveLength(1);
    t.clear();
    expect([t.points, t.box, t.draft]).toEqual([[], null, null]);
  });
});
