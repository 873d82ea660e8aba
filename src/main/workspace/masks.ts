import { resolve } from 'node:path';
import { encodeMaskPng, maskArea, type Mask } from '../imaging/mask';
import { imageRecord } from './images';
import type { MaskProvenance } from '../../shared/contract';
import { nowIso, type Workspace } from './workspace';


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

/** The image's current ground truth, as stored, with where it came from; null when it has none. */
export function currentMaskRecord(
  ws: Workspace,
  imageId: number,
): { png: Buffer; area: number; provenance: MaskProvenance; pseudoLabelId: number | null; createdAt: string } | null {
  const row = ws.db
    .prepare('SELECT blob, area, provenance, pseudo_label_id, created_at FROM masks WHERE image_id = ? AND current = 1')
    .get(imageId) as { blob: string; area: number; provenance: MaskProvenance; pseudo_label_id: number | null; created_at: string } | undefined;
  if (!row) return null;
  return { png: ws.blobs.get(row.blob), area: row.area, provenance: row.provenance, pseudoLabelId: row.pseudo_label_id, createdAt: row.created_at };
}

/** Pseudo-label versions a radiologist corrected: those a hand-drawn ground-truth mask of the image names. */
export function correctedPseudoLabelIds(ws: Workspace, imageId: number): Set<number> {
  const rows = ws.db
    .prepare(`SELECT DISTINCT pseudo_label_id AS id FROM masks WHERE image_id = ? AND provenance = 'drawn' AND pseudo_label_id IS NOT NULL`)
    .all(imageId) as { id: number }[];
  return new Set(rows.map((r) => r.id));
}
