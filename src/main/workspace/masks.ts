import { resolve } from 'node:path';
import { encodeMaskPng, maskArea, type Mask } from '../imaging/mask';
import { imageRecord } from './images';
import { nowIso, type Workspace } from './workspace';

export type MaskProvenance = 'imported' | 'drawn' | 'promoted';

/**
 * Makes `mask` the image's current ground truth; earlier versions stay in the table (current = 0)
 * so nothing a radiologist drew is ever lost. Call inside a transaction when it belongs with other rows.
 */
export function saveMask(
  ws: Workspace,
  imageId: number,
  mask: Mask,
  provenance: MaskProvenance,
  opts: { sourcePath?: string | null; pseudoLabelId?: number | null } = {},
): number {
  const rec = imageRecord(ws, imageId);
  if (mask.width !== rec.width || mask.height !== rec.height) {
    throw new Error(`mask is ${mask.width}×${mask.height} but image ${imageId} is ${rec.width}×${rec.height}`);
  }
  const blob = ws.blobs.put(encodeMaskPng(mask));
  return ws.transaction(() => {
    ws.db.prepare('UPDATE masks SET current = 0 WHERE image_id = ? AND current = 1').run(imageId);
    const info = ws.db
      .prepare(
        `INSERT INTO masks (image_id, blob, area, provenance, source_path, pseudo_label_id, created_at, current)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1)`,
      )
      .run(imageId, blob, maskArea(mask), provenance, opts.sourcePath ? resolve(opts.sourcePath) : null, opts.pseudoLabelId ?? null, nowIso());
    return Number(info.lastInsertRowid);
  });
}
