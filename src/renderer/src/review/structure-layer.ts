import { paintValues } from '../labeling/label-map';
import { loadHtmlImage } from '../lib/images';
import { hexToRgb } from '../overlay/colour';

/**
 * A version with several structures drawn as the Viewer draws a label map: each structure in its
 * schema colour (`colours`, value → colour), from the PNG of its values.
 */
export async function structureLayer(labelMapDataUrl: string, colours: ReadonlyMap<number, string>): Promise<HTMLCanvasElement> {
  const img = await loadHtmlImage(labelMapDataUrl);
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const values = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < values.length; i++) values[i] = data.data[i * 4]!; // a grey PNG: the value in R, G and B
  paintValues(values, canvas.width, -1, (v) => (colours.has(v) ? hexToRgb(colours.get(v)!) : null), data.data);
  ctx.putImageData(data, 0, 0);
  return canvas;
}
