import { resolve } from 'node:path';
import {
  decodeLabelMapPng,
  decodeMaskPng,
  groundTruthPngs,
  IGNORE_LABEL,
  valueHistogram,
  type GroundTruthPngs,
  type LabelMap,
  type Mask,
} from '../imaging/mask';
import { imageRecord } from './images';
import { labelSchema, structureValues } from './labels';
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
  areas: string | null;
}

const COLUMNS = 'id, blob, area, provenance, pseudo_label_id, details, created_at, current, areas';

/** A row's pixels per structure; rows from before label maps are binary: all of it is structure 1. */
function rowAreas(row: { area: number; areas: string | null }): Record<number, number> {
  return row.areas ? (JSON.parse(row.areas) as Record<number, number>) : row.area > 0 ? { 1: row.area } : {};
}

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
    areas: rowAreas(row),
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

type SaveOptions = {
  sourcePath?: string | null;
  pseudoLabelId?: number | null;
  details?: MaskDetails | null;
  /** The map's PNGs made beforehand (an import writes them ahead, off its commit); used only if made from this very map. */
  pngs?: GroundTruthPngs;
};

/**
 * Makes `mask` (binary: structure 1) the image's current ground truth; earlier versions stay in the
 * table (current = 0) so nothing a radiologist drew is ever lost, and the result names the one it
 * replaced so callers can say so. Call inside a transaction when it belongs with other rows.
 */
export function saveMask(ws: Workspace, imageId: number, mask: Mask, provenance: MaskProvenance, opts: SaveOptions = {}): SavedGroundTruth {
  // Any non-zero pixel of a binary mask is foreground, as it always was.
  const data = mask.data.map((v) => (v ? 1 : 0));
  return saveLabelMap(ws, imageId, { width: mask.width, height: mask.height, data }, provenance, opts);
}

/** Pixels per structure value of a label map (background and ignore left out). */
export function structureAreas(map: LabelMap): Record<number, number> {
  const hist = valueHistogram(map);
  const areas: Record<number, number> = {};
  for (let v = 1; v < IGNORE_LABEL; v++) if (hist[v]) areas[v] = hist[v]!;
  return areas;
}

/**
 * Makes a label map (0 background, schema values, IGNORE_LABEL) the image's current ground truth,
 * as saveMask does. A map of 0/1 only is stored exactly as a binary mask; any other is stored as
 * its label map beside the 0/255 PNG of structure 1, which is what loadMask and every binary reader
 * keep seeing. A value outside the schema is refused, naming it.
 */
export function saveLabelMap(ws: Workspace, imageId: number, map: LabelMap, provenance: MaskProvenance, opts: SaveOptions = {}): SavedGroundTruth {
  const rec = imageRecord(ws, imageId);
  if (map.width !== rec.width || map.height !== rec.height) {
    throw new Error(`mask is ${map.width}×${map.height} but image ${imageId} is ${rec.width}×${rec.height}`);
  }
  const areas = structureAreas(map);
  const known = structureValues(ws);
  const unknown = Object.keys(areas).map(Number).filter((v) => !known.has(v));
  if (unknown.length > 0) {
    const schema = labelSchema(ws).map((s) => `${s.value} ${s.name}`).join(', ');
    throw new Error(`label value${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the label schema (${schema})`);
  }
  const pngs = opts.pngs?.map === map ? opts.pngs : groundTruthPngs(map);
  const blob = ws.blobs.put(pngs.mask);
  const labelmapBlob = pngs.labelMap ? ws.blobs.put(pngs.labelMap) : null;
  const area = areas[1] ?? 0;
  return ws.transaction(() => {
    const replaced = currentGroundTruth(ws, imageId);
    ws.db.prepare('UPDATE masks SET current = 0 WHERE image_id = ? AND current = 1').run(imageId);
    const info = ws.db
      .prepare(
        `INSERT INTO masks (image_id, blob, area, provenance, source_path, pseudo_label_id, details, created_at, current, labelmap_blob, areas)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
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
        labelmapBlob,
        JSON.stringify(areas),
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

/**
 * The image's current ground truth as a label map (0..K, IGNORE_LABEL excluded), or null when it has
 * none. A binary ground truth comes back as the label map of structure 1.
 */
export function loadLabelMap(ws: Workspace, imageId: number): LabelMap | null {
  const row = ws.db.prepare('SELECT blob, labelmap_blob FROM masks WHERE image_id = ? AND current = 1').get(imageId) as
    | { blob: string; labelmap_blob: string | null }
    | undefined;
  if (!row) return null;
  return row.labelmap_blob ? decodeLabelMapPng(ws.blobs.get(row.labelmap_blob)) : decodeMaskPng(ws.blobs.get(row.blob));
}

/** The current ground truth's label map when it is stored as one (another structure than 1, or an ignore region); null when binary or absent. */
export function storedLabelMap(ws: Workspace, imageId: number): LabelMap | null {
  const row = ws.db.prepare('SELECT labelmap_blob FROM masks WHERE image_id = ? AND current = 1').get(imageId) as
    | { labelmap_blob: string | null }
    | undefined;
  return row?.labelmap_blob ? decodeLabelMapPng(ws.blobs.get(row.labelmap_blob)) : null;
}

/** Pixels per structure of the image's current ground truth ({} when it has none). */
export function currentStructureAreas(ws: Workspace, imageId: number): Record<number, number> {
  const row = ws.db.prepare('SELECT area, areas FROM masks WHERE image_id = ? AND current = 1').get(imageId) as
    | { area: number; areas: string | null }
    | undefined;
  return row ? rowAreas(row) : {};
}

/** Per structure value: how many images' current ground truth holds it, and its pixels over them all. */
export function structureUsage(ws: Workspace): { value: number; images: number; pixels: number }[] {
  const rows = ws.db.prepare('SELECT area, areas FROM masks WHERE current = 1').all() as { area: number; areas: string | null }[];
  const usage = new Map<number, { value: number; images: number; pixels: number }>();
  for (const row of rows) {
    for (const [key, pixels] of Object.entries(rowAreas(row))) {
      if (!pixels) continue;
      const value = Number(key);
      const u = usage.get(value) ?? { value, images: 0, pixels: 0 };
      u.images++;
      u.pixels += pixels;
      usage.set(value, u);
    }
  }
  return [...usage.values()].sort((a, b) => a.value - b.value);
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
