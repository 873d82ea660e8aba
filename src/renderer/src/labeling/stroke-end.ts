import type { PointerTool } from '../viewport/pointer-tool';

/**
 * The tool, with `onend` called once after each drag the tool claimed (a brush stroke, a lasso):
 * the moment one undo step ends. Everything else passes through unchanged.
 */
export function withStrokeEnd(tool: PointerTool, onend: () => void): PointerTool {
  return {
    down: (at, e) => tool.down(at, e),
    move: (at, e, claimed) => tool.move(at, e, claimed),
    up: (at, e, claimed) => {
      const changed = tool.up(at, e, claimed);
      if (claimed) onend();
      return changed || claimed;
    },
    leave: () => tool.leave?.() ?? false,
    wheel: (e) => tool.wheel?.(e) ?? false,
  };
}
