/**
 * One encapsulated frame → raw samples. The codec is chosen by what the bytes are (JPEG SOF marker,
 * JPEG-LS SOF55, J2K/JP2 signature) rather than only by the transfer syntax, because mislabelled
 * files exist (e.g. encapsulated JPEG under Explicit VR Little Endian, 12-bit data under a
 * baseline UID) and the bytes never lie about which decoder they need.
 */
import { DicomError, describeThrown } from './dicom-error';
import type { ImageHeader } from './dicom-header';
import type { RawSamples } from './dicom-pixels';
import { decodeJpegDct } from './jpeg-dct';
import { decodeJpegLossless } from './jpeg-lossless';
import { decodeRle } from './rle';
import { decodeWithWasm, type WasmDecoded } from './wasm-codecs';

export const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.100.1': 'MPEG2 (fragmentable)',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Level',
  '1.2.840.10008.1.2.4.101.1': 'MPEG2 High Level (fragmentable)',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.102.1': 'MPEG-4 AVC/H.264 (fragmentable)',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.103.1': 'MPEG-4 AVC/H.264 BD (fragmentable)',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 2D',
  '1.2.840.10008.1.2.4.104.1': 'MPEG-4 AVC/H.264 2D (fragmentable)',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 3D',
  '1.2.840.10008.1.2.4.105.1': 'MPEG-4 AVC/H.264 3D (fragmentable)',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo',
  '1.2.840.10008.1.2.4.106.1': 'MPEG-4 AVC/H.264 Stereo (fragmentable)',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
export const ENCAPSULATED_UNCOMPRESSED = '1.2.840.10008.1.2.1.98';

/** Video, JPEG XL and JPIP: no decoder in the app, say so up front instead of failing on the bytes. */
export function unsupportedReason(transferSyntax: string): string | null {
  const name = TRANSFER_SYNTAX_NAMES[transferSyntax];
  const unsupported =
    /^1\.2\.840\.10008\.1\.2\.4\.(10[0-8]|11[0-2]|9[45])(\.1)?$/.test(transferSyntax);
  return unsupported ? `unsupported transfer syntax ${transferSyntax} (${name ?? 'unknown'})` : null;
}

type Codestream =
  | { kind: 'jpeg-dct'; precision: number }
  | { kind: 'jpeg-lossless'; precision: number }
  | { kind: 'jpeg-ls' }
  | { kind: 'j2k'; start: number; end: number }
  | { kind: 'jpeg-other'; marker: number };

const CODESTREAM_NAMES: Record<Codestream['kind'], string> = {
  'jpeg-dct': 'JPEG',
  'jpeg-lossless': 'JPEG lossless',
  'jpeg-ls': 'JPEG-LS',
  j2k: 'JPEG 2000',
  'jpeg-other': 'JPEG',
};

/** Reads marker segments up to the first SOFn to learn the JPEG process and precision. */
function sniffJpeg(bytes: Uint8Array): Codestream | null {
  let p = 2;
  for (let guard = 0; guard < 1000 && p + 4 <= bytes.length; guard++) {
    if (bytes[p] !== 0xff) return null;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (marker === 0xf7) return { kind: 'jpeg-ls' };
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const precision = bytes[p + 4] ?? 8;
      if (marker <= 0xc2) return { kind: 'jpeg-dct', precision };
      if (marker === 0xc3) return { kind: 'jpeg-lossless', precision };
      return { kind: 'jpeg-other', marker };
    }
    if (marker === 0xda) return null;
    p += 2 + length;
  }
  return null;
}

/** JP2 files wrap the codestream in boxes; the OpenJPEG wrapper wants the bare codestream. */
function findJp2Codestream(bytes: Uint8Array): { start: number; end: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  while (p + 8 <= bytes.length) {
    let size = view.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    let header = 8;
    if (size === 1 && p + 16 <= bytes.length) {
      size = Number(view.getBigUint64(p + 8));
      header = 16;
    } else if (size === 0) {
      size = bytes.length - p;
    }
    if (type === 'jp2c') return { start: p + header, end: Math.min(p + size, bytes.length) };
    if (size < header) return null;
    p += size;
  }
  return null;
}

function sniff(bytes: Uint8Array): Codestream | null {
  if (bytes.length < 4) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return sniffJpeg(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) {
    return { kind: 'j2k', start: 0, end: bytes.length };
  }
  if (bytes.length >= 12 && bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20) {
    const box = findJp2Codestream(bytes);
    if (box) return { kind: 'j2k', ...box };
  }
  return null;
}

/** Whether bytes look like an encoded image at all (used for compressed data stored as native). */
export function looksEncoded(bytes: Uint8Array): boolean {
  return sniff(bytes) !== null;
}

/** A fresh, zero-offset copy (Buffer#slice would return a view into the whole file). */
function copyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

function viewAs(bytes: Uint8Array, wide: boolean, signed: boolean): RawSamples['data'] {
  if (!wide) return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : copyOf(bytes);
  const length = Math.floor(aligned.length / 2);
  return signed ? new Int16Array(aligned.buffer, aligned.byteOffset, length) : new Uint16Array(aligned.buffer, aligned.byteOffset, length);
}

function fromWasm(decoded: WasmDecoded, colour: RawSamples['colour']): RawSamples {
  const { info } = decoded;
  const wide = info.bitsPerSample > 8;
  return {
    data: viewAs(decoded.bytes, wide, info.isSigned === true),
    width: info.width,
    height: info.height,
    components: info.componentCount,
    bits: info.bitsPerSample,
    planar: decoded.interleaveMode === 0 && info.componentCount > 1,
    colour,
  };
}

async function decodeWithLibraryLossless(bytes: Uint8Array): Promise<RawSamples> {
  const { Decoder } = await import('jpeg-lossless-decoder-js');
  const decoder = new Decoder();
  const aligned = copyOf(bytes);
  const data = decoder.decode(aligned.buffer, 0, aligned.length);
  const pixels = decoder.xDim * decoder.yDim;
  if (!pixels || !data.length) throw new Error('JPEG lossless decoder produced no image');
  return {
    data,
    width: decoder.xDim,
    height: decoder.yDim,
    components: Math.max(1, Math.round(data.length / pixels)),
    bits: decoder.precision ?? (data instanceof Uint16Array ? 16 : 8),
    planar: false,
    colour: 'photometric',
  };
}

async function decodeLosslessFrame(bytes: Uint8Array): Promise<RawSamples> {
  try {
    const image = decodeJpegLossless(bytes);
    return {
      data: image.data,
      width: image.width,
      height: image.height,
      components: image.components,
      bits: image.precision,
      planar: false,
      colour: 'photometric',
    };
  } catch (ownError) {
    // Streams our decoder refuses (e.g. subsampled components) may still suit the library.
    try {
      return await decodeWithLibraryLossless(bytes);
    } catch {
      throw ownError;
    }
  }
}

async function decodeJpegDctFrame(bytes: Uint8Array, precision: number): Promise<RawSamples> {
  const own = (): RawSamples => {
    const image = decodeJpegDct(bytes);
    return {
      data: image.data,
      width: image.width,
      height: image.height,
      components: image.components,
      bits: image.precision,
      planar: false,
      colour: 'rgb',
    };
  };
  if (precision > 8) return own();
  try {
    return fromWasm(await decodeWithWasm('libjpeg-turbo', bytes), 'rgb');
  } catch (libjpegError) {
    // libjpeg-turbo refuses some streams it considers corrupt that still decode to a usable image.
    try {
      return own();
    } catch (ownError) {
      throw new Error(`${describeThrown(libjpegError)}; fallback decoder: ${describeThrown(ownError)}`);
    }
  }
}

function rawRleFrame(bytes: Uint8Array, header: ImageHeader): RawSamples {
  const { rows, columns, samplesPerPixel, bitsAllocated, pixelRepresentation } = header.info;
  const pixels = rows * columns;
  if (bitsAllocated === 1) {
    const packed = decodeRle(bytes, Math.ceil(pixels / 8), 1, 1);
    const unpacked = new Uint8Array(pixels);
    for (let i = 0; i < pixels; i++) unpacked[i] = (packed[i >> 3]! >> (i & 7)) & 1;
    return { data: unpacked, width: columns, height: rows, components: 1, bits: 1, planar: false, colour: 'photometric' };
  }
  const bytesPerSample = Math.ceil(bitsAllocated / 8);
  const decoded = decodeRle(bytes, pixels, samplesPerPixel, bytesPerSample);
  const signed = pixelRepresentation === 1;
  const data =
    bytesPerSample === 1
      ? viewAs(decoded, false, signed)
      : bytesPerSample === 2
        ? viewAs(decoded, true, signed)
        : signed
          ? new Int32Array(decoded.buffer)
          : new Uint32Array(decoded.buffer);
  return { data, width: columns, height: rows, components: samplesPerPixel, bits: header.info.bitsStored, planar: false, colour: 'photometric' };
}

/**
 * What the transfer syntax promises, for bytes whose headers are too damaged to sniff: the codec
 * then gets to say what is wrong, which tells the user more than "unrecognised data".
 */
function codestreamFromTransferSyntax(transferSyntax: string, bytes: Uint8Array): Codestream | null {
  const match = /^1\.2\.840\.10008\.1\.2\.4\.(\d+)$/.exec(transferSyntax);
  const process = match ? Number(match[1]) : null;
  if (process === 50) return { kind: 'jpeg-dct', precision: 8 };
  if (process === 51 || process === 53 || process === 55) return { kind: 'jpeg-dct', precision: 12 };
  if (process === 57 || process === 70) return { kind: 'jpeg-lossless', precision: 16 };
  if (process === 80 || process === 81) return { kind: 'jpeg-ls' };
  if (process !== null && ((process >= 90 && process <= 93) || (process >= 201 && process <= 203))) {
    return { kind: 'j2k', start: 0, end: bytes.length };
  }
  return null;
}

/**
 * Decodes one compressed frame. `native` handles frames stored uncompressed inside fragments
 * (Encapsulated Uncompressed transfer syntax).
 */
export async function decodeEncodedFrame(
  bytes: Uint8Array,
  header: ImageHeader,
  transferSyntax: string,
  native: (bytes: Uint8Array) => RawSamples,
): Promise<RawSamples> {
  const codestream = sniff(bytes) ?? codestreamFromTransferSyntax(transferSyntax, bytes);
  const photometric = header.info.photometric;
  try {
    if (codestream) {
      switch (codestream.kind) {
        case 'jpeg-dct':
          return await decodeJpegDctFrame(bytes, codestream.precision);
        case 'jpeg-lossless':
          return await decodeLosslessFrame(bytes);
        case 'jpeg-ls':
          return fromWasm(await decodeWithWasm('charls', bytes), 'photometric');
        case 'j2k': {
          // OpenJPEG undoes the J2K colour transform itself; only genuinely YBR-coded samples remain.
          const colour = /^YBR_(FULL|PARTIAL)/.test(photometric) ? 'photometric' : 'rgb';
          return fromWasm(await decodeWithWasm('openjpeg', bytes.subarray(codestream.start, codestream.end)), colour);
        }
        case 'jpeg-other':
          throw new DicomError(
            `unsupported JPEG process (SOF${codestream.marker - 0xc0}: hierarchical or arithmetic coding) in transfer syntax ${transferSyntax}`,
          );
      }
    }
    if (transferSyntax === RLE_LOSSLESS) return rawRleFrame(bytes, header);
    if (transferSyntax === ENCAPSULATED_UNCOMPRESSED) return native(bytes);
  } catch (thrown) {
    if (thrown instanceof DicomError) throw thrown;
    const what = codestream ? CODESTREAM_NAMES[codestream.kind] : 'RLE';
    throw new DicomError(`${what} decoding failed: ${describeThrown(thrown)}`, { cause: thrown });
  }
  const name = TRANSFER_SYNTAX_NAMES[transferSyntax];
  throw new DicomError(
    `unrecognised compressed frame data for transfer syntax ${transferSyntax}${name ? ` (${name})` : ''}`,
  );
}
