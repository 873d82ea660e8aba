import { resolve } from 'node:path';
import { encodeMaskPng, maskArea, type Mask } from '../imaging/mask';
import { imageRecord } from './images';
import { latestSubsetOf } from './splits';
import type { GroundTruthVersion, MaskDetails, MaskProvenance, SavedGroundTruth } from '../../shared/contract';
import { nowIso, type Workspace } from './workspace';

interface MaskRow {
  id: number;
  blob: string;
  area: number;
  provenance: MaskProvenance;
  pseudo_label_id: number | null;
  details: string | null;
  created_at: string;
  current: number;
}

const COLUMNS = 'id, blob, area, provenance, pseudo_label_id, details, created_at, current';

/** The image's ground-truth rows, oldest first: position + 1 is the version a user sees. */
function maskRows(ws: Workspace, imageId: number): MaskRow[] {
  return ws.db.prepare(`SELECT ${COLUMNS} FROM masks WHERE image_id = ? ORDER BY id`).all(imageId) as MaskRow[];
}

function toVersion(row: MaskRow, version: number, subset: string | null): GroundTruthVersion {
  return {
    maskId: row.id,
    version,
    current: row.current === 1,
    provenance: row.provenance,
    details: row.details === null ? null : (JSON.parse(row.details) as MaskDetails),
    pseudoLabelId: row.pseudo_label_id,
    area: row.area,
    createdAt: row.created_at,
    // Only an imported mask can be hidden: whatever a radiologist made on an unlabeled image is what training reads.
    hidden: row.provenance === 'imported' && subset === 'unlabeled',
  };
}

/** Every ground truth the image has had, oldest first, the current one marked. */
export function groundTruthVersions(ws: Workspace, imageId: number): GroundTruthVersion[] {
  imageRecord(ws, imageId);
  const subset = latestSubsetOf(ws, imageId);
  return maskRows(ws, imageId).map((r, i) => toVersion(r, i + 1, subset));
}

/** The current ground truth as a version, or null. */
export function currentGroundTruth(ws: Workspace, imageId: number): GroundTruthVersion | null {
  return groundTruthVersions(ws, imageId).find((v) => v.current) ?? null;
}

/**
 * Makes `mask` the image's current ground truth; earlier versions stay in the table (current = 0)
 * so nothing a radiologist drew is ever lost, and the result names the one it replaced so callers
 * can say so. Call inside a transaction when it belongs with other rows.
 */
export function saveMask(
  ws: Workspace,
  imageId: number,
  mask: Mask,
  provenance: MaskProvenance,
  opts: { sourcePath?: string | null; pseudoLabelId?: number | null; details?: MaskDetails | null } = {},
): SavedGroundTruth {
  const rec = imageRecord(ws, imageId);
  if (mask.width !== rec.width || mask.height !== rec.height) {
    throw new Error(`mask is ${mask.width}×${mask.height} but image ${imageId} is ${rec.width}×${rec.height}`);
  }
  const blob = ws.blobs.put(encodeMaskPng(mask));
  const area = maskArea(mask);
  return ws.transaction(() => {
    const replaced = currentGroundTruth(ws, imageId);
    ws.db.prepare('UPDATE masks SET current = 0 WHERE image_id = ? AND current = 1').run(imageId);
    const info = ws.db
      .prepare(
        `INSERT INTO masks (image_id, blob, area, provenance, source_path, pseudo_label_id, details, created_at, current)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      )
      .run(
        imageId,
        blob,
        area,
        provenance,
        opts.sourcePath ? resolve(opts.sourcePath) : null,
        opts.pseudoLabelId ?? null,
        opts.details ? JSON.stringify(opts.details) : null,
        nowIso(),
      );
    const count = ws.db.prepare('SELECT COUNT(*) AS n FROM masks WHERE image_id = ?').get(imageId) as { n: number };
    return {
      maskId: Number(info.lastInsertRowid),
      version: count.n,
      area,
      provenance,
      replaced: replaced && { ...replaced, current: false },
    };
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
