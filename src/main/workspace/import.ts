import { statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isDicom } from '../imaging/dicom';
import { looksLikeSeg, type ParsedSeg } from '../imaging/dicom-seg-read';
import { isNiftiFile, type NiftiVolume } from '../imaging/nifti';
import type { SliceAxis } from '../imaging/nifti-slices';
import { sharedDecoder } from '../imaging/decode-client';
import type { DecodedDicom, DecodedRaster } from '../imaging/decode-for-import';
import type { DicomPlacement } from '../imaging/dicom-types';
import type { RuledMaskFile } from '../imaging/mask-rules';
import { bytesOf } from '../imaging/pixels';
import { sniffRaster } from '../imaging/raster';
import { decodeLimits } from '../imaging/decode-limits';
import { explainDecodeError } from '../imaging/decode-errors';
import { describe } from '../util/errors';
import { readRegularFile, walkFiles, type FoundFile } from '../util/file-walk';
import { releaseBlob } from './blob-release';
import { sha256 } from './blobs';
import { importNifti, labelVolumeKeys } from './import-nifti';
import { importSeg } from './import-seg';
import { MaskImport, type MaskImportOptions, type ReadyMask } from './import-masks';
import { nowIso, type Workspace } from './workspace';
import type { ImportFailure, ImportResult } from '../../shared/contract';

export interface ImportRequest extends MaskImportOptions {
  /** Files and folders, as the user gave them; folders are walked recursively in name order. */
  paths: string[];
  /** Optional folder of masks matched to images by file name (the Kvasir-SEG layout); read by the mask rules (mask-rules.ts). */
  masks?: string;
  /** NIfTI volumes become 2D slices along this axis (default axial). */
  niftiAxis?: SliceAxis;
  /** A FRACTIONAL DICOM SEG's pixel belongs to its segment from this fraction on (0…1, default 0.5). */
  segThreshold?: number;
}

export interface ImportProgress {
  done: number;
  total: number;
  file: string;
}

export { THUMBNAIL_SIDE } from '../imaging/decode-for-import';

/**
 * Imports every image it can and reports every file it cannot, by name and reason. Each file is
 * committed in its own transaction after its blobs are safely written, so a killed import leaves a
 * consistent store (at worst an unreferenced blob) and a re-run picks up where it stopped: files
 * already stored are recognised by SHA-256 and counted as duplicates.
 */
export async function importImages(
  ws: Workspace,
  req: ImportRequest,
  opts: { onProgress?: (p: ImportProgress) => void; signal?: AbortSignal } = {},
): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, duplicates: 0, masks: 0, failed: [] };
  // Per entry, never per folder: what cannot be walked is reported and the rest is imported.
  const { files, problems } = walkFiles(req.paths);
  result.failed.push(...problems);
  const maskIndex = req.masks ? indexMasks(req.masks, result) : null;
  const maskImport = req.masks ? new MaskImport(ws, result, req) : null;
  // A SEG is ground truth of frames imported before it: SEGs wait until every image of this import is in.
  const segs: (PreparedFile & { format: 'seg' })[] = [];

  // Files ahead of the one being committed are read, hashed and queued for decoding, so the decode
  // processes keep working while this process writes blobs and commits; in file order, so commits are.
  const ahead: { prepared: Promise<PreparedFile>; size: number }[] = [];
  let queued = 0;
  let aheadBytes = 0;
  const prepareAhead = () => {
    while (queued < files.length && (ahead.length === 0 || (ahead.length < AHEAD_FILES && aheadBytes < AHEAD_BYTES))) {
      const size = fileSize(files[queued]!);
      ahead.push({ prepared: quietly(prepareFile(ws, files[queued]!, maskIndex, maskImport, req.segThreshold)), size });
      aheadBytes += size;
      queued++;
    }
  };
  // A file's commit waits for its blobs while the next file is staged: the fsyncs of one overlap the
  // decode, mask rules and encoding of the next. Commits stay in file order, each after its blobs.
  let pending: { file: string; staged: Staged } | null = null;
  const record = (outcome: FileOutcome) => {
    if (outcome.added > 0) result.imported += outcome.added;
    else result.duplicates += 1;
    result.masks += outcome.masks;
  };
  const commitPending = async () => {
    if (!pending) return;
    const { file, staged } = pending;
    pending = null;
    try {
      record((await staged.written)());
    } catch (e) {
      result.failed.push({ file, error: describe(e) });
    }
  };
  try {
    for (let i = 0; i < files.length; i++) {
      opts.signal?.throwIfAborted();
      const file = files[i]!;
      prepareAhead();
      const { prepared, size } = ahead.shift()!;
      aheadBytes -= size;
      prepareAhead();
      opts.onProgress?.({ done: i, total: files.length, file: file.display });
      try {
        const ready = await prepared;
        if (ready.format === 'seg') {
          segs.push(ready);
          continue;
        }
        if (ready.format === 'nifti') {
          await commitPending();
          record(await importNifti(ws, ready, (b) => sharedDecoder().decode('nifti', b), req.niftiAxis ?? 'axial', maskImport));
        } else {
          const staged = await stageFile(ws, ready, maskIndex, maskImport);
          await commitPending();
          pending = { file: file.display, staged };
        }
      } catch (e) {
        await commitPending();
        result.failed.push({ file: file.display, error: describe(e) });
      }
      await yieldToLoop(); // keep a host's event loop (and its progress events) flowing
    }
    await commitPending();
  } catch (e) {
    // A cancel (each file's own failure is caught above as that file's): the file staged is
    // committed, those read ahead are dropped.
    await commitPending();
    await discardAhead(ws, ahead);
    throw e;
  }
  for (const seg of segs) {
    try {
      result.masks += importSeg(ws, seg.file, await seg.seg, result).masks;
    } catch (e) {
      result.failed.push({ file: seg.file, error: describe(e) });
    }
  }
  maskImport?.finish(req.masks!);
  opts.onProgress?.({ done: files.length, total: files.length, file: '' });
  return result;
}

/**
 * A cancelled import: the files read ahead may have written their blobs, which no row will name;
 * they go (unless a committed file shares them), so a cancel leaves the store as the commits left it.
 */
async function discardAhead(ws: Workspace, ahead: { prepared: Promise<PreparedFile> }[]): Promise<void> {
  for (const { prepared } of ahead.splice(0)) {
    const file = await prepared.catch(() => null);
    if (!file || (file.format !== 'png' && file.format !== 'jpeg') || !file.blobs) continue;
    releaseBlob(ws, await file.blobs.catch(() => null));
    releaseBlob(ws, file.hash);
  }
}

/** How many files, and how many of their bytes at most, are read and queued ahead of the one being committed. */
const AHEAD_FILES = 4;
const AHEAD_BYTES = 64 * 2 ** 20;

function fileSize(found: FoundFile): number {
  try {
    return statSync(found.path).size;
  } catch {
    return 0; // reading it will say what is wrong
  }
}

/** Masks by file stem, so `a.jpg` finds `masks/a.jpg` or `masks/a.png`. */
function indexMasks(dir: string, result: ImportResult): Map<string, FoundFile> {
  const index = new Map<string, FoundFile>();
  const { files, problems } = walkFiles([dir]);
  for (const p of problems) result.failed.push({ file: p.file, error: `mask skipped: ${p.error}` });
  for (const f of files) index.set(stem(f.display), f);
  return index;
}

/** A file larger than this is refused before it is read (a multi-frame DICOM of a few GB is not a training image). */
function maxFileBytes(): number {
  return Math.min(2 ** 31 - 1, decodeLimits().maxDecodedBytes * 2);
}

/** Another process importing the same file committed it first: that is a duplicate, not a failure. */
function isDuplicateRow(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: images\.sha256, images\.frame_index/.test(e.message);
}

function stem(name: string): string {
  return basename(name, extname(name));
}

interface FileOutcome {
  added: number;
  masks: number;
}

/**
 * A file decoded, its mask read by the rules and its blobs on their way: `written` resolves, once
 * they are on disk, to the commit that names them (the image's rows in one transaction).
 */
interface Staged {
  written: Promise<() => FileOutcome>;
}

const nothingToCommit = (outcome: FileOutcome): Staged => ({ written: Promise.resolve(() => outcome) });

/**
 * A file read and hashed; when it is not stored yet, its decode (and its mask's) is already queued,
 * and a raster's thumbnail and source are written as soon as it decodes (`blobs`: the thumbnail's
 * hash), while earlier files are still being committed.
 */
type PreparedFile = { file: string; bytes: Buffer; hash: string } & (
  | { format: 'png' | 'jpeg'; image: Promise<DecodedRaster> | null; blobs: Promise<string> | null; mask: Promise<MaskRead> | null }
  | { format: 'dicom'; image: Promise<DecodedDicom> | null }
  | { format: 'nifti'; volume: Promise<NiftiVolume> | null; labels: { file: string; volume: Promise<NiftiVolume> } | null }
  | { format: 'seg'; seg: Promise<ParsedSeg> }
);

/** A promise awaited later: its rejection is the file's failure then, not an unhandled rejection now. */
function quietly<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function prepareFile(
  ws: Workspace,
  found: FoundFile,
  maskIndex: Map<string, FoundFile> | null,
  maskImport: MaskImport | null,
  segThreshold?: number,
): Promise<PreparedFile> {
  const bytes = readRegularFile(found.path, maxFileBytes());
  const file = found.display;
  if (bytes.length === 0) throw new Error('empty file');
  const hash = sha256(bytes);
  const stored = ws.db.prepare('SELECT 1 FROM images WHERE sha256 = ? LIMIT 1').get(hash) !== undefined;
  const raster = sniffRaster(bytes);
  if (raster) {
    const maskFile = maskIndex?.get(stem(file));
    const image = stored ? null : quietly(sharedDecoder().decode('raster', bytes));
    const blobs = image && quietly(image.then((rgb) => writeRasterBlobs(ws, bytes, rgb)));
    return { file, bytes, hash, format: raster, image, blobs, mask: !stored && maskFile && maskImport ? readMask(maskFile, maskImport) : null };
  }
  if (isDicom(bytes) && looksLikeSeg(bytes)) return { file, bytes, hash, format: 'seg', seg: quietly(sharedDecoder().decode('seg', bytes, { segThreshold })) };
  if (isDicom(bytes)) return { file, bytes, hash, format: 'dicom', image: stored ? null : quietly(sharedDecoder().decode('dicom', bytes)) };
  if (isNiftiFile(file, bytes)) {
    const labelFile = stored ? undefined : labelVolumeKeys(file).map((k) => maskIndex?.get(k)).find(Boolean);
    const labels = labelFile
      ? { file: labelFile.display, volume: quietly(sharedDecoder().decode('nifti', readRegularFile(labelFile.path, maxFileBytes()))) }
      : null;
    return { file, bytes, hash, format: 'nifti', volume: stored ? null : quietly(sharedDecoder().decode('nifti', bytes)), labels };
  }
  throw new Error('unrecognised format: not PNG, JPEG, DICOM or NIfTI');
}

async function stageFile(
  ws: Workspace,
  prepared: PreparedFile & { format: 'png' | 'jpeg' | 'dicom' },
  maskIndex: Map<string, FoundFile> | null,
  maskImport: MaskImport | null,
): Promise<Staged> {
  return prepared.format === 'dicom' ? stageDicom(ws, prepared) : stageRaster(ws, prepared, maskIndex, maskImport);
}

async function stageRaster(
  ws: Workspace,
  prepared: PreparedFile & { format: 'png' | 'jpeg' },
  maskIndex: Map<string, FoundFile> | null,
  maskImport: MaskImport | null,
): Promise<Staged> {
  const { file, bytes, hash, format } = prepared;
  const existing = ws.db.prepare('SELECT id, width, height FROM images WHERE sha256 = ? AND frame_index = 0').get(hash) as
    { id: number; width: number; height: number } | undefined;
  const maskFile = maskIndex?.get(stem(file));
  if (existing) {
    // Re-import is a no-op for the image; a mask that was missing before is still worth attaching.
    const hasMask = ws.db.prepare('SELECT 1 FROM masks WHERE image_id = ? AND current = 1').get(existing.id);
    if (hasMask || !maskFile || !maskImport) return nothingToCommit({ added: 0, masks: 0 });
    attachMask(ws, existing.id, await readMask(maskFile, maskImport), existing, maskImport);
    return nothingToCommit({ added: 0, masks: 0 });
  }

  let rgb: DecodedRaster;
  try {
    rgb = await (prepared.image ?? sharedDecoder().decode('raster', bytes));
  } catch (e) {
    const kind = format === 'png' ? 'PNG' : 'JPEG';
    throw new Error(`cannot decode ${kind}: ${explainDecodeError(kind, describe(e))}`);
  }
  const thumb = prepared.blobs ?? writeRasterBlobs(ws, bytes, rgb);
  const maskRead = maskFile && maskImport ? await (prepared.mask ?? readMask(maskFile, maskImport)) : null;
  const ready = maskRead ? readyMask(maskRead, rgb, maskImport!) : null;
  const written = Promise.all([thumb, ready && maskImport!.writeAhead(ready)]);
  return { written: quietly(written.then(([t]) => () => commitRaster(ws, prepared, rgb, t, ready, maskImport))) };
}

function commitRaster(
  ws: Workspace,
  { file, hash, format }: PreparedFile & { format: 'png' | 'jpeg' },
  rgb: DecodedRaster,
  thumb: string,
  ready: ReadyMask | null,
  maskImport: MaskImport | null,
): FileOutcome {
  try {
    // The image and its mask land together or not at all: a killed import never leaves a labeled
    // image without its label, nor a label a re-run would not know it already has.
    ws.transaction(() => {
      const id = insertImage(ws, {
        sha256: hash,
        frame_index: 0,
        source_path: resolve(file),
        source_blob: hash,
        format,
        width: rgb.width,
        height: rgb.height,
        samples: 3,
        thumbnail_blob: thumb,
      });
      if (ready) maskImport!.store(id, ready);
    });
  } catch (e) {
    if (!isDuplicateRow(e)) throw e;
    // The same bytes were committed first, by the file before this one or another process: as on a
    // re-import, only a mask the stored image lacks is added.
    const existing = ws.db.prepare('SELECT id FROM images WHERE sha256 = ? AND frame_index = 0').get(hash) as { id: number } | undefined;
    const hasMask = existing && ws.db.prepare('SELECT 1 FROM masks WHERE image_id = ? AND current = 1').get(existing.id);
    if (existing && !hasMask && ready) ws.transaction(() => maskImport!.store(existing.id, ready));
    return { added: 0, masks: 0 };
  }
  return { added: 1, masks: 0 };
}

/** A decoded raster's blobs, its thumbnail and its source, written side by side; the thumbnail's hash. */
async function writeRasterBlobs(ws: Workspace, source: Uint8Array, rgb: DecodedRaster): Promise<string> {
  const [thumb] = await ws.blobs.putAll([rgb.thumbnail, source]);
  return thumb!;
}

type MaskRead = { ruled: RuledMaskFile; file: string } | { error: ImportFailure };

/** A mask read by the rules, ready to store with its image; a file that fits no rule is reported (MaskImport counts both). */
function readyMask(m: MaskRead, size: { width: number; height: number }, maskImport: MaskImport): ReadyMask | null {
  if ('error' in m) {
    maskImport.reportFailure(m.error);
    return null;
  }
  return maskImport.accept(m.file, m.ruled, size.width, size.height);
}

/** Reads a mask by the rules and stores it as an existing image's ground truth. */
function attachMask(ws: Workspace, imageId: number, m: MaskRead, size: { width: number; height: number }, maskImport: MaskImport): void {
  const ready = readyMask(m, size, maskImport);
  if (ready) ws.transaction(() => maskImport.store(imageId, ready));
}

/** A mask file decoded and read by the rules in a decode process, which makes its PNGs too. */
async function readMask(found: FoundFile, maskImport: MaskImport): Promise<MaskRead> {
  const file = found.display;
  try {
    const bytes = readRegularFile(found.path, maxFileBytes());
    return { ruled: await sharedDecoder().decode('maskForImport', bytes, { maskRules: maskImport.ruleSettings() }), file };
  } catch (e) {
    return { error: { file, error: `cannot read mask: ${explainDecodeError(/\.png$/i.test(file) ? 'PNG' : 'JPEG', describe(e))}` } };
  }
}

async function stageDicom(ws: Workspace, prepared: PreparedFile & { format: 'dicom' }): Promise<Staged> {
  const { bytes, hash } = prepared;
  const known = ws.db.prepare('SELECT COUNT(*) AS n FROM images WHERE sha256 = ?').get(hash) as { n: number };
  if (known.n > 0) return nothingToCommit({ added: 0, masks: 0 });
  const decoded = await (prepared.image ?? sharedDecoder().decode('dicom', bytes));
  if (decoded.frames.length === 0) throw new Error('no frames decoded');
  const written = ws.blobs.putAll([bytes, ...decoded.frames.flatMap((fr) => [bytesOf(fr.data), fr.thumbnail])]);
  return { written: quietly(written.then(([, ...frameBlobs]) => () => commitDicom(ws, prepared, decoded, frameBlobs))) };
}

/** A DICOM file's frames as rows, in one transaction; `frameBlobs` holds each frame's pixels and thumbnail, in turn. */
function commitDicom(ws: Workspace, { file, hash }: PreparedFile, { info, frames }: DecodedDicom, frameBlobs: string[]): FileOutcome {
  const rows = frames.map((fr, i) => ({ fr, pixelBlob: frameBlobs[2 * i]!, thumb: frameBlobs[2 * i + 1]! }));
  try {
    ws.transaction(() => {
      for (const { fr, pixelBlob, thumb } of rows) {
        insertImage(ws, {
          sha256: hash,
          frame_index: fr.index,
          source_path: resolve(file),
          source_blob: hash,
          format: 'dicom',
          width: fr.width,
          height: fr.height,
          samples: fr.samples,
          pixel_blob: pixelBlob,
          pixel_dtype: fr.dtype,
          pixel_min: fr.min,
          pixel_max: fr.max,
          thumbnail_blob: thumb,
          modality: info.modality,
          photometric: info.photometric,
          transfer_syntax: info.transferSyntax,
          window_center: info.windowCenter,
          window_width: info.windowWidth,
          rescale_slope: info.rescaleSlope,
          rescale_intercept: info.rescaleIntercept,
          pixel_spacing: info.pixelSpacing ? JSON.stringify(info.pixelSpacing) : null,
          study_uid: info.studyUid,
          series_uid: info.seriesUid,
          sop_uid: info.sopUid,
          frames: info.frames,
          ...placementColumns(info.placement, fr.index),
        });
      }
    });
  } catch (e) {
    if (isDuplicateRow(e)) return { added: 0, masks: 0 };
    throw e;
  }
  return { added: rows.length, masks: 0 };
}

function placementColumns(p: DicomPlacement, frame: number): Record<string, string | number | null> {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  return {
    patient_id: p.patientId,
    patient_name: p.patientName,
    study_description: p.studyDescription,
    study_date: p.studyDate,
    series_description: p.seriesDescription,
    series_number: p.seriesNumber,
    instance_number: p.instanceNumber,
    image_position: json(p.framePositions[frame]),
    image_orientation: json(p.imageOrientation),
    voi_windows: p.voiWindows.length ? JSON.stringify(p.voiWindows) : null,
    spacing_source: p.spacingSource,
  };
}

type ImageInsert = Record<string, string | number | null> & {
  sha256: string;
  frame_index: number;
  source_path: string;
  source_blob: string;
  format: string;
  width: number;
  height: number;
  samples: number;
  thumbnail_blob: string;
};

function insertImage(ws: Workspace, row: ImageInsert): number {
  const cols = [...Object.keys(row), 'imported_at'];
  const sql = `INSERT INTO images (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`;
  const info = ws.db.prepare(sql).run({ ...row, imported_at: nowIso() });
  return Number(info.lastInsertRowid);
}
