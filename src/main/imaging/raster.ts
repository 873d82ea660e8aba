import { PNG } from 'pngjs';
import { checkImageSize, decodeLimits, type DecodeLimits } from './decode-limits';
import { readJpegHeader } from './jpeg-header';
import { readPngHeader } from './png-header';
import { decodeWithWasmSync } from './wasm-codecs';

/** An 8-bit RGB image, interleaved, row-major. */
export interface Rgb {
  width: number;
  height: number;
  data: Uint8Array;
}

export type RasterFormat = 'png' | 'jpeg';

export function sniffRaster(bytes: Uint8Array): RasterFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

// pngjs hands out RGBA; the RGB copy follows. What a decode of one pixel costs at its peak.
const PNG_BYTES_PER_PIXEL = 7;

export function decodeRaster(bytes: Uint8Array, limits: DecodeLimits = decodeLimits()): Rgb {
  const format = sniffRaster(bytes);
  if (format === 'png') {
    const header = readPngHeader(bytes);
    checkImageSize('PNG', header.width, header.height, PNG_BYTES_PER_PIXEL, limits);
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return rgbaToRgb(png.width, png.height, png.data);
  }
  if (format === 'jpeg') return decodeJpeg(bytes, limits);
  throw new Error('not a PNG or JPEG file');
}

// libjpeg-turbo's output buffer inside WASM memory, its copy out, and the RGB image we return.
const JPEG_BYTES_PER_PIXEL = 9;

/**
 * JPEG through libjpeg-turbo (WASM), the codec that decodes DICOM's baseline JPEG frames too: one
 * JPEG decoder for the whole app. Grey JPEGs come back as one channel and are spread to RGB.
 */
function decodeJpeg(bytes: Uint8Array, limits: DecodeLimits): Rgb {
  const header = readJpegHeader(bytes);
  checkImageSize('JPEG', header.width, header.height, JPEG_BYTES_PER_PIXEL, limits);
  if (header.precision !== 8) throw new Error(`${header.precision}-bit JPEG is not an 8-bit photograph (only DICOM carries those)`);
  let decoded: ReturnType<typeof decodeWithWasmSync>;
  try {
    decoded = decodeWithWasmSync('libjpeg-turbo', bytes);
  } catch (e) {
    // The codec's C++ exception carries no text: say what the bytes show (decode-errors.ts words it for the user).
    const reason = endsWithEoi(bytes) ? 'a structural problem in the coded data' : 'unexpected end of data, no end-of-image marker';
    throw new Error(`libjpeg-turbo stopped on this JPEG: ${reason} (${e instanceof Error ? e.message : String(e)})`);
  }
  const { bytes: pixels, info } = decoded;
  const { width, height, componentCount } = info;
  if (componentCount === 3 && pixels.length === width * height * 3) return { width, height, data: pixels };
  if (componentCount === 1 && pixels.length === width * height) return greyToRgb(width, height, pixels);
  throw new Error(`JPEG with ${componentCount} components decoded to ${pixels.length} bytes; expected RGB or grey`);
}

/** Whether the stream ends with EOI (FF D9), trailing zero padding aside. */
function endsWithEoi(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0) end--;
  return end >= 4 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}

function greyToRgb(width: number, height: number, grey: Uint8Array): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) data[j] = data[j + 1] = data[j + 2] = grey[i]!;
  return { width, height, data };
}

function rgbaToRgb(width: number, height: number, rgba: Uint8Array): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = rgba[j]!;
    data[i + 1] = rgba[j + 1]!;
    data[i + 2] = rgba[j + 2]!;
  }
  return { width, height, data };
}

/**
 * An RGB PNG. pngjs's default tries all five row filters per row (smallest file); `paeth` uses one,
 * for PNGs made by the hundred where encoding time matters more than a few percent of size.
 */
export function encodePngRgb(img: Rgb, filter: 'adaptive' | 'paeth' = 'adaptive'): Buffer {
  const options = { colorType: 2, inputColorType: 2, inputHasAlpha: false, ...(filter === 'paeth' ? { filterType: 4 } : {}) } as const;
  const png = new PNG({ width: img.width, height: img.height, ...options });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, options);
}
