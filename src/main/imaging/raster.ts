import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

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

// Kvasir images reach 1920×1080; anything above this is more likely a corrupt header than a photo.
const MAX_PIXELS = 80e6;

export function decodeRaster(bytes: Uint8Array): Rgb {
  const format = sniffRaster(bytes);
  if (format === 'png') {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return rgbaToRgb(png.width, png.height, png.data);
  }
  if (format === 'jpeg') {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_PIXELS / 1e6 });
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

/** Area-average downscale so the longer side is at most `maxSide` (never upscales). */
export function downscaleRgb(img: Rgb, maxSide: number): Rgb {
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * img.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * img.width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * img.width) / w));
      let r = 0, g = 0, b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const k = (yy * img.width + xx) * 3;
          r += img.data[k]!;
          g += img.data[k + 1]!;
          b += img.data[k + 2]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 3;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  }
  return { width: w, height: h, data: out };
}
