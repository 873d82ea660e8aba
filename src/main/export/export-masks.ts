import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { encodeMaskPng } from '../imaging/mask';
import { writeFileAtomic } from '../util/atomic-write';
import { imageRecord, loadMask, sourceFileBytes } from '../workspace/images';
import type { Workspace } from '../workspace/workspace';
import { buildDicomSeg } from './dicom-seg';

export type MaskExportFormat = 'png' | 'dicom-seg' | 'auto';

export interface ExportedMask {
  imageId: number;
  file: string;
  format: 'png' | 'dicom-seg';
}

/**
 * Writes each image's current ground-truth mask at the source resolution: PNG (0/255), or a DICOM
 * SEG referencing the source series for DICOM sources ('auto' picks SEG for DICOM, PNG otherwise).
 */
export function exportMasks(ws: Workspace, req: { imageIds: number[]; outDir: string; format: MaskExportFormat; label?: string }): ExportedMask[] {
  const outDir = resolve(req.outDir);
  mkdirSync(outDir, { recursive: true });
  const written: ExportedMask[] = [];
  for (const id of req.imageIds) {
    const rec = imageRecord(ws, id);
    const mask = loadMask(ws, id);
    if (!mask) throw new Error(`image ${id} (${rec.source_path}) has no mask to export`);
    const format = req.format === 'auto' ? (rec.format === 'dicom' ? 'dicom-seg' : 'png') : req.format;
    const stem = `${id}-${basename(rec.source_path, extname(rec.source_path))}${rec.frames > 1 ? `-f${rec.frame_index + 1}` : ''}`;
    if (format === 'dicom-seg') {
      if (rec.format !== 'dicom') throw new Error(`image ${id} (${rec.source_path}) is not DICOM: a DICOM SEG needs a DICOM source; export it as PNG`);
      const bytes = buildDicomSeg({ bytes: sourceFileBytes(ws, rec), frameIndex: rec.frame_index }, mask, {
        label: req.label ?? 'Lesion',
        algorithm: { type: 'MANUAL' },
      });
      const file = join(outDir, `${stem}.seg.dcm`);
      writeFileAtomic(file, bytes);
      written.push({ imageId: id, file, format });
    } else {
      const file = join(outDir, `${stem}.mask.png`);
      writeFileAtomic(file, encodeMaskPng(mask));
      written.push({ imageId: id, file, format });
    }
  }
  return written;
}
