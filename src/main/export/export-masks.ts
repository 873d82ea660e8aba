import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { ExportOutcome, FileOutcome, MaskExportSource, MaskFileFormat } from '../../shared/contract';
import { decodeMaskPng, encodeLabelMapPng, encodeMaskPng, structureMask, type LabelMap, type Mask } from '../imaging/mask';
import { writeFileAtomic } from '../util/atomic-write';
import { describe } from '../util/errors';
import { imageRecord, sourceFileBytes } from '../workspace/images';
import { labelSchema } from '../workspace/labels';
import { currentGroundTruth, currentMaskRecord, storedLabelMap } from '../workspace/masks';
import { pseudoLabelMap, pseudoLabelMask, pseudoLabelVersions } from '../workspace/pseudo-labels';
import type { Workspace } from '../workspace/workspace';
import { NiftiVolumeExport, niftiSourceHeader } from './nifti-export';
import { buildDicomSegSegments, type SegSegment } from './dicom-seg';
import { groundTruthAlgorithm, pseudoLabelAlgorithm, type SegAlgorithm } from './segment-algorithm';

export type MaskExportFormat = MaskFileFormat;
type ImageRecord = ReturnType<typeof imageRecord>;

/** The structure a binary project segments, when the user names none. */
export const DEFAULT_LABEL = 'Lesion';

export interface MaskFileRequest {
  outDir: string;
  format: MaskExportFormat;
  /** What the mask is, in the file name: "mask" for ground truth, "pl-v3" for a pseudo-label version, the prediction mode… */
  tag: string;
  label: string;
  algorithm: SegAlgorithm;
  /** A ground truth with several structures or an ignore region: PNG of its values, a SEG segment per structure. */
  labelMap?: LabelMap | null;
}

/**
 * Writes one mask of an image at its source resolution: PNG (0/255), or a DICOM SEG joining the
 * source's study ('auto': SEG for DICOM sources, PNG otherwise). Returns the file; throws the reason.
 */
export function writeMaskFile(ws: Workspace, rec: ImageRecord, mask: Mask, req: MaskFileRequest): { file: string; format: 'png' | 'dicom-seg' } {
  const format = req.format === 'auto' ? (rec.format === 'dicom' ? 'dicom-seg' : 'png') : req.format;
  // A label volume holds every slice of its source: exportMasks and predictSet gather them (NiftiVolumeExport).
  if (format === 'nifti') throw new Error('a NIfTI label volume is written per source, not per image');
  const stem = `${rec.id}-${basename(rec.source_path, extname(rec.source_path))}${rec.frames > 1 ? `-f${rec.frame_index + 1}` : ''}`;
  const outDir = resolve(req.outDir);
  mkdirSync(outDir, { recursive: true });
  if (format === 'dicom-seg') {
    if (rec.format !== 'dicom') throw new Error(`image ${rec.id} (${rec.source_path}) is not DICOM: a DICOM SEG needs a DICOM source; export it as PNG`);
    const bytes = buildDicomSegSegments({ bytes: sourceFileBytes(ws, rec), frameIndex: rec.frame_index }, segmentsOf(ws, mask, req), {
      label: req.label,
      algorithm: req.algorithm,
    });
    // Ground truth keeps the name it always had (<stem>.seg.dcm); other masks say what they are.
    const file = join(outDir, req.tag === 'mask' ? `${stem}.seg.dcm` : `${stem}.${req.tag}.seg.dcm`);
    writeFileAtomic(file, bytes);
    return { file, format };
  }
  const file = join(outDir, `${stem}.${req.tag}.png`);
  writeFileAtomic(file, req.labelMap ? encodeLabelMapPng(req.labelMap) : encodeMaskPng(mask));
  return { file, format };
}

/**
 * The SEG segments of one mask: a binary mask is structure 1 under the export's label (codes from the
 * schema), a label map one segment per schema structure it holds, each with its name and codes.
 */
function segmentsOf(ws: Workspace, mask: Mask, req: MaskFileRequest): SegSegment[] {
  const schema = labelSchema(ws);
  const first = schema.find((s) => s.value === 1);
  if (!req.labelMap) return [{ mask, label: req.label, category: first?.category, type: first?.type }];
  const map = req.labelMap;
  const present = schema.filter((s) => map.data.includes(s.value));
  return (present.length ? present : schema.slice(0, 1)).map((s) => ({ mask: structureMask(map, s.value), label: s.name, category: s.category, type: s.type }));
}

/** The masks of one image an export writes, each with what made it. */
function masksToExport(
  ws: Workspace,
  imageId: number,
  source: MaskExportSource,
): { mask: Mask; labelMap?: LabelMap | null; tag: string; version: number | null; algorithm: SegAlgorithm }[] {
  const rec = imageRecord(ws, imageId);
  if (source.kind === 'ground-truth') {
    const stored = currentMaskRecord(ws, imageId);
    const origin = currentGroundTruth(ws, imageId);
    if (!stored || !origin) throw new Error(`image ${imageId} (${rec.source_path}) has no ground truth to export`);
    // A binary ground truth is exported exactly as before; a label map as its values and structures.
    return [{ mask: decodeMaskPng(stored.png), labelMap: storedLabelMap(ws, imageId), tag: 'mask', version: null, algorithm: groundTruthAlgorithm(ws, origin) }];
  }
  const versions = pseudoLabelVersions(ws, imageId);
  if (versions.length === 0) throw new Error(`image ${imageId} (${rec.source_path}) has no pseudo-label to export`);
  return (source.versions === 'all' ? versions : versions.slice(-1)).map((v) => ({
    mask: pseudoLabelMask(ws, v),
    // A version with several structures is exported as its label map, as a ground truth is.
    labelMap: v.labelMap ? pseudoLabelMap(ws, v) : null,
    tag: `pl-v${v.version}`,
    version: v.version,
    algorithm: pseudoLabelAlgorithm(v),
  }));
}

export interface ExportRequest {
  imageIds: number[];
  outDir: string;
  format: MaskExportFormat;
  source?: MaskExportSource;
  label?: string;
}

/**
 * Writes the chosen masks of each image (ground truth by default). A file that fails is listed with
 * its reason and the batch goes on, so every file written is listed too. Yields between images so a
 * job's progress reaches the window while it runs; `signal` stops it between files.
 */
export async function exportMasks(
  ws: Workspace,
  req: ExportRequest,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number, imageId: number) => void } = {},
): Promise<ExportOutcome> {
  const source = req.source ?? { kind: 'ground-truth' };
  const files: FileOutcome[] = [];
  // NIfTI: masks are gathered slice by slice and written as one label volume per source at the end.
  const volumes = req.format === 'nifti' ? niftiVolumeExport(ws, req.outDir) : null;
  let done = 0;
  for (const imageId of req.imageIds) {
    opts.signal?.throwIfAborted();
    try {
      for (const m of masksToExport(ws, imageId, source)) {
        if (volumes) {
          volumes.add(imageRecord(ws, imageId), m.labelMap ?? m.mask, m.tag, m.version);
          continue;
        }
        try {
          const w = writeMaskFile(ws, imageRecord(ws, imageId), m.mask, {
            outDir: req.outDir,
            format: req.format,
            tag: m.tag,
            label: req.label ?? labelSchema(ws).find((s) => s.value === 1)?.name ?? DEFAULT_LABEL,
            algorithm: m.algorithm,
            labelMap: m.labelMap,
          });
          files.push({ imageId, version: m.version, file: w.file, format: w.format, error: null });
        } catch (e) {
          files.push({ imageId, version: m.version, file: null, format: null, error: describe(e) });
        }
      }
    } catch (e) {
      files.push({ imageId, version: null, file: null, format: null, error: describe(e) });
    }
    opts.onProgress?.(++done, req.imageIds.length, imageId);
    await new Promise((ok) => setImmediate(ok));
  }
  if (volumes) files.push(...volumes.write().map((v) => ({ ...v, format: v.file ? ('nifti' as const) : null })));
  const written = files.filter((f) => f.file !== null).length;
  return { outDir: resolve(req.outDir), files, written, failed: files.length - written };
}

/** The label-volume writer of an export or prediction set in NIfTI, reading each source's header from the store. */
export function niftiVolumeExport(ws: Workspace, outDir: string): NiftiVolumeExport {
  return new NiftiVolumeExport((rec) => niftiSourceHeader(sourceFileBytes(ws, imageRecord(ws, rec.id))), outDir);
}
