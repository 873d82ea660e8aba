import { binaryMaskRgba } from '../overlay/compositing';

/** The correction drawn in `colour` (its white pixels tinted, alpha kept) into `scratch`, ready to composite. */
export function tintInto(scratch: HTMLCanvasElement, edit: HTMLCanvasElement, colour: string): HTMLCanvasElement {
  scratch.width = edit.width;
  scratch.height = edit.height;
  const s = scratch.getContext('2d')!;
  s.drawImage(edit, 0, 0);
  s.globalCompositeOperation = 'source-in';
  s.fillStyle = colour;
  s.fillRect(0, 0, edit.width, edit.height);
  s.globalCompositeOperation = 'source-over';
  return scratch;
}

/** The correction as the contract wants it: a PNG of the image's size, opaque black and white only. */
export function correctionPngDataUrl(edit: HTMLCanvasElement): string {
  const c = document.createElement('canvas');
  c.width = edit.width;
  c.height = edit.height;
  const src = edit.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  const ctx = c.getContext('2d')!;
  const out = ctx.createImageData(c.width, c.height);
  out.data.set(binaryMaskRgba(src));
  ctx.putImageData(out, 0, 0);
  return c.toDataURL('image/png');
}
