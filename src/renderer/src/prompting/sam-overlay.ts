import { forEachOnRun, type CompactMask } from '../../../shared/compact-mask';
import { hexToRgb, type Rgb } from '../overlay/colour';

/**
 * SAM's answer to a prompt drawn straight from its compact mask: the runs are written into one
 * reused RGBA buffer and put on one reused canvas, which the viewport scales on the GPU. No image
 * is decoded per prompt.
 */
export class SamOverlay {
  readonly canvas: HTMLCanvasElement;
  private pixels: ImageData | null = null;
  /** The last mask's runs, as label pixels (255 on): what "Use SAM proposal" takes. */
  private last: CompactMask | null = null;

  constructor(canvas: HTMLCanvasElement = document.createElement('canvas')) {
    this.canvas = canvas;
  }

  get mask(): CompactMask | null {
    return this.last;
  }

  /** Paints `mask` in `colour` (a CSS hex or RGB triple), transparent elsewhere. */
  paint(mask: CompactMask, colour: Rgb | string): HTMLCanvasElement {
    const [r, g, b] = typeof colour === 'string' ? hexToRgb(colour) : colour;
    const { width, height } = mask;
    if (!this.pixels || this.pixels.width !== width || this.pixels.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.pixels = new ImageData(width, height);
    }
    const px = new Uint32Array(this.pixels.data.buffer);
    px.fill(0);
    // RGBA bytes in memory order; a little-endian Uint32 holds them as ABGR.
    const on = ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
    forEachOnRun(mask, (s, e) => px.fill(on, s, e));
    this.canvas.getContext('2d')!.putImageData(this.pixels, 0, 0);
    this.last = mask;
    return this.canvas;
  }

  clear(): void {
    this.last = null;
  }
}

/** A compact mask as a label's alpha (0/255 per pixel), for LabelCanvas.restore. */
export function maskAlpha(mask: CompactMask): Uint8Array {
  const alpha = new Uint8Array(mask.width * mask.height);
  forEachOnRun(mask, (s, e) => alpha.fill(255, s, e));
  return alpha;
}
