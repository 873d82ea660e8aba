import { describe, expect, it } from 'vitest';
import { BrushTool, MAX_BRUSH, MIN_BRUSH, largerBrush, smallerBrush, stroke, wheeledBrush, type BrushMode, type StrokeTarget } from './brush';

/** A 2D context that records each stroke with the state it was drawn in. */
function fakeContext() {
  const strokes: { op: string; width: number; from: [number, number]; to: [number, number] }[] = [];
  let from: [number, number] = [0, 0];
  let to: [number, number] = [0, 0];
  const ctx = {
    globalCompositeOperation: 'source-over',
    strokeStyle: '',
    fillStyle: '',
    lineWidth: 1,
    lineCap: 'butt',
    beginPath() {},
    moveTo(x: number, y: number) {
      from = [x, y];
    },
    lineTo(x: number, y: number) {
      to = [x, y];
    },
    stroke() {
      strokes.push({ op: ctx.globalCompositeOperation, width: ctx.lineWidth, from, to });
    },
  };
  return { ctx: ctx as unknown as StrokeTarget & { globalCompositeOperation: string }, strokes };
}

const press = (button = 0) => ({ clientX: 0, clientY: 0, button, shiftKey: false });

describe('brush editor', () => {
  it('] and [ step the size by a quarter within limits, and ] always grows', () => {
    expect(largerBrush(16)).toBe(21);
    expect(largerBrush(1)).toBe(2);
    expect(smallerBrush(21)).toBe(17);
    expect(largerBrush(MAX_BRUSH)).toBe(MAX_BRUSH);
    expect(smallerBrush(MIN_BRUSH)).toBe(MIN_BRUSH);
  });

  it('the wheel steps the size like ] (up) and [ (down)', () => {
    expect(wheeledBrush(16, -100)).toBe(largerBrush(16));
    expect(wheeledBrush(16, 100)).toBe(smallerBrush(16));
    expect(wheeledBrush(16, 0)).toBe(16);
  });

  it('the brush paints, the eraser cuts out, and the context is left painting normally', () => {
    const { ctx, strokes } = fakeContext();
    stroke(ctx, { x: 1, y: 2 }, { x: 5, y: 6 }, 12, 'brush');
    stroke(ctx, { x: 3, y: 3 }, { x: 3, y: 3 }, 8, 'eraser');
    expect(strokes).toEqual([
      { op: 'source-over', width: 12, from: [1, 2], to: [5, 6] },
      { op: 'destination-out', width: 8, from: [3, 3], to: [3.01, 3] },
    ]);
    expect(ctx.globalCompositeOperation).toBe('source-over');
  });

  it('as a viewport tool: paints connected segments on a left drag with a correction open', () => {
    const { ctx, strokes } = fakeContext();
    let painted = 0;
    const tool = new BrushTool(() => ({ mode: 'brush', size: 10, target: ctx }), () => painted++);
    expect(tool.down({ x: 0, y: 0 }, press())).toBe(true);
    tool.move({ x: 4, y: 0 }, press(), true);
    tool.move({ x: 4, y: 7 }, press(), true);
    tool.up();
    expect(strokes.map((s) => [s.from, s.to])).toEqual([
      [[0, 0], [0.01, 0]],
      [[0, 0], [4, 0]],
      [[4, 0], [4, 7]],
    ]);
    expect(painted).toBe(3);
  });

  it('leaves the drag to the viewport (pan) in pan mode, without a correction, or with another button', () => {
    const { ctx, strokes } = fakeContext();
    let state: { mode: BrushMode; target: StrokeTarget | null } = { mode: 'pan', target: ctx };
    const tool = new BrushTool(() => ({ ...state, size: 10 }), () => {});
    expect(tool.down({ x: 0, y: 0 }, press())).toBe(false);
    state = { mode: 'brush', target: null };
    expect(tool.down({ x: 0, y: 0 }, press())).toBe(false);
    state = { mode: 'eraser', target: ctx };
    expect(tool.down({ x: 0, y: 0 }, press(2))).toBe(false);
    expect(tool.move({ x: 9, y: 9 }, press(2), false)).toBe(true); // hovering redraws the outline
    expect(strokes).toEqual([]);
    expect(tool.cursor).toEqual({ x: 9, y: 9 });
    expect(tool.leave()).toBe(true);
    expect(tool.cursor).toBeNull();
  });
});
