import { describe, expect, it } from 'vitest';
import type { Point } from '../viewport/navigation';
import { CLOSE_RADIUS, LassoTool, fillOutline, type FillMode, type FillTarget } from './lasso';

/** Screen = image pixels × scale; the pointer's client position follows. */
function setup(scale = 2) {
  const fills: { outline: Point[]; mode: FillMode }[] = [];
  const tool = new LassoTool(
    () => ({ width: 100, height: 80 }),
    () => scale,
    (outline, mode) => fills.push({ outline, mode }),
  );
  const ev = (p: Point, shiftKey = false) => ({ clientX: p.x * scale, clientY: p.y * scale, button: 0, shiftKey });
  const click = (p: Point, shiftKey = false) => {
    const claimed = tool.down(p, ev(p, shiftKey));
    tool.up(p, ev(p, shiftKey), claimed);
  };
  const drag = (path: Point[], shiftKey = false) => {
    const claimed = tool.down(path[0]!, ev(path[0]!));
    for (const p of path.slice(1)) tool.move(p, ev(p), claimed);
    tool.up(path.at(-1)!, ev(path.at(-1)!, shiftKey), claimed);
  };
  return { tool, fills, click, drag };
}

/** A 2D context that records the filled path and the compositing it was filled with. */
function fakeContext() {
  const calls: string[] = [];
  const ctx = {
    globalCompositeOperation: 'source-over',
    fillStyle: '',
    beginPath: () => calls.push('begin'),
    moveTo: (x: number, y: number) => calls.push(`M${x},${y}`),
    lineTo: (x: number, y: number) => calls.push(`L${x},${y}`),
    closePath: () => calls.push('Z'),
    fill: () => calls.push(`fill ${ctx.globalCompositeOperation} ${ctx.fillStyle}`),
  };
  return { ctx: ctx as unknown as FillTarget & { globalCompositeOperation: string }, calls };
}

describe('polygon and lasso fill', () => {
  it('clicks place vertices; a click on the first vertex fills the polygon', () => {
    const { tool, fills, click } = setup();
    click({ x: 10, y: 10 });
    click({ x: 50, y: 10 });
    click({ x: 50, y: 40 });
    expect(tool.open).toBe(true);
    expect(fills).toHaveLength(0);
    click({ x: 10 + CLOSE_RADIUS / 2 / 2, y: 10 }); // within CLOSE_RADIUS screen pixels at scale 2
    expect(fills).toEqual([{ outline: [{ x: 10, y: 10 }, { x: 50, y: 10 }, { x: 50, y: 40 }], mode: 'add' }]);
    expect(tool.open).toBe(false);
  });

  it('a double click (a click on the last vertex) closes too, and Shift at the close cuts', () => {
    const { fills, click } = setup();
    click({ x: 10, y: 10 });
    click({ x: 50, y: 10 });
    click({ x: 50, y: 40 });
    click({ x: 50, y: 40 }, true);
    expect(fills).toEqual([{ outline: [{ x: 10, y: 10 }, { x: 50, y: 10 }, { x: 50, y: 40 }], mode: 'cut' }]);
  });

  it('the closing distance is in screen pixels: zoomed out, the same image distance no longer closes', () => {
    const { fills, click } = setup(0.5);
    click({ x: 10, y: 10 });
    click({ x: 50, y: 10 });
    click({ x: 50, y: 40 });
    click({ x: 14, y: 10 }); // 4 image px = 2 screen px: closes
    expect(fills).toHaveLength(1);
    const far = setup(8);
    far.click({ x: 10, y: 10 });
    far.click({ x: 50, y: 10 });
    far.click({ x: 50, y: 40 });
    far.click({ x: 14, y: 10 }); // 4 image px = 32 screen px: a vertex
    expect(far.fills).toHaveLength(0);
    expect(far.tool.outline).toHaveLength(4);
  });

  it('a drag traces a freehand outline, clamped to the image, filled on release', () => {
    const { fills, drag } = setup();
    drag([
      { x: 20, y: 20 },
      { x: 20.1, y: 20 }, // under half a pixel from the last point: dropped
      { x: 60, y: 20 },
      { x: 140, y: 70 },
      { x: 20, y: 70 },
    ]);
    expect(fills).toEqual([
      {
        outline: [
          { x: 20, y: 20 },
          { x: 60, y: 20 },
          { x: 100, y: 70 },
          { x: 20, y: 70 },
        ],
        mode: 'add',
      },
    ]);
  });

  it('fewer than three vertices enclose nothing; Esc drops the outline; other buttons are left to the viewport', () => {
    const { tool, fills, click } = setup();
    click({ x: 10, y: 10 });
    click({ x: 50, y: 10 });
    tool.close();
    expect(fills).toHaveLength(0);
    expect(tool.outline).toEqual([]);
    click({ x: 10, y: 10 });
    tool.cancel();
    expect(tool.open).toBe(false);
    expect(tool.down({ x: 1, y: 1 }, { clientX: 0, clientY: 0, button: 2, shiftKey: false })).toBe(false);
  });

  it('fills white to add and cuts the alpha out to remove, leaving the context painting normally', () => {
    const { ctx, calls } = fakeContext();
    fillOutline(ctx, [{ x: 1, y: 1 }, { x: 5, y: 1 }, { x: 5, y: 4 }], 'add');
    expect(calls).toEqual(['begin', 'M1,1', 'L5,1', 'L5,4', 'Z', 'fill source-over #ffffff']);
    calls.length = 0;
    fillOutline(ctx, [{ x: 1, y: 1 }, { x: 5, y: 1 }, { x: 5, y: 4 }], 'cut');
    expect(calls.at(-1)).toBe('fill destination-out #ffffff');
    expect(ctx.globalCompositeOperation).toBe('source-over');
    calls.length = 0;
    fillOutline(ctx, [{ x: 1, y: 1 }, { x: 5, y: 1 }], 'add');
    expect(calls).toEqual([]);
  });
});
