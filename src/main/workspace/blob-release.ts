import { rmSync } from 'node:fs';
import type { Workspace } from './workspace';

// Every column that names a blob, as (blob, row) lists. Blobs are shared by content (two runs may
// store identical weights, a teacher file may be added twice), so a blob is deleted only when none
// of these rows names it any more — never by a text search of JSON. The workspace check walks the
// same lists, so a new blob column is added here once.
export const BLOB_COLUMNS: { what: string; of: string; list: string }[] = [
  { what: 'image source', of: 'image', list: `SELECT source_blob AS blob, id AS row FROM images` },
  { what: 'decoded frame', of: 'image', list: `SELECT pixel_blob AS blob, id AS row FROM images WHERE pixel_blob IS NOT NULL` },
  { what: 'thumbnail', of: 'image', list: `SELECT thumbnail_blob AS blob, id AS row FROM images` },
  { what: 'ground-truth mask', of: 'image', list: `SELECT blob, image_id AS row FROM masks` },
  { what: 'ground-truth label map', of: 'image', list: `SELECT labelmap_blob AS blob, image_id AS row FROM masks WHERE labelmap_blob IS NOT NULL` },
  { what: 'pseudo-label mask', of: 'image', list: `SELECT mask_blob AS blob, image_id AS row FROM pseudo_labels` },
  {
    what: 'pseudo-label label map',
    of: 'image',
    list: `SELECT json_extract(prompts, '$.labelMap') AS blob, image_id AS row FROM pseudo_labels WHERE json_extract(prompts, '$.labelMap') IS NOT NULL`,
  },
  {
    what: "pseudo-label's student",
    of: 'image',
    list: `SELECT student_checkpoint AS blob, image_id AS row FROM pseudo_labels WHERE student_checkpoint IS NOT NULL
           UNION ALL SELECT json_extract(prompts, '$.studentMask') AS blob, image_id AS row FROM pseudo_labels
             WHERE json_extract(prompts, '$.studentMask') IS NOT NULL`,
  },
  { what: 'run checkpoint', of: 'run', list: `SELECT checkpoint_blob AS blob, id AS row FROM runs WHERE checkpoint_blob IS NOT NULL` },
  {
    what: 'run best weights',
    of: 'run',
    list: `SELECT json_extract(result, '$.best.blob') AS blob, id AS row FROM runs WHERE json_extract(result, '$.best.blob') IS NOT NULL`,
  },
  {
    what: 'teacher model file',
    of: 'model',
    list: `SELECT json_extract(f.value, '$.sha256') AS blob, models.id AS row FROM models, json_each(models.files) f`,
  },
  {
    what: "teacher model's external data",
    of: 'model',
    list: `SELECT json_extract(d.value, '$.sha256') AS blob, models.id AS row FROM models, json_each(models.files) f, json_each(f.value, '$.externalData') d`,
  },
];

const REFERENCES = BLOB_COLUMNS.map((c) => `SELECT COUNT(*) AS n FROM (${c.list}) WHERE blob = @h`);

/** How many rows name the blob. */
export function blobReferences(ws: Workspace, hash: string): number {
  return REFERENCES.reduce((n, sql) => n + (ws.db.prepare(sql).get({ h: hash }) as { n: number }).n, 0);
}

/**
 * Deletes the blob when no row references it any more (checkpoints are hundreds of MB each).
 * Call after the transaction that dropped the last reference has committed.
 */
export function releaseBlob(ws: Workspace, hash: string | null): void {
  if (!hash || blobReferences(ws, hash) > 0) return;
  try {
    rmSync(ws.blobs.path(hash), { force: true });
  } catch {
    // an orphan blob is harmless
  }
}
