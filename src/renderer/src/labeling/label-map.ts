import type { Rgb } from '../overlay/colour';

// The label being edited, as the store keeps it: one byte per image pixel, 0 background, 1..254 a
// structure's value in the label schema, IGNORE_VALUE a region left out of the loss and the
// metrics. The brush, eraser and lasso paint one structure at a time on a binary layer (alpha
// > 127 = on, as the binary label always was); a finished edit is written back into the map.

/** The stored value of the ignore region (the main process' IGNORE_LABEL). */
export const IGNORE_VALUE = 255;

/** The binary layer of one value: 255 where the map holds it. */
export function layerOf(map: Uint8Array, value: number): Uint8Array {
  const alpha = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) if (map[i] === value) alpha[i] = 255;
  return alpha;
}

/**
 * The map after an edit of `value`'s layer: where the layer is on the pixel becomes `value` (over
 * whatever it was: painting one structure over another moves the pixel), where it is off a pixel
 * of `value` becomes background (erased). Pixels of other values the layer does not cover stay.
 */
export function withLayer(map: Uint8Array, layer: ArrayLike<number>, value: number): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    out[i] = layer[i]! > 127 ? value : v === value ? 0 : v;
  }
  return out;
}

/** Whether the map holds no structure (background and the ignore region only): it saves only as "no finding". */
export function hasNoStructure(map: Uint8Array): boolean {
  for (let i = 0; i < map.length; i++) if (map[i] !== 0 && map[i] !== IGNORE_VALUE) return false;
  return true;
}

/** 255 where the map holds a structure (not background, not ignore): the label a measurement reads. */
export function structureAlpha(map: Uint8Array): Uint8Array {
  const alpha = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) if (map[i] !== 0 && map[i] !== IGNORE_VALUE) alpha[i] = 255;
  return alpha;
}

/** Pixels per value present (background left out; the ignore region under IGNORE_VALUE). */
export function valuePixels(map: Uint8Array): Map<number, number> {
  const counts = new Uint32Array(256);
  for (let i = 0; i < map.length; i++) counts[map[i]!]!++;
  const out = new Map<number, number>();
  for (let v = 1; v < 256; v++) if (counts[v]) out.set(v, counts[v]!);
  return out;
}

/** Stripes of the ignore region, in image pixels: hatched, it reads as "left out", not as a structure. */
const HATCH = 4;

/**
 * RGBA of every pixel whose value is not `except` (the layer being edited, drawn on top of it), in
 * its structure's colour, opaque, the ignore region in diagonal stripes of its colour; background,
 * `except` and values without a colour transparent. `width`: the map's row length.
 */
export function paintValues(map: Uint8Array, width: number, except: number, colourOf: (value: number) => Rgb | null, out: Uint8ClampedArray): Uint8ClampedArray {
  const cache = new Map<number, Rgb | null>();
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    const at = i * 4;
    if (v === 0 || v === except) {
      out[at + 3] = 0;
      continue;
    }
    let c = cache.get(v);
    if (c === undefined) cache.set(v, (c = colourOf(v)));
    if (!c || (v === IGNORE_VALUE && Math.floor(((i % width) + Math.floor(i / width)) / HATCH) % 2 === 1)) {
      out[at + 3] = 0;
      continue;
    }
    out[at] = c[0];
    out[at + 1] = c[1];
    out[at + 2] = c[2];
    out[at + 3] = 255;
  }
  return out;
}
