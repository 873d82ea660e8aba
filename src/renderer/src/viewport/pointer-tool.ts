import type { Point } from './navigation';

/** The part of a pointer event a tool reads; narrow so tools can be tested without a DOM. */
export type ToolPointer = Pick<PointerEvent, 'clientX' | 'clientY' | 'button' | 'shiftKey'>;

/**
 * A tool that edits or prompts on the image instead of navigating it. The Viewport maps the pointer
 * to image pixels and asks the tool first; a drag the tool does not claim pans (or windows).
 */
export interface PointerTool {
  /** A press; returning true claims the drag until release. */
  down(at: Point, e: ToolPointer): boolean;
  /** Every move, pressed or hovering; `claimed` says whether this tool owns the drag. True = overlay changed. */
  move(at: Point, e: ToolPointer, claimed: boolean): boolean;
  /** Release of a drag; `claimed` as for move. True = overlay changed. */
  up(at: Point, e: ToolPointer, claimed: boolean): boolean;
  /** The pointer left the viewport. True = overlay changed. */
  leave?(): boolean;
  /** A wheel turn over the image; true = the tool used it (the view does not zoom) and the overlay changed. */
  wheel?(e: Pick<WheelEvent, 'deltaY' | 'altKey'>): boolean;
}
