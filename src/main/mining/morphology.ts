import type { Mask } from '../imaging/mask';

/** Binary dilation (grow = true) or erosion by a (2r+1)² square, separably: O(pixels × r). */
export function morph(mask: Mask, r: number, grow: boolean): Mask {
  if (r <= 0) return { ...mask, data: mask.data.slice() };
  const { width: w, height: h } = mask;
  const pass = (src: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = grow ? 0 : 1;
        for (let d = -r; d <= r; d++) {
          const xx = horizontal ? x + d : x;
          const yy = horizontal ? y : y + d;
          // Outside the image counts as background for dilation and as foreground for erosion,
          // so a mask touching the border is not eaten from the edge.
          const s = xx < 0 || yy < 0 || xx >= w || yy >= h ? (grow ? 0 : 1) : src[yy * w + xx]!;
          if (grow ? s : !s) {
            v = grow ? 1 : 0;
            break;
          }
        }
        out[y * w + x] = v;
      }
    }
    return out;
  };
  return { width: w, height: h, data: pass(pass(mask.data, true), false) };
}
