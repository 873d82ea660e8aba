import dcmjs from 'dcmjs';
import { checkFrames, checkImageSize, decodeLimits } from './decode-limits';
import type { Mask } from './mask';

/**
 * Reads a DICOM Segmentation object (PS3.3 A.51, C.8.20): its segments with their label and coded
 * category/type, and each frame as a binary mask of one segment on the source frame it names
 * (DerivationImageSequence → SourceImageSequence, by SOP Instance UID and frame number). FRACTIONAL
 * frames become binary at a threshold. Nothing here knows the workspace; matching the sources to
 * imported images is the importer's job.
 */

export const SEG_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.4';

export class SegReadError extends Error {}

export interface SegCode {
  value: string;
  scheme: string;
  meaning: string;
}

export interface SegSegment {
  number: number;
  label: string;
  category: SegCode | null;
  type: SegCode | null;
  algorithmType: string | null;
}

export interface SegSourceRef {
  sopInstanceUid: string;
  /** 0-based; a single-frame source is frame 0. */
  frameIndex: number;
}

export interface SegFrame {
  segment: number;
  source: SegSourceRef | null;
  mask: Mask;
}

export interface ParsedSeg {
  sopInstanceUid: string | null;
  segmentationType: 'BINARY' | 'FRACTIONAL';
  /** FRACTIONAL only: the threshold applied, as a fraction of MaximumFractionalValue. */
  threshold: number | null;
  rows: number;
  columns: number;
  segments: SegSegment[];
  frames: SegFrame[];
}

type Dataset = Record<string, unknown>;

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

const list = (v: unknown): Dataset[] => (v === undefined || v === null ? [] : Array.isArray(v) ? (v as Dataset[]) : [v as Dataset]);
const text = (v: unknown): string | null => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() ? s.trim() : null;
};
const num = (v: unknown): number | null => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return v === undefined || v === null || !Number.isFinite(n) ? null : n;
};

function codeOf(seq: unknown): SegCode | null {
  const item = list(seq)[0];
  if (!item) return null;
  const value = text(item.CodeValue) ?? text(item.LongCodeValue) ?? text(item.URNCodeValue);
  if (!value) return null;
  return { value, scheme: text(item.CodingSchemeDesignator) ?? '', meaning: text(item.CodeMeaning) ?? '' };
}

/** Whether DICOM bytes are a Segmentation object, from the header alone. */
export function isSegSopClass(sopClassUid: string | null): boolean {
  return sopClassUid === SEG_SOP_CLASS_UID;
}

function parse(bytes: Uint8Array): { meta: Dataset; data: Dataset } {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const level = dcmjs.log?.getLevel?.();
  dcmjs.log?.setLevel?.('error'); // implicit-VR files make dcmjs warn per element; the reason would be ours to give
  try {
    const dict = dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors: false });
    return {
      meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
      data: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
    };
  } catch (e) {
    throw new SegReadError(`cannot read the DICOM SEG: ${(e as Error).message}`);
  } finally {
    if (level !== undefined) dcmjs.log?.setLevel?.(level);
  }
}

/** The SEG's segments and frames; `threshold` (0…1, default 0.5) binarises FRACTIONAL frames. */
export function readDicomSeg(bytes: Uint8Array, opts: { threshold?: number } = {}): ParsedSeg {
  const { meta, data } = parse(bytes);
  if (text(data.SOPClassUID) !== SEG_SOP_CLASS_UID) throw new SegReadError(`not a DICOM SEG (SOP class ${text(data.SOPClassUID) ?? 'missing'})`);
  const syntax = text(meta.TransferSyntaxUID) ?? '1.2.840.10008.1.2';
  if (!UNCOMPRESSED.has(syntax)) throw new SegReadError(`compressed DICOM SEG (transfer syntax ${syntax}) is not supported; store it uncompressed`);
  const type = text(data.SegmentationType);
  if (type !== 'BINARY' && type !== 'FRACTIONAL') throw new SegReadError(`unsupported SegmentationType ${type ?? 'missing'} (BINARY or FRACTIONAL)`);
  const rows = num(data.Rows) ?? 0;
  const columns = num(data.Columns) ?? 0;
  const frameCount = num(data.NumberOfFrames) ?? 1;
  const bits = num(data.BitsAllocated);
  if (type === 'BINARY' ? bits !== 1 : bits !== 8) throw new SegReadError(`${type} SEG with BitsAllocated ${bits} (expected ${type === 'BINARY' ? 1 : 8})`);
  const limits = decodeLimits();
  try {
    checkImageSize('SEG frame', columns, rows, 1, limits);
    checkFrames(frameCount, rows * columns, limits);
  } catch (e) {
    throw new SegReadError(`SEG too large to read: ${(e as Error).message}`);
  }

  const segments: SegSegment[] = list(data.SegmentSequence).map((s) => ({
    number: num(s.SegmentNumber) ?? 0,
    label: text(s.SegmentLabel) ?? `Segment ${num(s.SegmentNumber) ?? '?'}`,
    category: codeOf(s.SegmentedPropertyCategoryCodeSequence),
    type: codeOf(s.SegmentedPropertyTypeCodeSequence),
    algorithmType: text(s.SegmentAlgorithmType),
  }));
  if (segments.length === 0) throw new SegReadError('the SEG lists no segments');

  const shared = list(data.SharedFunctionalGroupsSequence)[0] ?? {};
  const perFrame = list(data.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== frameCount) throw new SegReadError(`${perFrame.length} per-frame functional groups for ${frameCount} frames`);
  const pixels = pixelBytes(data.PixelData);
  const pixelsPerFrame = rows * columns;
  const need = type === 'BINARY' ? Math.ceil((frameCount * pixelsPerFrame) / 8) : frameCount * pixelsPerFrame;
  if (pixels.length < need) throw new SegReadError(`the SEG's pixel data holds ${pixels.length} bytes, its ${frameCount} frames need ${need}`);
  const maxFraction = num(data.MaximumFractionalValue) ?? 255;
  const threshold = opts.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) throw new SegReadError(`threshold ${threshold} is outside (0, 1]`);

  const frames: SegFrame[] = perFrame.map((groups, f) => {
    const segment = num(list(groups.SegmentIdentificationSequence ?? shared.SegmentIdentificationSequence)[0]?.ReferencedSegmentNumber);
    if (segment === null || !segments.some((s) => s.number === segment)) {
      throw new SegReadError(`frame ${f + 1} names segment ${segment ?? '(none)'}, which the SEG does not list`);
    }
    const mask = { width: columns, height: rows, data: new Uint8Array(pixelsPerFrame) };
    if (type === 'BINARY') {
      // Binary frames are packed back to back, so a frame may start mid-byte.
      const first = f * pixelsPerFrame;
      for (let i = 0; i < pixelsPerFrame; i++) mask.data[i] = (pixels[(first + i) >> 3]! >> ((first + i) & 7)) & 1;
    } else {
      const cut = threshold * maxFraction;
      const start = f * pixelsPerFrame;
      for (let i = 0; i < pixelsPerFrame; i++) mask.data[i] = pixels[start + i]! >= cut ? 1 : 0;
    }
    return { segment, source: sourceOf(groups), mask };
  });
  return {
    sopInstanceUid: text(data.SOPInstanceUID),
    segmentationType: type,
    threshold: type === 'FRACTIONAL' ? threshold : null,
    rows,
    columns,
    segments,
    frames,
  };
}

function sourceOf(groups: Dataset): SegSourceRef | null {
  for (const derivation of list(groups.DerivationImageSequence)) {
    for (const source of list(derivation.SourceImageSequence)) {
      const sopInstanceUid = text(source.ReferencedSOPInstanceUID);
      if (!sopInstanceUid) continue;
      const frame = num(source.ReferencedFrameNumber);
      return { sopInstanceUid, frameIndex: frame !== null && frame >= 1 ? frame - 1 : 0 };
    }
  }
  return null;
}

function pixelBytes(value: unknown): Uint8Array {
  const parts = (Array.isArray(value) ? value : [value]).filter((p): p is ArrayBuffer | ArrayBufferView => !!p && typeof p === 'object');
  if (parts.length === 0) throw new SegReadError('the SEG has no pixel data');
  const views = parts.map((p) => (ArrayBuffer.isView(p) ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : new Uint8Array(p)));
  if (views.length === 1) return views[0]!;
  const out = new Uint8Array(views.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of views) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/**
 * Whether DICOM bytes declare the Segmentation SOP class near their start (the file meta's
 * MediaStorageSOPClassUID, or SOPClassUID early in a raw data set), so an import routes them to the
 * SEG reader before any image decoding; the reader then checks the class properly.
 */
export function looksLikeSeg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('latin1');
  // Not followed by a digit or dot: 1.2.840.10008.5.1.4.1.1.66.4 but not a longer UID it begins.
  return new RegExp(`${SEG_SOP_CLASS_UID.replace(/\./g, '\\.')}(?![0-9.])`).test(head);
}
