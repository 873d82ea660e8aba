import { paintValues } from '../labeling/label-map';
import { repaintPng } from '../lib/images';
import { hexToRgb } from '../overlay/colour';

/**
 * A version with several structures drawn as the Viewer draws a label map: each structure in its
 * schema colour (`colours`, value → colour), from the PNG of its values.
 */
export function structureLayer(labelMapDataUrl: string, colours: ReadonlyMap<number, string>): Promise<HTMLCanvasElement> {
  return repaintPng(labelMapDataUrl, (rgba, width) => {
    const values = new Uint8Array(rgba.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = rgba[i * 4]!; // a grey PNG: the value in R, G and B
    paintValues(values, width, -1, (v) => (colours.has(v) ? hexToRgb(colours.get(v)!) : null), rgba);
  });
}
