import { clampToImage, type Point } from '../viewport/navigation';
import type { PointerTool, ToolPointer } from '../viewport/pointer-tool';

/** Farther than this (screen pixels) from the press, a drag traces a freehand lasso instead of placing a vertex. */
const DRAG_THRESHOLD = 4;
/** A click this close (screen pixels) to the first vertex, or to the last one (a double click), closes the polygon. */
export const CLOSE_RADIUS = 8;

export type FillMode = 'add' | 'cut';

/** What a fill needs of the editable mask's 2D context (white = mask, transparent = background). */
export type FillTarget = Pick<
  CanvasRenderingContext2D,
  'globalCompositeOperation' | 'fillStyle' | 'beginPath' | 'moveTo' | 'lineTo' | 'closePath' | 'fill'
>;

/** Fills the closed outline on the mask: white adds, a cut removes (alpha cut out), like brush and eraser. */
export function fillOutline(ctx: FillTarget, outline: readonly Point[], mode: FillMode): void {
  if (outline.length < 3) return;
  ctx.globalCompositeOperation = mode === 'cut' ? 'destination-out' : 'source-over';
  ctx.fillStyle = '#ffffff';
  ctx.beginPath();
  ctx.moveTo(outline[0]!.x, outline[0]!.y);
  for (const p of outline.slice(1)) ctx.lineTo(p.x, p.y);
  ctx.closePath();
  ctx.fill();
  ctx.globalCompositeOperation = 'source-over';
}

/**
 * Polygon and lasso fill as a viewport tool. A left drag traces a freehand outline, filled on
 * release; left clicks place polygon vertices, and a click on the first vertex, a double click, or
 * `close()` (Enter) fills it. Shift held when the outline closes cuts it out instead of adding.
 */
export class LassoTool implements PointerTool {
  /** The outline being made, in image pixels (clamped to the image). */
  outline: Point[] = [];
  /** The hover position while a polygon is open, for the rubber band to it. */
  cursor: Point | null = null;
  private press: { clientX: number; clientY: number; freehand: boolean } | null = null;

  constructor(
    private readonly size: () => { width: number; height: number } | null,
    /** Screen pixels per image pixel, so closing distances stay the same at any zoom. */
    private readonly scale: () => number,
    private readonly onfill: (outline: Point[], mode: FillMode) => void,
  ) {}

  private clamp(p: Point): Point {
    const s = this.size();
    return s ? clampToImage(p, s.width, s.height) : p;
  }

  private near(a: Point | undefined, b: Point): boolean {
    return a !== undefined && Math.hypot(a.x - b.x, a.y - b.y) * this.scale() <= CLOSE_RADIUS;
  }

  /** Whether a polygon is open (vertices placed, not yet filled). */
  get open(): boolean {
    return this.outline.length > 0 && this.press === null;
  }

  down(at: Point, e: ToolPointer): boolean {
    if (e.button !== 0) return false;
    this.press = { clientX: e.clientX, clientY: e.clientY, freehand: false };
    if (this.outline.length === 0) this.outline = [this.clamp(at)];
    return true;
  }

  move(at: Point, e: ToolPointer, claimed: boolean): boolean {
    const p = this.clamp(at);
    const press = this.press;
    if (!claimed || !press) {
      if (this.outline.length === 0) return false;
      this.cursor = p;
      return true;
    }
    if (!press.freehand && Math.hypot(e.clientX - press.clientX, e.clientY - press.clientY) <= DRAG_THRESHOLD) return false;
    press.freehand = true;
    // Points closer than half an image pixel add nothing to the outline but its length.
    const last = this.outline.at(-1)!;
    if (Math.hypot(last.x - p.x, last.y - p.y) >= 0.5) this.outline.push(p);
    return true;
  }

  up(at: Point, e: ToolPointer, claimed: boolean): boolean {
    const press = this.press;
    this.press = null;
    if (!claimed || !press) return false;
    if (press.freehand) {
      this.finish(e.shiftKey);
      return true;
    }
    const p = this.clamp(at);
    const n = this.outline.length;
    if (n >= 3 && (this.near(this.outline[0], p) || this.near(this.outline[n - 1], p))) this.finish(e.shiftKey);
    else if (n > 1 || !this.near(this.outline[0], p)) this.outline.push(p);
    return true;
  }

  leave(): boolean {
    this.cursor = null;
    return this.outline.length > 0;
  }

  /** Fills the open polygon (Enter); fewer than three vertices enclose nothing and are dropped. */
  close(cut = false): void {
    this.finish(cut);
  }

  /** Drops the outline without filling (Esc). */
  cancel(): void {
    this.outline = [];
    this.cursor = null;
    this.press = null;
  }

  private finish(cut: boolean): void {
    const outline = this.outline;
    this.cancel();
    if (outline.length >= 3) this.onfill(outline, cut ? 'cut' : 'add');
  }
}

/** The outline being made: the path so far, the rubber band to the pointer, the first vertex marked. */
export function drawOutline(ctx: CanvasRenderingContext2D, tool: LassoTool, scale: number, colour: string): void {
  const o = tool.outline;
  if (o.length === 0) return;
  ctx.lineWidth = 1.5 / scale;
  ctx.strokeStyle = colour;
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(o[0]!.x, o[0]!.y);
  for (const p of o.slice(1)) ctx.lineTo(p.x, p.y);
  if (tool.cursor && tool.open) ctx.lineTo(tool.cursor.x, tool.cursor.y);
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(o[0]!.x, o[0]!.y, CLOSE_RADIUS / scale, 0, Math.PI * 2);
  ctx.stroke();
}
