import type { Point } from '../viewport/navigation';
import type { PointerTool, ToolPointer } from '../viewport/pointer-tool';

/** Correcting a mask by hand: 'pan' navigates, 'brush' adds to the mask, 'eraser' removes from it. */
export type BrushMode = 'pan' | 'brush' | 'eraser';

export const MIN_BRUSH = 1;
export const MAX_BRUSH = 400;

/** `]` grows the brush by a quarter (at least one pixel, so small brushes still grow). */
export function largerBrush(px: number): number {
  return Math.min(MAX_BRUSH, Math.round(px * 1.25 + 1));
}

/** `[` shrinks it by the same ratio. */
export function smallerBrush(px: number): number {
  return Math.max(MIN_BRUSH, Math.round(px / 1.25));
}

/** Alt+wheel over the image: up grows the brush, down shrinks it, by the steps of `]` and `[`. */
export function wheeledBrush(px: number, deltaY: number): number {
  return deltaY < 0 ? largerBrush(px) : deltaY > 0 ? smallerBrush(px) : px;
}

/** What a stroke needs of the editable mask's 2D context. */
export type StrokeTarget = Pick<
  CanvasRenderingContext2D,
  'globalCompositeOperation' | 'strokeStyle' | 'fillStyle' | 'lineWidth' | 'lineCap' | 'beginPath' | 'moveTo' | 'lineTo' | 'stroke'
>;

/**
 * One round-capped segment on the editable mask (white = mask, transparent = background): the
 * brush paints white, the eraser cuts the alpha out. A click is a zero-length segment, nudged so
 * the canvas draws its round cap.
 */
export function stroke(ctx: StrokeTarget, from: Point, to: Point, size: number, mode: 'brush' | 'eraser'): void {
  ctx.globalCompositeOperation = mode === 'eraser' ? 'destination-out' : 'source-over';
  ctx.strokeStyle = ctx.fillStyle = '#ffffff';
  ctx.lineWidth = size;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x + (from.x === to.x && from.y === to.y ? 0.01 : 0), to.y);
  ctx.stroke();
  ctx.globalCompositeOperation = 'source-over';
}

/** The state the brush reads from its owner at every event (the owner's state is reactive). */
export interface BrushState {
  mode: BrushMode;
  size: number;
  /** The editable mask's context, or null when no correction has started. */
  target: StrokeTarget | null;
}

/**
 * The brush as a viewport tool: a left press with a correction open paints and claims the drag;
 * anything else (pan mode, other buttons) is left to the viewport to pan. It keeps the hover
 * position so the owner can draw the brush outline.
 */
export class BrushTool implements PointerTool {
  cursor: Point | null = null;
  private last: Point | null = null;

  constructor(
    private readonly state: () => BrushState,
    private readonly onpaint: () => void,
  ) {}

  down(at: Point, e: ToolPointer): boolean {
    const s = this.state();
    if (e.button !== 0 || s.mode === 'pan' || !s.target) return false;
    stroke(s.target, at, at, s.size, s.mode);
    this.last = at;
    this.onpaint();
    return true;
  }

  move(at: Point, _e: ToolPointer, claimed: boolean): boolean {
    this.cursor = at;
    const s = this.state();
    if (claimed && this.last && s.target && s.mode !== 'pan') {
      stroke(s.target, this.last, at, s.size, s.mode);
      this.last = at;
      this.onpaint();
      return true;
    }
    return s.mode !== 'pan';
  }

  up(): boolean {
    this.last = null;
    return false;
  }

  leave(): boolean {
    this.cursor = null;
    return true;
  }
}

/** The brush outline at the pointer: solid yellow for the brush, dashed white for the eraser. */
export function drawBrushCursor(ctx: CanvasRenderingContext2D, at: Point, size: number, mode: 'brush' | 'eraser', scale: number, colour: string): void {
  ctx.lineWidth = 1.5 / scale;
  ctx.strokeStyle = mode === 'brush' ? colour : '#ffffff';
  ctx.setLineDash(mode === 'eraser' ? [4 / scale, 3 / scale] : []);
  ctx.beginPath();
  ctx.arc(at.x, at.y, size / 2, 0, Math.PI * 2);
  ctx.stroke();
}
