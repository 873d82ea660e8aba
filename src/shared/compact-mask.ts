/**
 * A binary mask small enough to send per SAM prompt (no PNG, no data URL): row-major runs of
 * alternating 0s and 1s, starting with 0s (COCO's uncompressed RLE order), or, when a ragged mask
 * would need more runs than that costs, the pixels bit-packed (most significant bit first) in
 * base64. The main process encodes; the renderer decodes straight into an overlay's pixels.
 * Pure TypeScript: both processes import it.
 */

export type CompactMask =
  | { encoding: 'rle'; width: number; height: number; counts: number[] }
  | { encoding: 'bits'; width: number; height: number; base64: string };

/** JSON digits of a run count are ~4–5 characters; base64 spends 4 characters per 24 pixels. */
const CHARS_PER_RUN = 5;
const PIXELS_PER_BASE64_CHAR = 6;

/** `data`: one byte per pixel, 0 or non-zero. Picks whichever of the two forms is smaller. */
export function encodeCompactMask(data: Uint8Array, width: number, height: number): CompactMask {
  const n = width * height;
  if (data.length !== n) throw new Error(`mask has ${data.length} pixels, ${width}×${height} needs ${n}`);
  const bitsChars = Math.ceil(n / PIXELS_PER_BASE64_CHAR);
  const maxRuns = Math.floor(bitsChars / CHARS_PER_RUN);
  const counts: number[] = [];
  let value = 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    if ((data[i] ? 1 : 0) === value) continue;
    counts.push(i - start);
    if (counts.length > maxRuns) return { encoding: 'bits', width, height, base64: packBits(data) };
    start = i;
    value ^= 1;
  }
  counts.push(n - start);
  return { encoding: 'rle', width, height, counts };
}

function packBits(data: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(data.length / 8));
  for (let i = 0; i < data.length; i++) if (data[i]) bytes[i >> 3]! |= 0x80 >> (i & 7);
  let s = '';
  // String.fromCharCode takes a bounded number of arguments.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Calls `run(start, end)` for every run of 1s (pixel indices, end exclusive), so a caller can fill
 * its own buffer (a mask, an overlay's RGBA) without an intermediate array.
 */
export function forEachOnRun(mask: CompactMask, run: (start: number, end: number) => void): void {
  const n = mask.width * mask.height;
  if (mask.encoding === 'rle') {
    let at = 0;
    for (let k = 0; k < mask.counts.length; k++) {
      const len = mask.counts[k]!;
      if (!(Number.isInteger(len) && len >= 0) || at + len > n) throw new Error('a mask run goes past the image');
      if (k & 1 && len) run(at, at + len);
      at += len;
    }
    if (at !== n) throw new Error(`the mask's runs cover ${at} of ${n} pixels`);
    return;
  }
  const bin = atob(mask.base64);
  if (bin.length !== Math.ceil(n / 8)) throw new Error(`the mask's bits hold ${bin.length * 8} pixels, ${n} expected`);
  let start = -1;
  for (let i = 0; i < n; i++) {
    const on = (bin.charCodeAt(i >> 3) & (0x80 >> (i & 7))) !== 0;
    if (on && start < 0) start = i;
    else if (!on && start >= 0) {
      run(start, i);
      start = -1;
    }
  }
  if (start >= 0) run(start, n);
}

/** One byte per pixel, 0 or 1. */
export function decodeCompactMask(mask: CompactMask): Uint8Array {
  const out = new Uint8Array(mask.width * mask.height);
  forEachOnRun(mask, (s, e) => out.fill(1, s, e));
  return out;
}
