/**
 * From decoded samples (any codec, any container) to the app's frame representation: grey frames
 * keep their stored values in the narrowest type DICOM says they fit (masked to Bits Stored,
 * sign-extended when Pixel Representation is 1), colour frames become interleaved 8-bit RGB.
 */
import type { DataSet } from 'dicom-parser';
import { DicomError } from './dicom-error';
import type { ImageHeader } from './dicom-header';
import type { DicomFrame, PixelArray, PixelDType } from './dicom-types';

type SourceArray = PixelArray | Float64Array;

export interface RawSamples {
  data: SourceArray;
  width: number;
  height: number;
  /** 1 grey / palette index, 3 colour. */
  components: number;
  /** Bits per sample as the codec delivered them (for scaling colour to 8 bits). */
  bits: number;
  planar: boolean;
  /** 'rgb' when the codec already produced RGB; 'photometric' when the header's colour space still applies. */
  colour: 'rgb' | 'photometric';
  /** Native YBR 4:2:2: Y Y Cb Cr per pixel pair, to be expanded before colour conversion. */
  subsampled422?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Native pixel data into typed arrays.

/** Unpacks 1-bit data; DICOM packs the first pixel into the least significant bit. */
export function unpackBits(bytes: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** ACR-NEMA packed 12-bit samples: two samples in three bytes. */
export function unpack12(bytes: Uint8Array, count: number): Uint16Array {
  const out = new Uint16Array(count);
  for (let i = 0, p = 0; i < count; i += 2, p += 3) {
    const b0 = bytes[p] ?? 0;
    const b1 = bytes[p + 1] ?? 0;
    const b2 = bytes[p + 2] ?? 0;
    out[i] = b0 | ((b1 & 0x0f) << 8);
    if (i + 1 < count) out[i + 1] = (b1 >> 4) | (b2 << 4);
  }
  return out;
}

/** Copies bytes into a fresh buffer (aligned), swapping each `width`-byte word when big endian. */
export function alignedWords(bytes: Uint8Array, width: 2 | 4 | 8, bigEndian: boolean): ArrayBuffer {
  const length = bytes.length - (bytes.length % width);
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(0, length));
  if (bigEndian) {
    for (let p = 0; p < length; p += width) copy.subarray(p, p + width).reverse();
  }
  return copy.buffer;
}

// ---------------------------------------------------------------------------------------------
// Grey: stored values.

function containerFor(bitsAllocated: number, sourceBytes: number, signed: boolean): PixelDType {
  const bytes = Math.max(bitsAllocated <= 8 ? 1 : bitsAllocated <= 16 ? 2 : 4, sourceBytes);
  if (bytes === 1) return signed ? 'int8' : 'uint8';
  if (bytes === 2) return signed ? 'int16' : 'uint16';
  return signed ? 'int32' : 'uint32';
}

function allocate(dtype: PixelDType, length: number): PixelArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
  }
}

function greyFrame(raw: RawSamples, header: ImageHeader, index: number): DicomFrame {
  const pixels = raw.width * raw.height;
  if (raw.data instanceof Float32Array || raw.data instanceof Float64Array) {
    const data = raw.data instanceof Float32Array ? raw.data : Float32Array.from(raw.data);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < pixels; i++) {
      const v = data[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { index, width: raw.width, height: raw.height, samples: 1, dtype: 'float32', data, min, max };
  }

  const { bitsAllocated, pixelRepresentation } = header.info;
  const signed = pixelRepresentation === 1;
  const dtype = containerFor(bitsAllocated, raw.data.BYTES_PER_ELEMENT, signed);
  const containerBits = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, float32: 32 }[dtype];
  const bitsStored = Math.min(Math.max(header.info.bitsStored || containerBits, 1), containerBits);
  // High Bit below the top of the container (ACR-NEMA, overlays in the low bits) moves the value.
  const shift = Math.max(0, Math.min(header.highBit + 1 - bitsStored, containerBits - bitsStored));
  const out = allocate(dtype, pixels);
  const source = raw.data;
  let min = Infinity;
  let max = -Infinity;
  if (bitsStored >= 32) {
    for (let i = 0; i < pixels; i++) {
      const v = signed ? source[i]! | 0 : source[i]! >>> 0;
      out[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  } else {
    const mask = 2 ** bitsStored - 1;
    const signBit = 2 ** (bitsStored - 1);
    const range = 2 ** bitsStored;
    for (let i = 0; i < pixels; i++) {
      let v = (source[i]! >>> shift) & mask;
      if (signed && v >= signBit) v -= range;
      out[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { index, width: raw.width, height: raw.height, samples: 1, dtype, data: out, min, max };
}

// ---------------------------------------------------------------------------------------------
// Colour: RGB out.

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function to8bit(raw: RawSamples, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const shift = Math.max(0, raw.bits - 8);
  const source = raw.data;
  for (let i = 0; i < count; i++) {
    const v = Number(source[i]!) / 2 ** shift;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

function interleavePlanes(planar: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = planar[i]!;
    out[i * 3 + 1] = planar[pixels + i]!;
    out[i * 3 + 2] = planar[2 * pixels + i]!;
  }
  return out;
}

/** Y Y Cb Cr (per horizontal pixel pair) → Y Cb Cr per pixel. */
function expand422(packed: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let p = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x += 2) {
      const y0 = packed[p]!;
      const y1 = packed[p + 1]!;
      const cb = packed[p + 2]!;
      const cr = packed[p + 3]!;
      p += 4;
      const o = (y * width + x) * 3;
      out[o] = y0;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (x + 1 < width) {
        out[o + 3] = y1;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return out;
}

/** In-place YCbCr → RGB; PS3.3 C.7.6.3.1.2 equations (full range, or partial/"studio" range). */
function ybrToRgb(data: Uint8Array, partial: boolean): void {
  for (let i = 0; i < data.length; i += 3) {
    const y = partial ? 1.1644 * (data[i]! - 16) : data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    if (partial) {
      data[i] = clampByte(y + 1.596 * cr);
      data[i + 1] = clampByte(y - 0.3918 * cb - 0.813 * cr);
      data[i + 2] = clampByte(y + 2.0172 * cb);
    } else {
      data[i] = clampByte(y + 1.402 * cr);
      data[i + 1] = clampByte(y - 0.344136 * cb - 0.714136 * cr);
      data[i + 2] = clampByte(y + 1.772 * cb);
    }
  }
}

/** JPEG 2000 reversible colour transform, for the rare codec that leaves it to us. */
function rctToRgb(data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    const g = y - Math.floor((cb + cr) / 4);
    data[i] = clampByte(cr + g);
    data[i + 1] = clampByte(g);
    data[i + 2] = clampByte(cb + g);
  }
}

function colourFrame(raw: RawSamples, header: ImageHeader, index: number): DicomFrame {
  const pixels = raw.width * raw.height;
  const photometric = header.info.photometric;
  let rgb: Uint8Array;
  if (raw.subsampled422) {
    rgb = expand422(to8bit(raw, pixels * 2), raw.width, raw.height);
  } else {
    const bytes = to8bit(raw, pixels * 3);
    rgb = raw.planar ? interleavePlanes(bytes, pixels) : bytes;
  }
  if (raw.colour === 'photometric') {
    if (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422' || photometric === 'YBR_ICT') ybrToRgb(rgb, false);
    else if (photometric.startsWith('YBR_PARTIAL')) ybrToRgb(rgb, true);
    else if (photometric === 'YBR_RCT') rctToRgb(rgb);
  }
  return { index, width: raw.width, height: raw.height, samples: 3, dtype: 'uint8', data: rgb, ...range(rgb) };
}

function range(data: Uint8Array): { min: number; max: number } {
  let min = 255;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

// ---------------------------------------------------------------------------------------------
// Palette colour.

interface PaletteChannel {
  entries: number;
  firstMapped: number;
  table: Uint8Array;
}

function readPaletteChannel(dataSet: DataSet, descriptorTag: string, dataTag: string, name: string): PaletteChannel {
  const descriptor = dataSet.elements[descriptorTag];
  const lutData = dataSet.elements[dataTag];
  if (!descriptor || descriptor.length < 6) throw new DicomError(`PALETTE COLOR without a ${name} palette descriptor`);
  if (!lutData || lutData.length === 0) {
    throw new DicomError(
      dataSet.elements[`x0028122${name === 'red' ? 1 : name === 'green' ? 2 : 3}`]
        ? 'segmented PALETTE COLOR lookup tables are not supported'
        : `PALETTE COLOR without ${name} palette data`,
    );
  }
  const entries = dataSet.uint16(descriptorTag, 0) || 65536;
  // First mapped value is US or SS depending on Pixel Representation; indices below it clamp anyway.
  let firstMapped = dataSet.uint16(descriptorTag, 1) ?? 0;
  if (firstMapped > 32767 && dataSet.uint16('x00280103') === 1) firstMapped -= 65536;
  const bits = dataSet.uint16(descriptorTag, 2) ?? 16;

  const raw = dataSet.byteArray.subarray(lutData.dataOffset, lutData.dataOffset + lutData.length);
  const table = new Uint8Array(entries);
  if (bits === 8 && raw.length < entries * 2) {
    table.set(raw.subarray(0, entries));
  } else {
    // 16-bit words (also used for 8-bit entries stored as OW). Scale down unless they already fit a byte.
    const count = Math.min(entries, Math.floor(raw.length / 2));
    const words = new Array<number>(count);
    let largest = 0;
    for (let i = 0; i < count; i++) {
      words[i] = dataSet.byteArrayParser.readUint16(dataSet.byteArray, lutData.dataOffset + 2 * i);
      if (words[i]! > largest) largest = words[i]!;
    }
    const shift = bits === 8 || largest <= 255 ? 0 : 8;
    for (let i = 0; i < count; i++) table[i] = (words[i]! >> shift) & 0xff;
  }
  return { entries, firstMapped, table };
}

function paletteFrame(raw: RawSamples, header: ImageHeader, dataSet: DataSet, index: number): DicomFrame {
  const channels = [
    readPaletteChannel(dataSet, 'x00281101', 'x00281201', 'red'),
    readPaletteChannel(dataSet, 'x00281102', 'x00281202', 'green'),
    readPaletteChannel(dataSet, 'x00281103', 'x00281203', 'blue'),
  ];
  const indices = greyFrame(raw, header, index).data;
  const pixels = raw.width * raw.height;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const value = indices[i]!;
    for (let c = 0; c < 3; c++) {
      const { entries, firstMapped, table } = channels[c]!;
      const at = value - firstMapped;
      rgb[i * 3 + c] = table[at < 0 ? 0 : at >= entries ? entries - 1 : at]!;
    }
  }
  return { index, width: raw.width, height: raw.height, samples: 3, dtype: 'uint8', data: rgb, ...range(rgb) };
}

export function toDicomFrame(raw: RawSamples, header: ImageHeader, dataSet: DataSet, index: number): DicomFrame {
  if (raw.components === 3 || raw.subsampled422) return colourFrame(raw, header, index);
  if (raw.components !== 1) throw new DicomError(`unsupported number of samples per pixel: ${raw.components}`);
  if (header.info.photometric === 'PALETTE COLOR') return paletteFrame(raw, header, dataSet, index);
  return greyFrame(raw, header, index);
}
