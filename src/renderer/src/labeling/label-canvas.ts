import { loadHtmlImage } from '../lib/images';
import { alphaOf, rgbaOf } from './label-session';

/**
 * The editable label at the image's full resolution: white where the mask is on, transparent
 * elsewhere — the form brush, eraser and lasso paint on, and what correctionPngDataUrl encodes.
 */
export class LabelCanvas {
  readonly canvas = document.createElement('canvas');
  readonly ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;

  /** Starts from a mask PNG (0/255) or, with null, from nothing. */
  async load(dataUrl: string | null, width: number, height: number): Promise<void> {
    this.canvas.width = width;
    this.canvas.height = height;
    this.ctx.clearRect(0, 0, width, height);
    if (dataUrl) await this.paste(dataUrl);
  }

  /** Replaces the label with a mask PNG (0/255): white pixels on, black off. */
  async paste(dataUrl: string): Promise<void> {
    const img = await loadHtmlImage(dataUrl);
    const { width, height } = this.canvas;
    const tmp = document.createElement('canvas');
    tmp.width = width;
    tmp.height = height;
    const t = tmp.getContext('2d')!;
    t.drawImage(img, 0, 0, width, height);
    const px = t.getImageData(0, 0, width, height);
    const alpha = new Uint8Array(width * height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = px.data[i * 4]! > 127 ? 255 : 0;
    this.restore(alpha);
  }

  /** The mask's alpha as it is now: what history keeps. */
  snapshot(): Uint8Array {
    return canvasAlpha(this.canvas);
  }

  /** Puts a snapshot back. */
  restore(alpha: Uint8Array): void {
    putCanvasAlpha(this.canvas, alpha);
  }
}

/** The alpha of an editable mask canvas (white = on, transparent = off). */
export function canvasAlpha(canvas: HTMLCanvasElement): Uint8Array {
  return alphaOf(canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height).data);
}

/** Puts an alpha snapshot back on an editable mask canvas of the same size. */
export function putCanvasAlpha(canvas: HTMLCanvasElement, alpha: Uint8Array): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const data = ctx.createImageData(canvas.width, canvas.height);
  rgbaOf(alpha, data.data);
  ctx.putImageData(data, 0, 0);
}
