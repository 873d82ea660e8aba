import type { ImagePixels } from '../../../shared/contract';
import { typedFromBytes } from '../../../shared/pixels';
import { heatRgba, maskRgba, type Rgb } from '../overlay/colour';
import type { CornerstoneImage } from './cornerstone';

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function loadHtmlImage(src: string): Promise<HTMLImageElement> {
  return new Promise((ok, fail) => {
    const img = new Image();
    img.onload = () => ok(img);
    img.onerror = () => fail(new Error('the browser could not decode the image'));
    img.src = src;
  });
}

async function rgbaFromDataUrl(dataUrl: string, width: number, height: number): Promise<Uint8ClampedArray> {
  const img = await loadHtmlImage(dataUrl);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

/** Builds the cornerstone image object from the main process's pixel payload. */
export async function toCornerstoneImage(imageId: string, px: ImagePixels, spacing: [number, number] | null): Promise<CornerstoneImage> {
  const base = {
    imageId,
    rows: px.height,
    columns: px.width,
    height: px.height,
    width: px.width,
    rowPixelSpacing: spacing?.[0],
    columnPixelSpacing: spacing?.[1],
  };
  if (px.kind === 'grey') {
    const data = typedFromBytes(px.dtype, base64ToBytes(px.data));
    return {
      ...base,
      minPixelValue: px.min,
      maxPixelValue: px.max,
      slope: px.rescaleSlope,
      intercept: px.rescaleIntercept,
      windowCenter: px.windowCenter,
      windowWidth: px.windowWidth,
      getPixelData: () => data,
      color: false,
      invert: px.invert,
      sizeInBytes: data.byteLength,
    };
  }
  let rgba: Uint8ClampedArray;
  if (px.kind === 'rgb') {
    const rgb = base64ToBytes(px.data);
    rgba = new Uint8ClampedArray(px.width * px.height * 4);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgba[j] = rgb[i]!;
      rgba[j + 1] = rgb[i + 1]!;
      rgba[j + 2] = rgb[i + 2]!;
      rgba[j + 3] = 255;
    }
  } else {
    rgba = await rgbaFromDataUrl(px.dataUrl, px.width, px.height);
  }
  return {
    ...base,
    minPixelValue: 0,
    maxPixelValue: 255,
    slope: 1,
    intercept: 0,
    windowCenter: 128,
    windowWidth: 256,
    getPixelData: () => rgba,
    color: true,
    invert: false,
    sizeInBytes: rgba.byteLength,
  };
}

/** Draws a PNG into a new canvas and lets `paint` rewrite its RGBA in place. */
export async function repaintPng(dataUrl: string, paint: (rgba: Uint8ClampedArray, width: number) => void): Promise<HTMLCanvasElement> {
  const img = await loadHtmlImage(dataUrl);
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  paint(data.data, canvas.width);
  ctx.putImageData(data, 0, 0);
  return canvas;
}

/** Draws a PNG and rewrites each pixel's RGBA from its grey value (0…255) into a new canvas. */
function recolour(dataUrl: string, rgba: (grey: number, out: Uint8ClampedArray, at: number) => void): Promise<HTMLCanvasElement> {
  return repaintPng(dataUrl, (data) => {
    for (let i = 0; i < data.length; i += 4) rgba(data[i]!, data, i);
  });
}

/** A mask PNG (0/255) as a canvas where mask pixels carry `colour` and the rest is transparent. */
export function colouredMask(dataUrl: string, colour: Rgb): Promise<HTMLCanvasElement> {
  return recolour(dataUrl, (grey, d, i) => maskRgba(grey, colour, d, i));
}

/** A probability map (grey PNG, p × 255) as a heat map: transparent where the student sees nothing. */
export function heatMap(dataUrl: string): Promise<HTMLCanvasElement> {
  return recolour(dataUrl, heatRgba);
}
