/**
 * A label map (one byte per pixel: 0 background, 1..254 a structure's value, 255 ignore) small
 * enough to send between the renderer and the main process as JSON: row-major runs, each a value
 * and how many pixels it covers. Brush strokes, lasso fills and SAM proposals are smooth regions,
 * so a map holds a few runs per row. Pure TypeScript: both processes import it.
 * (Binary masks per SAM prompt have their own, tighter form in compact-mask.ts.)
 */

export interface CompactLabelMap {
  width: number;
  height: number;
  values: number[];
  counts: number[];
}

export function encodeCompactLabelMap(data: Uint8Array, width: number, height: number): CompactLabelMap {
  if (data.length !== width * height) throw new Error(`label map has ${data.length} pixels, ${width}×${height} needs ${width * height}`);
  const values: number[] = [];
  const counts: number[] = [];
  let start = 0;
  for (let i = 1; i <= data.length; i++) {
    if (i < data.length && data[i] === data[start]) continue;
    values.push(data[start]!);
    counts.push(i - start);
    start = i;
  }
  return { width, height, values, counts };
}

/** One byte per pixel; runs that do not cover the map exactly, or values outside 0..255, are refused. */
export function decodeCompactLabelMap(map: CompactLabelMap): Uint8Array {
  const n = map.width * map.height;
  if (map.values.length !== map.counts.length) throw new Error(`the label map has ${map.values.length} values for ${map.counts.length} runs`);
  const out = new Uint8Array(n);
  let at = 0;
  for (let k = 0; k < map.counts.length; k++) {
    const len = map.counts[k]!;
    const value = map.values[k]!;
    if (!(Number.isInteger(len) && len >= 0) || at + len > n) throw new Error('a label-map run goes past the image');
    if (!(Number.isInteger(value) && value >= 0 && value <= 255)) throw new Error(`label-map value ${value} is not a byte`);
    out.fill(value, at, at + len);
    at += len;
  }
  if (at !== n) throw new Error(`the label map's runs cover ${at} of ${n} pixels`);
  return out;
}
