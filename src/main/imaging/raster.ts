import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkImageSize, decodeLimits, type DecodeLimits } from './decode-limits';
import { readPngHeader } from './png-header';

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
  if (format === 'jpeg') {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: limits.maxDecodedBytes / 2 ** 20,
    });
    const expected = img.width * img.height * 3;
    if (img.data.length !== expected) throw new Error(`JPEG decoded to ${img.data.length} bytes, expected ${expected}`);
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('not a PNG or JPEG file');
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

export function encodePngRgb(img: Rgb): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
