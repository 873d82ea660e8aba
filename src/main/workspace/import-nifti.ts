import { basename, resolve } from 'node:path';
import type { NiftiVolume } from '../imaging/nifti';
import { sliceVolume, type NiftiSeries, type SliceAxis } from '../imaging/nifti-slices';
import { thumbnailPng } from '../imaging/thumbnail';
import type { LabelMap } from '../imaging/mask';
import { bytesOf, frameToThumbnailRgb } from '../imaging/pixels';
import type { MaskImport } from './import-masks';
import { describe } from '../util/errors';
import { nowIso, type Workspace } from './workspace';

/**
 * A NIfTI volume imported as the app keeps images: one row per 2D slice along the chosen axis
 * (stored values plus rescale, like a DICOM frame), every 3D volume of the file its own series, with
 * spacing, orientation and slice positions in the DICOM patient frame. A label volume paired with it
 * (the nnU-Net / Decathlon `imagesTr/case_0000.nii.gz` ↔ `labelsTr/case.nii.gz` layout) becomes
 * each slice's label map through the import's mask rules. All slices go in one transaction.
 */

export interface NiftiImport {
  file: string;
  bytes: Buffer;
  hash: string;
  volume: Promise<NiftiVolume> | null;
  /** The paired label volume, already being decoded. */
  labels: { file: string; volume: Promise<NiftiVolume> } | null;
}

/** `case_0000.nii.gz` → `case`: the name a label volume carries in the nnU-Net layout (channel suffix dropped). */
export function niftiCaseName(file: string): string {
  return basename(file).replace(/\.nii(\.gz)?$/i, '').replace(/_\d{4}$/, '');
}

/** Every name under which the masks index (keyed by name without its last extension) may hold this volume's labels. */
export function labelVolumeKeys(file: string): string[] {
  const name = basename(file).replace(/\.gz$/i, '');
  const stemNoExt = name.replace(/\.nii$/i, '');
  const caseName = niftiCaseName(file);
  return [...new Set([name, `${caseName}.nii`, stemNoExt, caseName])];
}

export async function importNifti(
  ws: Workspace,
  prepared: NiftiImport,
  decode: (bytes: Uint8Array) => Promise<NiftiVolume>,
  axis: SliceAxis,
  maskImport: MaskImport | null,
): Promise<{ added: number; masks: number }> {
  const { file, bytes, hash } = prepared;
  const known = ws.db.prepare('SELECT COUNT(*) AS n FROM images WHERE sha256 = ?').get(hash) as { n: number };
  if (known.n > 0) return { added: 0, masks: 0 };
  const volume = await (prepared.volume ?? decode(bytes));
  const series = sliceVolume(volume, axis);
  // A label volume that cannot be read or does not fit is that file's error; its image still imports.
  let labelSlices: LabelMap[] | null = null;
  if (prepared.labels && maskImport) {
    try {
      labelSlices = labelMapsOf(await prepared.labels.volume, volume, axis, prepared.labels.file);
    } catch (e) {
      maskImport.reportFailure({ file: prepared.labels.file, error: `cannot read label volume: ${describe(e)}` });
    }
  }

  const total = series.reduce((n, s) => n + s.slices.length, 0);
  const slices = series.flatMap((s) => s.slices.map((slice) => ({ s, slice })));
  // The source, then each slice's pixels and thumbnail, their fsyncs overlapping.
  const [, ...blobs] = await ws.blobs.putAll([bytes, ...slices.flatMap(({ s, slice }) => [bytesOf(slice.data), thumbnail(s, slice)])]);
  const rows = slices.map((r, i) => ({ ...r, pixelBlob: blobs[2 * i]!, thumb: blobs[2 * i + 1]! }));
  const ids = ws.transaction(() =>
    rows.map(({ s, slice, pixelBlob, thumb }) => {
      const volumeKey = series.length > 1 ? `${hash}:${s.volume}` : hash;
      const row: Record<string, string | number | null> = {
        sha256: hash,
        frame_index: slice.index,
        source_path: resolve(file),
        source_blob: hash,
        format: 'nifti',
        width: slice.width,
        height: slice.height,
        samples: 1,
        pixel_blob: pixelBlob,
        pixel_dtype: slice.dtype,
        pixel_min: slice.min,
        pixel_max: slice.max,
        thumbnail_blob: thumb,
        photometric: 'MONOCHROME2',
        window_center: s.windowCenter,
        window_width: s.windowWidth,
        rescale_slope: s.rescaleSlope,
        rescale_intercept: s.rescaleIntercept,
        pixel_spacing: JSON.stringify(s.pixelSpacing),
        // UID-like keys: the series browser groups a file's slices by them, one series per 3D volume.
        study_uid: `nifti:${hash}`,
        series_uid: `nifti:${volumeKey}:${axis}`,
        frames: total,
        series_description: `${basename(file)} ${axis}${series.length > 1 ? ` volume ${s.volume + 1}` : ''}`,
        series_number: s.volume + 1,
        instance_number: slice.index - s.volume * s.slices.length + 1,
        image_position: JSON.stringify(slice.position),
        image_orientation: JSON.stringify(s.orientation),
        spacing_source: 'PixelSpacing',
        imported_at: nowIso(),
      };
      const cols = Object.keys(row);
      const sql = `INSERT INTO images (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`;
      return Number(ws.db.prepare(sql).run(row).lastInsertRowid);
    }),
  );

  // MaskImport counts what it stores in the import's result, as for PNG/JPEG masks.
  if (labelSlices && maskImport && prepared.labels) {
    const labelFile = prepared.labels.file;
    rows.forEach(({ slice }, i) => {
      const ready = maskImport.read(`${labelFile} slice ${slice.index + 1}`, labelSlices[slice.index]!, false, slice.width, slice.height);
      if (ready) ws.transaction(() => maskImport.store(ids[i]!, ready));
    });
  }
  return { added: ids.length, masks: 0 };
}

function thumbnail(s: NiftiSeries, slice: NiftiSeries['slices'][number]): Uint8Array {
  const rgb = frameToThumbnailRgb({
    ...slice,
    rescaleSlope: s.rescaleSlope,
    rescaleIntercept: s.rescaleIntercept,
    windowCenter: s.windowCenter,
    windowWidth: s.windowWidth,
    photometric: 'MONOCHROME2',
  });
  return thumbnailPng(rgb);
}

/**
 * The label volume cut like its image, one 0..255 label map per slice (in the image's slice order).
 * Its grid must be the image's; a value that is not a whole number from 0 to 255 cannot be a label.
 */
export function labelMapsOf(labels: NiftiVolume, image: NiftiVolume, axis: SliceAxis, file: string): LabelMap[] {
  const a = labels.header.dims.slice(0, 3).join('×');
  const b = image.header.dims.slice(0, 3).join('×');
  if (a !== b) throw new Error(`label volume ${file} is ${a} but its image is ${b}`);
  const labelVolumes = labels.header.dims.slice(3).reduce((p, n) => p * n, 1);
  if (labelVolumes !== 1) throw new Error(`label volume ${file} holds ${labelVolumes} volumes; a label volume is 3D`);
  const { sclSlope, sclInter } = labels.header;
  const [cut] = sliceVolume(labels, axis);
  const imageVolumes = image.header.dims.slice(3).reduce((p, n) => p * n, 1);
  const maps = cut!.slices.map((slice) => {
    const data = new Uint8Array(slice.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = slice.data[i]! * sclSlope + sclInter;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new Error(`label volume ${file} holds the value ${v} (slice ${slice.index + 1}): labels are whole numbers 0…255`);
      }
      data[i] = v;
    }
    return { width: slice.width, height: slice.height, data };
  });
  // Every volume of a 4D image shares the one label volume.
  return Array.from({ length: imageVolumes }, () => maps).flat();
}
