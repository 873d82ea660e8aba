import { inflateRawSync, inflateSync } from 'node:zlib';
import * as dicomParserModule from 'dicom-parser';
import type { DataSet, ParseDicomOptions } from 'dicom-parser';
import { decodeLimits, type DecodeLimits } from './decode-limits';
import { DicomError, describeThrown } from './dicom-error';

// dicom-parser is a UMD bundle: depending on who loads it (vitest, Node ESM, the electron-vite CJS
// bundle) its functions sit on the namespace or on its `default`.
const dicomParser: typeof dicomParserModule =
  (dicomParserModule as unknown as { default?: typeof dicomParserModule }).default ?? dicomParserModule;
export { dicomParser };

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntax: string;
  /** Why parsing stopped early, if it did; the elements read up to that point are still in `dataSet`. */
  parseProblem: string | null;
}

export function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

const VALID_VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

/**
 * Old ACR-NEMA style files and some modality dumps have no preamble/"DICM": recognise them by a
 * first element in group 0002 or 0008 (little endian) whose header makes sense either as explicit
 * VR or as an implicit-VR length that fits the file.
 */
export function rawDataSetEncoding(bytes: Uint8Array): 'explicit' | 'implicit' | null {
  if (bytes.length < 12) return null;
  const group = bytes[0]! | (bytes[1]! << 8);
  if (group !== 0x0002 && group !== 0x0008) return null;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (VALID_VRS.has(vr)) return 'explicit';
  const length = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16)) + bytes[7]! * 0x1000000;
  if (group === 0x0008 && (length === 0xffffffff || length <= bytes.length - 8)) return 'implicit';
  return null;
}

function isOutputBound(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/i.test(String(e));
}

/**
 * Deflated transfer syntax: the data set after the meta header is a raw deflate stream (some
 * writers add a zlib header). Inflated with an output bound: deflate reaches ~1000:1, so a file of
 * a megabyte could otherwise become a gigabyte before any header is read.
 */
function inflateDataSet(bytes: Uint8Array, position: number, limits: DecodeLimits): Uint8Array {
  const compressed = bytes.subarray(position);
  // The pixel data is at most the decoded-bytes limit; the rest of the data set rides on top.
  const bound = limits.maxDecodedBytes + 16 * 2 ** 20;
  const tooLarge = () =>
    new DicomError(
      `deflated data set too large: ${compressed.length} bytes inflate beyond ${Math.round(bound / 2 ** 20)} MiB, above the limit (APPRENTICE_MAX_DECODED_BYTES)`,
    );
  let inflated: Uint8Array;
  try {
    inflated = inflateRawSync(compressed, { maxOutputLength: bound });
  } catch (rawError) {
    if (isOutputBound(rawError)) throw tooLarge();
    try {
      inflated = inflateSync(compressed, { maxOutputLength: bound });
    } catch (zlibError) {
      if (isOutputBound(zlibError)) throw tooLarge();
      throw new DicomError(`deflated data set cannot be inflated: ${describeThrown(rawError)}`);
    }
  }
  const whole = new Uint8Array(position + inflated.length);
  whole.set(bytes.subarray(0, position), 0);
  whole.set(inflated, position);
  return whole;
}

function metaTransferSyntax(bytes: Uint8Array): string | null {
  try {
    const meta = dicomParser.readPart10Header(bytes);
    return meta.string('x00020010')?.replace(/\0/g, '').trim() || null;
  } catch {
    return null;
  }
}

/**
 * Parses the whole data set (or up to the Pixel Data header when `headerOnly`). A data set that
 * breaks off part-way (truncated file, bad element) is kept with `parseProblem` set, so the caller
 * can still report what is there and say precisely what is missing.
 */
export function parseDicomBytes(input: Uint8Array, headerOnly: boolean, limits = decodeLimits()): ParsedDicom {
  if (!(input instanceof Uint8Array)) throw new DicomError('not a byte array');
  // A Node Buffer would make dicom-parser hand out Buffers, whose slice() is a view, not a copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const part10 = hasDicmPrefix(bytes);
  let transferSyntax: string;
  const options: ParseDicomOptions = {};
  if (part10) {
    const fromMeta = metaTransferSyntax(bytes);
    if (!fromMeta) throw new DicomError('unreadable DICOM file meta header (no transfer syntax UID)');
    transferSyntax = fromMeta;
  } else {
    const encoding = rawDataSetEncoding(bytes);
    if (!encoding) throw new DicomError('not a DICOM file: no "DICM" marker at byte 128 and no recognisable data set at the start');
    transferSyntax = encoding === 'explicit' ? TRANSFER_SYNTAX.explicitLittle : TRANSFER_SYNTAX.implicitLittle;
    options.TransferSyntaxUID = transferSyntax;
  }
  if (headerOnly) options.untilTag = 'x7fe00010';
  // Typed as returning void upstream, but dicom-parser uses the returned bytes as the data set.
  options.inflater = ((whole: Uint8Array, position: number) => inflateDataSet(whole, position, limits)) as unknown as ParseDicomOptions['inflater'];

  try {
    const dataSet = dicomParser.parseDicom(bytes, options);
    return { dataSet, transferSyntax, parseProblem: null };
  } catch (thrown) {
    if (thrown instanceof DicomError) throw thrown;
    const partial = (thrown as { dataSet?: DataSet } | null)?.dataSet;
    const reason = describeThrown(thrown);
    if (partial && Object.keys(partial.elements).length > 0) {
      return { dataSet: partial, transferSyntax, parseProblem: reason };
    }
    throw new DicomError(`unreadable DICOM data set: ${reason}`, { cause: thrown });
  }
}
