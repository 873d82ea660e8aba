import type { Point } from '../viewport/navigation';
import type { PointerTool } from '../viewport/pointer-tool';

export type MeasureKind = 'line' | 'ellipse';

/** A finished or in-progress measurement: a line (a → b) or an ellipse in the box a–b. */
export interface Measurement {
  kind: MeasureKind;
  a: Point;
  b: Point;
}

/**
 * Drag to measure: a line or an ellipse from press to release, in image pixels. One measurement at
 * a time (the last one), so the readout always names what is on the image.
 */
export class MeasureTool implements PointerTool {
  current: Measurement | null = null;
  private dragging = false;

  constructor(
    private readonly kind: () => MeasureKind,
    private readonly changed: (m: Measurement | null) => void,
  ) {}

  down(at: Point, e: { button: number }): boolean {
    if (e.button !== 0) return false;
    this.current = { kind: this.kind(), a: at, b: at };
    this.dragging = true;
    return true;
  }

  move(at: Point, _e: unknown, claimed: boolean): boolean {
    if (!claimed || !this.dragging || !this.current) return false;
    this.current = { ...this.current, b: at };
    this.changed(this.current);
    return true;
  }

  up(at: Point, _e: unknown, claimed: boolean): boolean {
    if (!claimed || !this.current) return false;
    this.dragging = false;
    this.current = { ...this.current, b: at };
    this.changed(this.current);
    return true;
  }

  clear(): void {
    this.current = null;
    this.dragging = false;
    this.changed(null);
  }
}

/** Draws the measurement and its label in image coordinates; `scale` keeps lines and text screen-sized. */
export function drawMeasurement(ctx: CanvasRenderingContext2D, m: Measurement, scale: number, text: string, colour = '#ffeb3b'): void {
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = 1.5 / scale;
  ctx.beginPath();
  if (m.kind === 'line') {
    ctx.moveTo(m.a.x, m.a.y);
    ctx.lineTo(m.b.x, m.b.y);
  } else {
    const rx = Math.abs(m.b.x - m.a.x) / 2;
    const ry = Math.abs(m.b.y - m.a.y) / 2;
    ctx.ellipse((m.a.x + m.b.x) / 2, (m.a.y + m.b.y) / 2, rx, ry, 0, 0, 2 * Math.PI);
  }
  ctx.stroke();
  if (text) {
    ctx.font = `${13 / scale}px system-ui, sans-serif`;
    ctx.lineWidth = 3 / scale;
    ctx.strokeStyle = 'rgba(0,0,0,0.8)';
    const x = Math.max(m.a.x, m.b.x) + 6 / scale;
    const y = Math.max(m.a.y, m.b.y);
    ctx.strokeText(text, x, y);
    ctx.fillText(text, x, y);
  }
  ctx.restore();
}
