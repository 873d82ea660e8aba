import type { ImageDetail, ImagePixels, ImageRow, Subset, WorkspaceStatus } from '../../shared/contract';
import { decodeMaskPng, type Mask } from '../imaging/mask';
import { displayRange, frameToModelRgb, typedFromBytes, type PixelDType, type StoredFrame } from '../imaging/pixels';
import { decodeRaster, type Rgb } from '../imaging/raster';
import { latestSplitId, listSplits } from './splits';
import type { Workspace } from './workspace';

interface ImageRecord {
  id: number;
  sha256: string;
  frame_index: number;
  source_path: string;
  source_blob: string;
  format: 'png' | 'jpeg' | 'dicom' | 'nifti';
  width: number;
  height: number;
  samples: 1 | 3;
  pixel_blob: string | null;
  pixel_dtype: PixelDType | null;
  pixel_min: number | null;
  pixel_max: number | null;
  thumbnail_blob: string;
  modality: string | null;
  photometric: string | null;
  transfer_syntax: string | null;
  window_center: number | null;
  window_width: number | null;
  rescale_slope: number;
  rescale_intercept: number;
  pixel_spacing: string | null;
  study_uid: string | null;
  series_uid: string | null;
  sop_uid: string | null;
  frames: number;
  instance_number: number | null;
  image_position: string | null;
  voi_windows: string | null;
  spacing_source: 'PixelSpacing' | 'ImagerPixelSpacing' | null;
}

export class NotFoundError extends Error {}

export function imageRecord(ws: Workspace, id: number): ImageRecord {
  const row = ws.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRecord | undefined;
  if (!row) throw new NotFoundError(`no image with id ${id} in ${ws.root}`);
  return row;
}

const selectRows = (where: string) => `
  SELECT i.id, i.source_path, i.frame_index, i.format, i.width, i.height, i.modality,
         sm.subset AS split,
         EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id AND m.current = 1) AS has_mask,
         (SELECT COUNT(*) FROM pseudo_labels p WHERE p.image_id = i.id) AS pseudo_labels,
         (SELECT p.agreement_dice FROM pseudo_labels p WHERE p.image_id = i.id ORDER BY p.version DESC LIMIT 1) AS latest_agreement,
         (SELECT p.status FROM pseudo_labels p WHERE p.image_id = i.id ORDER BY p.version DESC LIMIT 1) AS latest_status,
         EXISTS (SELECT 1 FROM pseudo_labels p WHERE p.image_id = i.id AND p.status = 'accepted') AS any_accepted
  FROM images i
  LEFT JOIN split_members sm ON sm.image_id = i.id AND sm.split_id = @split
  ${where}`;

interface ListRecord {
  id: number;
  source_path: string;
  frame_index: number;
  format: 'png' | 'jpeg' | 'dicom' | 'nifti';
  width: number;
  height: number;
  modality: string | null;
  split: Subset | null;
  has_mask: number;
  pseudo_labels: number;
  latest_agreement: number | null;
  latest_status: 'new' | 'accepted' | 'rejected' | null;
  any_accepted: number;
}

function toImageRow(r: ListRecord): ImageRow {
  return {
    id: r.id,
    sourcePath: r.source_path,
    frameIndex: r.frame_index,
    format: r.format,
    width: r.width,
    height: r.height,
    modality: r.modality,
    split: r.split,
    hasMask: r.has_mask === 1,
    pseudoLabels: r.pseudo_labels,
    latestAgreement: r.latest_agreement,
    // Same rule as the review queue (mining/review.ts): decided once a version is accepted or the
    // latest one is rejected; a newer version after a rejection asks for review again.
    reviewed: r.pseudo_labels > 0 && (r.any_accepted === 1 || r.latest_status !== 'new'),
  };
}

export function listImages(ws: Workspace, offset = 0, limit = -1): { images: ImageRow[]; total: number } {
  const split = latestSplitId(ws);
  const rows = ws.db.prepare(selectRows('ORDER BY i.id LIMIT @limit OFFSET @offset')).all({ split, limit, offset }) as ListRecord[];
  const total = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  return { total, images: rows.map(toImageRow) };
}

/** Every image id, in import order. */
export function allImageIds(ws: Workspace): number[] {
  return (ws.db.prepare('SELECT id FROM images ORDER BY id').all() as { id: number }[]).map((r) => r.id);
}

export function imageDetail(ws: Workspace, id: number): ImageDetail {
  const r = imageRecord(ws, id);
  const row = ws.db.prepare(selectRows('WHERE i.id = @id')).get({ split: latestSplitId(ws), id }) as ListRecord;
  return {
    ...toImageRow(row),
    sha256: r.sha256,
    samples: r.samples,
    photometric: r.photometric,
    transferSyntax: r.transfer_syntax,
    windowCenter: r.window_center,
    windowWidth: r.window_width,
    rescaleSlope: r.rescale_slope,
    rescaleIntercept: r.rescale_intercept,
    pixelSpacing: r.pixel_spacing ? (JSON.parse(r.pixel_spacing) as [number, number]) : null,
    studyUid: r.study_uid,
    seriesUid: r.series_uid,
    sopUid: r.sop_uid,
    frames: r.frames,
    frameIds: (ws.db.prepare('SELECT id FROM images WHERE sha256 = ? ORDER BY frame_index').all(r.sha256) as { id: number }[]).map((f) => f.id),
    instanceNumber: r.instance_number,
    imagePosition: r.image_position ? (JSON.parse(r.image_position) as [number, number, number]) : null,
    voiWindows: r.voi_windows ? (JSON.parse(r.voi_windows) as ImageDetail['voiWindows']) : [],
    spacingSource: r.spacing_source,
  };
}

export function workspaceStatus(ws: Workspace): WorkspaceStatus {
  const images = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  const masks = (ws.db.prepare('SELECT COUNT(*) AS n FROM masks WHERE current = 1').get() as { n: number }).n;
  const byFormat: Record<string, number> = {};
  for (const r of ws.db.prepare('SELECT format, COUNT(*) AS n FROM images GROUP BY format').all() as { format: string; n: number }[])
    byFormat[r.format] = r.n;
  return { path: ws.root, images, masks, byFormat, splits: listSplits(ws) };
}

export function storedFrame(ws: Workspace, r: ImageRecord): StoredFrame {
  if (!r.pixel_blob || !r.pixel_dtype) throw new Error(`image ${r.id} has no decoded frame`);
  return {
    width: r.width,
    height: r.height,
    samples: r.samples,
    dtype: r.pixel_dtype,
    data: typedFromBytes(r.pixel_dtype, ws.blobs.get(r.pixel_blob)),
    rescaleSlope: r.rescale_slope,
    rescaleIntercept: r.rescale_intercept,
    windowCenter: r.window_center,
    windowWidth: r.window_width,
    min: r.pixel_min ?? 0,
    max: r.pixel_max ?? 0,
    photometric: r.photometric ?? 'MONOCHROME2',
  };
}

/** The imported file's bytes, as they were read (a DICOM SEG references its source by them). */
export function sourceFileBytes(ws: Workspace, r: ImageRecord): Buffer {
  return ws.blobs.get(r.source_blob);
}

/** The image as the models see it (8-bit RGB at source resolution), by the rule in imaging/pixels. */
export function loadModelRgb(ws: Workspace, id: number): Rgb {
  const r = imageRecord(ws, id);
  // DICOM frames and NIfTI slices are stored decoded; PNG and JPEG decode from their source.
  if (r.format === 'dicom' || r.format === 'nifti') return frameToModelRgb(storedFrame(ws, r));
  return decodeRaster(ws.blobs.get(r.source_blob));
}

export function loadMask(ws: Workspace, id: number): Mask | null {
  const row = ws.db.prepare('SELECT blob FROM masks WHERE image_id = ? AND current = 1').get(id) as { blob: string } | undefined;
  return row ? decodeMaskPng(ws.blobs.get(row.blob)) : null;
}

export function maskPngDataUrl(ws: Workspace, id: number): { dataUrl: string | null; area: number } {
  imageRecord(ws, id);
  const row = ws.db.prepare('SELECT blob, area FROM masks WHERE image_id = ? AND current = 1').get(id) as
    { blob: string; area: number } | undefined;
  if (!row) return { dataUrl: null, area: 0 };
  return { dataUrl: `data:image/png;base64,${ws.blobs.get(row.blob).toString('base64')}`, area: row.area };
}

export function thumbnailDataUrl(ws: Workspace, id: number): string {
  const r = imageRecord(ws, id);
  return `data:image/png;base64,${ws.blobs.get(r.thumbnail_blob).toString('base64')}`;
}

export function viewerPixels(ws: Workspace, id: number): ImagePixels {
  const r = imageRecord(ws, id);
  if (r.format === 'png' || r.format === 'jpeg') {
    const mime = r.format === 'png' ? 'image/png' : 'image/jpeg';
    return {
      kind: 'encoded',
      width: r.width,
      height: r.height,
      dataUrl: `data:${mime};base64,${ws.blobs.get(r.source_blob).toString('base64')}`,
    };
  }
  const f = storedFrame(ws, r);
  const data = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64');
  if (f.samples === 3) return { kind: 'rgb', width: f.width, height: f.height, data };
  const { lower, upper } = displayRange(f);
  return {
    kind: 'grey',
    width: f.width,
    height: f.height,
    dtype: f.dtype,
    data,
    min: f.min,
    max: f.max,
    rescaleSlope: f.rescaleSlope,
    rescaleIntercept: f.rescaleIntercept,
    windowCenter: (lower + upper) / 2,
    windowWidth: Math.max(1, upper - lower),
    invert: f.photometric === 'MONOCHROME1',
  };
}
