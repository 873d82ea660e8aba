import type { DataSet, Element } from 'dicom-parser';
import { checkFrameCount, decodeLimits, type DecodeLimits } from './decode-limits';
import { DicomError } from './dicom-error';
import type { ParsedDicom } from './dicom-parse';
import type { DicomInfo, DicomPlacement, VoiWindow } from './dicom-types';

/** What decoding needs beyond the public DicomInfo. */
export interface ImageHeader {
  info: DicomInfo;
  highBit: number;
  planarConfiguration: number;
  /** (7FE0,0010) Pixel Data, or the float / double float variants; null when the file has none. */
  pixelElement: Element | null;
  pixelKind: 'integer' | 'float32' | 'float64';
}

function text(dataSet: DataSet, tag: string): string | null {
  const value = dataSet.string(tag)?.replace(/\0/g, '').trim();
  return value ? value : null;
}

function finite(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function decimal(dataSet: DataSet, tag: string, index = 0): number | null {
  try {
    return finite(dataSet.floatString(tag, index));
  } catch {
    return null;
  }
}

/**
 * Enhanced multi-frame objects (e.g. Enhanced CT) keep spacing, rescale and window inside the
 * Shared / Per-frame Functional Groups instead of the top level: look there as a fallback, shared
 * first, then the first frame's (the app keeps one value per image).
 */
function functionalGroupMacro(dataSet: DataSet, macroTag: string): DataSet | null {
  for (const groupsTag of ['x52009229', 'x52009230']) {
    const groups = dataSet.elements[groupsTag]?.items?.[0]?.dataSet;
    const macro = groups?.elements[macroTag]?.items?.[0]?.dataSet;
    if (macro) return macro;
  }
  return null;
}

function withFallback<T>(dataSet: DataSet, macroTag: string, read: (ds: DataSet) => T | null): T | null {
  const direct = read(dataSet);
  if (direct !== null) return direct;
  const macro = functionalGroupMacro(dataSet, macroTag);
  return macro ? read(macro) : null;
}

function spacingFrom(tag: string) {
  return (ds: DataSet): [number, number] | null => {
    const row = decimal(ds, tag, 0);
    const col = decimal(ds, tag, 1);
    if (row === null || row <= 0) return null;
    return [row, col !== null && col > 0 ? col : row];
  };
}

/** Every value of a multi-valued DS attribute, or null when any is missing or not a number. */
function decimals(dataSet: DataSet, tag: string, count: number): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = decimal(dataSet, tag, i);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

function integer(dataSet: DataSet, tag: string): number | null {
  const t = text(dataSet, tag);
  const n = t === null ? NaN : Number.parseInt(t, 10);
  return Number.isFinite(n) ? n : null;
}

/** The VOI LUT module's windows: WindowCenter/Width are multi-valued, paired by index with their explanations. */
function voiWindows(ds: DataSet): VoiWindow[] {
  const names = (ds.string('x00281055') ?? '').split('\\').map((n) => n.replace(/\0/g, '').trim());
  const out: VoiWindow[] = [];
  for (let i = 0; ; i++) {
    const center = decimal(ds, 'x00281050', i);
    const width = decimal(ds, 'x00281051', i);
    if (center === null || width === null) break;
    if (width > 0) out.push({ center, width, name: names[i] || null });
  }
  return out;
}

const position = (ds: DataSet) => decimals(ds, 'x00200032', 3) as [number, number, number] | null;

/** ImagePositionPatient per frame: per-frame functional groups (Enhanced objects), else the file's own. */
function framePositions(ds: DataSet, frames: number): ([number, number, number] | null)[] {
  const own = withFallback(ds, 'x00209113', position);
  const perFrame = ds.elements['x52009230']?.items;
  return Array.from({ length: frames }, (_, i) => {
    const plane = perFrame?.[i]?.dataSet?.elements['x00209113']?.items?.[0]?.dataSet;
    return (plane && position(plane)) ?? own;
  });
}

function readPlacement(ds: DataSet, frames: number): Omit<DicomPlacement, 'spacingSource'> {
  const windows = voiWindows(ds);
  const macro = windows.length ? null : functionalGroupMacro(ds, 'x00289132');
  return {
    patientId: text(ds, 'x00100020'),
    patientName: text(ds, 'x00100010')?.replace(/\^+/g, ' ').trim() || null,
    studyDescription: text(ds, 'x00081030'),
    studyDate: text(ds, 'x00080020'),
    seriesDescription: text(ds, 'x0008103e'),
    seriesNumber: integer(ds, 'x00200011'),
    instanceNumber: integer(ds, 'x00200013'),
    framePositions: framePositions(ds, frames),
    imageOrientation: withFallback(ds, 'x00209116', (d) => decimals(d, 'x00200037', 6)) as DicomPlacement['imageOrientation'],
    voiWindows: macro ? voiWindows(macro) : windows,
  };
}

function uint16(dataSet: DataSet, tag: string): number | null {
  const element = dataSet.elements[tag];
  if (!element || element.length < 2) return null;
  return finite(dataSet.uint16(tag));
}

/**
 * Refuses a frame count beyond the limit from the header alone. It must run before anything made
 * per frame (the positions below, the decoder's offsets and frames): a header of a few hundred bytes
 * can claim 99,999,999 frames, and one array of that length costs seconds of CPU and gigabytes.
 */
function checkClaimedFrames(frames: number, columns: number, rows: number, limits: DecodeLimits): void {
  try {
    checkFrameCount(frames, limits);
  } catch (e) {
    throw new DicomError(`image too large to decode (the header claims ${frames} frames of ${columns}×${rows}): ${(e as Error).message}`);
  }
}

export function readImageHeader(parsed: ParsedDicom, limits = decodeLimits()): ImageHeader {
  const ds = parsed.dataSet;
  const samplesPerPixel = uint16(ds, 'x00280002') ?? 1;
  const bitsAllocated = uint16(ds, 'x00280100') ?? 0;
  const bitsStored = uint16(ds, 'x00280101') ?? bitsAllocated;
  const rows = uint16(ds, 'x00280010') ?? 0;
  const columns = uint16(ds, 'x00280011') ?? 0;
  const framesText = text(ds, 'x00280008');
  const frames = framesText !== null && Number.parseInt(framesText, 10) > 0 ? Number.parseInt(framesText, 10) : 1;
  checkClaimedFrames(frames, columns, rows, limits);

  const rescale = withFallback(ds, 'x00289145', (d) => {
    const slope = decimal(d, 'x00281053');
    const intercept = decimal(d, 'x00281052');
    return slope === null && intercept === null ? null : { slope: slope || 1, intercept: intercept ?? 0 };
  });
  const window = withFallback(ds, 'x00289132', (d) => {
    const center = decimal(d, 'x00281050');
    const width = decimal(d, 'x00281051');
    return center === null || width === null ? null : { center, width };
  });

  const patientSpacing = withFallback(ds, 'x00289110', spacingFrom('x00280030'));
  const imagerSpacing = spacingFrom('x00181164')(ds);

  const info: DicomInfo = {
    transferSyntax: parsed.transferSyntax,
    modality: text(ds, 'x00080060'),
    sopClassUid: text(ds, 'x00080016') ?? text(ds, 'x00020002'),
    // Absent in some ACR-NEMA files: the standard's defaults for the sample count.
    photometric: text(ds, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    pixelRepresentation: uint16(ds, 'x00280103') ?? 0,
    samplesPerPixel,
    frames,
    rescaleSlope: rescale?.slope ?? 1,
    rescaleIntercept: rescale?.intercept ?? 0,
    windowCenter: window?.center ?? null,
    windowWidth: window && window.width > 0 ? window.width : null,
    pixelSpacing: patientSpacing ?? imagerSpacing,
    studyUid: text(ds, 'x0020000d'),
    seriesUid: text(ds, 'x0020000e'),
    sopUid: text(ds, 'x00080018') ?? text(ds, 'x00020003'),
    placement: {
      ...readPlacement(ds, frames),
      spacingSource: patientSpacing ? 'PixelSpacing' : imagerSpacing ? 'ImagerPixelSpacing' : null,
    },
  };
  if (info.windowWidth === null) info.windowCenter = null;

  let pixelElement: Element | null = ds.elements['x7fe00010'] ?? null;
  let pixelKind: ImageHeader['pixelKind'] = 'integer';
  if (!pixelElement && ds.elements['x7fe00008']) {
    pixelElement = ds.elements['x7fe00008']!;
    pixelKind = 'float32';
  } else if (!pixelElement && ds.elements['x7fe00009']) {
    pixelElement = ds.elements['x7fe00009']!;
    pixelKind = 'float64';
  }
  if (pixelKind !== 'integer') {
    info.bitsAllocated = pixelKind === 'float32' ? 32 : 64;
    info.bitsStored = info.bitsAllocated;
  }

  return {
    info,
    highBit: uint16(ds, 'x00280102') ?? bitsStored - 1,
    planarConfiguration: uint16(ds, 'x00280006') ?? 0,
    pixelElement,
    pixelKind,
  };
}
