import { DecodeLimitError } from './decode-limits';

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// PNG's allowed bit depths per colour type (the spec's table 11.1).
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const COLOUR_NAMES: Record<number, string> = { 0: 'grey', 2: 'RGB', 3: 'palette', 4: 'grey+alpha', 6: 'RGBA' };

/**
 * Reads and validates the IHDR chunk without touching the compressed data, so an absurd header is
 * refused before the decoder (whose zlib asserts and aborts the process on some of them) sees it.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new DecodeLimitError(`not a complete PNG file (${bytes.length} bytes, expected the 8-byte signature and a 25-byte IHDR chunk)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8);
  const type = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (type !== 'IHDR' || length !== 13) throw new DecodeLimitError(`PNG header is damaged: the first chunk is "${type}" of ${length} bytes, expected IHDR of 13`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [bitDepth, colorType, compression, filter, interlace] = [bytes[24]!, bytes[25]!, bytes[26]!, bytes[27]!, bytes[28]!];
  // The spec caps both sides at 2^31 − 1; zero is not an image.
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new DecodeLimitError(`PNG header claims an invalid size ${width}×${height}`);
  }
  const depths = DEPTHS[colorType];
  if (!depths) throw new DecodeLimitError(`PNG header has an unknown colour type ${colorType} (expected 0, 2, 3, 4 or 6)`);
  if (!depths.includes(bitDepth)) {
    throw new DecodeLimitError(`PNG header has bit depth ${bitDepth} for ${COLOUR_NAMES[colorType]} (allowed: ${depths.join(', ')})`);
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    throw new DecodeLimitError(`PNG header has unknown methods (compression ${compression}, filter ${filter}, interlace ${interlace}; expected 0, 0, 0 or 1)`);
  }
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}
