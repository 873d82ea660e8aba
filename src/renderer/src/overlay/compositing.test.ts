import { describe, expect, it } from 'vitest';
import { binaryMaskRgba, drawLayers, type LayerTarget } from './compositing';

function recorder() {
  const drawn: { source: unknown; alpha: number }[] = [];
  const ctx: LayerTarget = {
    globalAlpha: 1,
    drawImage(source) {
      drawn.push({ source, alpha: this.globalAlpha });
    },
  };
  return { ctx, drawn };
}

describe('overlay compositing', () => {
  it('draws visible layers bottom to top with their own opacity and restores full alpha', () => {
    const [a, b, c] = [{ n: 'a' }, { n: 'b' }, { n: 'c' }] as unknown as CanvasImageSource[];
    const { ctx, drawn } = recorder();
    drawLayers(ctx, [
      { source: a!, opacity: 0.45, visible: true },
      { source: b!, opacity: 0.9, visible: false },
      { source: null, opacity: 0.5, visible: true },
      { source: c!, opacity: 0.2, visible: true },
    ]);
    expect(drawn).toEqual([
      { source: a, alpha: 0.45 },
      { source: c, alpha: 0.2 },
    ]);
    expect(ctx.globalAlpha).toBe(1);
  });

  it('turns an alpha mask into opaque black and white only', () => {
    const src = [9, 9, 9, 255, 9, 9, 9, 128, 200, 200, 200, 127, 0, 0, 0, 0];
    expect([...binaryMaskRgba(src)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  });
});
