import { DecodeLimitError } from './decode-limits';

/** What a JPEG's frame header (SOFn) says, read before any entropy-coded data is touched. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** The SOF marker's low nibble: 0 baseline, 1 extended, 2 progressive, 3 lossless, 9–11 arithmetic. */
  process: number;
}

/**
 * Walks the marker segments up to the first SOFn, so a header claiming an absurd size is refused
 * before the decoder allocates for it.
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) throw new DecodeLimitError(`JPEG header is damaged: no marker at byte ${p}`);
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 10 > bytes.length) break;
      return {
        precision: bytes[p + 4]!,
        height: (bytes[p + 5]! << 8) | bytes[p + 6]!,
        width: (bytes[p + 7]! << 8) | bytes[p + 8]!,
        components: bytes[p + 9]!,
        process: marker - 0xc0,
      };
    }
    if (marker === 0xda || marker === 0xd9) break;
    p += 2 + length;
  }
  throw new DecodeLimitError('JPEG header is damaged: no frame header (SOF) before the image data');
}
