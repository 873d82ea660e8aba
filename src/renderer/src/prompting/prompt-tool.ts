import type { ModePrediction } from '../../../shared/contract';
import { COLOURS } from '../overlay/colour';
import { clampToImage, type Point } from '../viewport/navigation';
import type { PointerTool, ToolPointer } from '../viewport/pointer-tool';

export interface PromptPoint extends Point {
  label: 0 | 1;
}
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface Prompts {
  points: PromptPoint[];
  box: Box | null;
}

/** Farther than this (screen pixels) from the press, a left drag is a box rather than a click. */
const DRAG_THRESHOLD = 4;

/**
 * Prompting the teacher on the image: click = positive point, right-click or shift-click = negative
 * point, left drag = box. The tool claims every press, so prompting never pans or windows.
 */
export class PromptTool implements PointerTool {
  points: PromptPoint[] = [];
  box: Box | null = null;
  /** The box being dragged, shown before it becomes the prompt. */
  draft: Box | null = null;
  private press: { clientX: number; clientY: number; origin: Point; button: number } | null = null;

  constructor(
    private readonly size: () => { width: number; height: number } | null,
    private readonly onprompt: (prompts: Prompts) => void,
  ) {}

  private clamp(p: Point): Point {
    const s = this.size();
    return s ? clampToImage(p, s.width, s.height) : p;
  }

  down(at: Point, e: ToolPointer): boolean {
    this.press = { clientX: e.clientX, clientY: e.clientY, origin: this.clamp(at), button: e.button };
    return true;
  }

  move(at: Point, e: ToolPointer, claimed: boolean): boolean {
    const press = this.press;
    if (!claimed || !press || press.button !== 0) return false;
    if (Math.hypot(e.clientX - press.clientX, e.clientY - press.clientY) <= DRAG_THRESHOLD) return false;
    const p = this.clamp(at);
    this.draft = {
      x0: Math.min(press.origin.x, p.x),
      y0: Math.min(press.origin.y, p.y),
      x1: Math.max(press.origin.x, p.x),
      y1: Math.max(press.origin.y, p.y),
    };
    return true;
  }

  up(at: Point, e: ToolPointer, claimed: boolean): boolean {
    const press = this.press;
    this.press = null;
    if (!claimed || !press) return false;
    if (this.draft) {
      this.box = this.draft;
      this.draft = null;
    } else {
      const p = this.clamp(at);
      this.points = [...this.points, { x: p.x, y: p.y, label: press.button === 2 || e.shiftKey ? 0 : 1 }];
    }
    this.onprompt({ points: this.points, box: this.box });
    return true;
  }

  clear(): void {
    this.points = [];
    this.box = null;
    this.draft = null;
    this.press = null;
  }
}

/** The user's prompts (box, points) and, when shown, what the student would ask the teacher (dashed). */
export function drawPrompts(
  ctx: CanvasRenderingContext2D,
  scale: number,
  user: { points: readonly PromptPoint[]; box: Box | null },
  derived: ModePrediction['prompts'] | null,
): void {
  ctx.lineWidth = 2 / scale;
  if (user.box) {
    ctx.strokeStyle = COLOURS.promptBox;
    ctx.strokeRect(user.box.x0, user.box.y0, user.box.x1 - user.box.x0, user.box.y1 - user.box.y0);
  }
  if (derived) {
    ctx.setLineDash([6 / scale, 4 / scale]);
    for (const pr of derived) {
      if (pr.box) {
        ctx.strokeStyle = COLOURS.derivedPrompt;
        ctx.strokeRect(pr.box.x0, pr.box.y0, pr.box.x1 - pr.box.x0, pr.box.y1 - pr.box.y0);
      }
      for (const pt of pr.points) {
        ctx.fillStyle = COLOURS.derivedPrompt;
        ctx.beginPath();
        ctx.arc(pt.x, pt.y, 4 / scale, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    ctx.setLineDash([]);
  }
  for (const p of user.points) {
    ctx.fillStyle = p.label === 1 ? COLOURS.positivePoint : COLOURS.negativePoint;
    ctx.strokeStyle = '#000';
    ctx.beginPath();
    ctx.arc(p.x, p.y, 5 / scale, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}
