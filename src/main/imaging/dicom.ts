/**
 * DICOM → pixels. Parsing is dicom-parser's; compressed frames go to the codec their bytes call
 * for (dicom-codecs.ts); everything ends up as stored grey values or 8-bit RGB (dicom-pixels.ts).
 * Every failure, including codec exceptions and WASM aborts, leaves as a DicomError with a reason
 * a user can act on.
 */
import { checkFrames, checkImageSize, decodeLimits } from './decode-limits';
import { explainDecodeError } from './decode-errors';
import { DicomError, describeThrown } from './dicom-error';
import { decodeEncodedFrame, looksEncoded, unsupportedReason } from './dicom-codecs';
import { encapsulatedFrames, nativeFrames, type NativeFrame } from './dicom-frames';
import { readImageHeader, type ImageHeader } from './dicom-header';
import { TRANSFER_SYNTAX, hasDicmPrefix, parseDicomBytes, rawDataSetEncoding } from './dicom-parse';
import { alignedWords, toDicomFrame, unpack12, unpackBits, type RawSamples } from './dicom-pixels';
import type { DicomFrame, DicomInfo } from './dicom-types';

export { DicomError } from './dicom-error';
export type { DicomFrame, DicomInfo, PixelDType } from './dicom-types';


const NATIVE_SYNTAXES = new Set<string>([
  TRANSFER_SYNTAX.implicitLittle,
  TRANSFER_SYNTAX.explicitLittle,
  TRANSFER_SYNTAX.deflatedExplicitLittle,
  TRANSFER_SYNTAX.explicitBig,
]);

function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (thrown) {
    if (thrown instanceof DicomError) throw thrown;
    throw new DicomError(`cannot read DICOM file: ${describeThrown(thrown)}`, { cause: thrown });
  }
}

export function isDicom(bytes: Uint8Array): boolean {
  return hasDicmPrefix(bytes) || rawDataSetEncoding(bytes) !== null;
}

export function readDicomInfo(bytes: Uint8Array): DicomInfo {
  return guarded(() => readImageHeader(parseDicomBytes(bytes, true)).info);
}

function checkGeometry(header: ImageHeader): void {
  const { rows, columns, bitsAllocated, samplesPerPixel } = header.info;
  if (rows <= 0 || columns <= 0) throw new DicomError(`invalid image size ${columns}×${rows}`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw new DicomError(`unsupported samples per pixel: ${samplesPerPixel}`);
  }
  const allowed = header.pixelKind === 'integer' ? [1, 8, 12, 16, 32] : [32, 64];
  if (!allowed.includes(bitsAllocated)) throw new DicomError(`unsupported bits allocated: ${bitsAllocated}`);
}

function nativeSamples(frame: NativeFrame, header: ImageHeader, bigEndian: boolean, vr: string | undefined): RawSamples {
  const { rows, columns, samplesPerPixel, bitsAllocated, bitsStored, pixelRepresentation, photometric } = header.info;
  const pixels = rows * columns;
  const subsampled422 = samplesPerPixel === 3 && /^YBR_(FULL|PARTIAL)_422$/.test(photometric);
  const count = subsampled422 ? pixels * 2 : pixels * samplesPerPixel;
  const signed = pixelRepresentation === 1;
  const { bytes } = frame;
  let data: RawSamples['data'];
  if (header.pixelKind === 'float32') data = new Float32Array(alignedWords(bytes, 4, bigEndian));
  else if (header.pixelKind === 'float64') data = new Float64Array(alignedWords(bytes, 8, bigEndian));
  else if (bitsAllocated === 1) data = unpackBits(bytes, frame.bitOffset, count);
  else if (bitsAllocated === 12) data = unpack12(bytes, count);
  else if (bitsAllocated === 8) {
    // Big endian OW swaps byte pairs even when each sample is one byte.
    const ordered = bigEndian && vr === 'OW' ? new Uint8Array(alignedWords(bytes, 2, true)) : bytes;
    data = signed ? new Int8Array(ordered.buffer, ordered.byteOffset, count) : ordered.subarray(0, count);
  } else if (bitsAllocated === 16) {
    const buffer = alignedWords(bytes, 2, bigEndian);
    data = signed ? new Int16Array(buffer, 0, count) : new Uint16Array(buffer, 0, count);
  } else {
    const buffer = alignedWords(bytes, 4, bigEndian);
    data = signed ? new Int32Array(buffer, 0, count) : new Uint32Array(buffer, 0, count);
  }
  return {
    data,
    width: columns,
    height: rows,
    components: samplesPerPixel,
    bits: bitsStored,
    planar: samplesPerPixel === 3 && header.planarConfiguration === 1 && !subsampled422,
    colour: 'photometric',
    subsampled422,
  };
}

function checkDecoded(raw: RawSamples, header: ImageHeader, index: number): void {
  const { rows, columns, samplesPerPixel } = header.info;
  if (raw.width !== columns || raw.height !== rows) {
    throw new DicomError(`frame ${index + 1} decodes to ${raw.width}×${raw.height}, but the header says ${columns}×${rows}`);
  }
  if (raw.components !== samplesPerPixel) {
    throw new DicomError(
      `frame ${index + 1} decodes to ${raw.components} samples per pixel, but the header says ${samplesPerPixel}`,
    );
  }
  const expected = raw.subsampled422 ? rows * columns * 2 : rows * columns * raw.components;
  if (raw.data.length < expected) {
    throw new DicomError(`frame ${index + 1} decodes to ${raw.data.length} samples, expected ${expected}`);
  }
}

async function decodeAll(bytes: Uint8Array, maxFrames: number | undefined): Promise<{ info: DicomInfo; frames: DicomFrame[] }> {
  const limits = decodeLimits();
  const parsed = parseDicomBytes(bytes, false, limits);
  const header = readImageHeader(parsed, limits);
  const { info } = header;
  const element = header.pixelElement;
  if (!element) {
    throw new DicomError(
      parsed.parseProblem
        ? `no pixel data: ${explainDecodeError('DICOM', `parsing stopped early: ${parsed.parseProblem}`)}`
        : 'no pixel data',
    );
  }
  const unsupported = unsupportedReason(info.transferSyntax);
  if (unsupported) throw new DicomError(unsupported);
  checkGeometry(header);

  const limit = maxFrames !== undefined && Number.isFinite(maxFrames) ? Math.max(0, Math.floor(maxFrames)) : info.frames;
  const frameCount = Math.min(info.frames, limit);
  const bytesPerSample = Math.max(1, Math.ceil(info.bitsAllocated / 8));
  // Refuse before allocating: a small file may claim gigabytes of pixels or an image row per frame
  // by the hundred thousand; the frames actually in the file are what its header says.
  try {
    checkImageSize('frame', info.columns, info.rows, info.samplesPerPixel * bytesPerSample, limits);
    checkFrames(info.frames, info.rows * info.columns * info.samplesPerPixel * bytesPerSample, limits);
  } catch (e) {
    throw new DicomError(`image too large to decode: ${(e as Error).message}`);
  }

  const dataSet = parsed.dataSet;
  const bigEndian = info.transferSyntax === TRANSFER_SYNTAX.explicitBig;
  const native = (frame: NativeFrame) => nativeSamples(frame, header, bigEndian, element.vr);
  let readFrame: (index: number) => Promise<RawSamples>;

  if (element.encapsulatedPixelData) {
    const encoded = encapsulatedFrames(dataSet, element, info.frames);
    readFrame = (index) =>
      decodeEncodedFrame(encoded(index), header, info.transferSyntax, (b) => native({ bytes: b, bitOffset: 0 }));
  } else {
    const whole = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
    if (!NATIVE_SYNTAXES.has(info.transferSyntax) && info.frames === 1 && looksEncoded(whole)) {
      // A compressed stream written as plain (defined-length) Pixel Data: decode it anyway.
      readFrame = () => decodeEncodedFrame(whole, header, info.transferSyntax, (b) => native({ bytes: b, bitOffset: 0 }));
    } else {
      if (info.samplesPerPixel === 3 && info.photometric === 'YBR_PARTIAL_420') {
        throw new DicomError('unsupported photometric interpretation YBR_PARTIAL_420 for uncompressed data');
      }
      const slice = nativeFrames(dataSet, element, header, frameCount);
      readFrame = async (index) => native(slice(index));
    }
  }

  const frames: DicomFrame[] = [];
  for (let index = 0; index < frameCount; index++) {
    const raw = await readFrame(index);
    checkDecoded(raw, header, index);
    frames.push(toDicomFrame(raw, header, dataSet, index));
    // Long cine loops: let other work on the event loop run between frames.
    if (index % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
  }
  return { info, frames };
}

export async function decodeDicom(
  bytes: Uint8Array,
  opts?: { maxFrames?: number },
): Promise<{ info: DicomInfo; frames: DicomFrame[] }> {
  try {
    return await decodeAll(bytes, opts?.maxFrames);
  } catch (thrown) {
    if (thrown instanceof DicomError) throw thrown;
    throw new DicomError(`cannot decode DICOM pixels: ${describeThrown(thrown)}`, { cause: thrown });
  }
}
