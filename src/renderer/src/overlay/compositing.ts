/** A raster overlay as the viewport stacks it over the image (in image pixels, at the image's size). */
export interface OverlayLayer {
  source: CanvasImageSource | null;
  opacity: number;
  visible: boolean;
}

/** What compositing needs of a 2D context; a narrow type so tests can record the calls. */
export interface LayerTarget {
  globalAlpha: number;
  drawImage(source: CanvasImageSource, dx: number, dy: number): void;
}

/** Draws the layers bottom to top, each with its own opacity; hidden or missing ones are skipped. */
export function drawLayers(ctx: LayerTarget, layers: readonly OverlayLayer[]): void {
  for (const layer of layers) {
    if (!layer.visible || !layer.source) continue;
    ctx.globalAlpha = layer.opacity;
    ctx.drawImage(layer.source, 0, 0);
  }
  ctx.globalAlpha = 1;
}

/**
 * RGBA whose alpha says "mask" (> 127) turned into what the contract wants of a mask PNG: opaque
 * black (0) and white (255) only, so antialiased brush edges cannot leak grey values.
 */
export function binaryMaskRgba(src: ArrayLike<number>): Uint8ClampedArray {
  const out = new Uint8ClampedArray(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const v = src[i + 3]! > 127 ? 255 : 0;
    out[i] = out[i + 1] = out[i + 2] = v;
    out[i + 3] = 255;
  }
  return out;
}
