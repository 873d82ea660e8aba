import { rmSync } from 'node:fs';
import type { Workspace } from './workspace';

// Every column that names a blob. Blobs are shared by content (two runs may store identical
// weights, a teacher file may be added twice), so a blob is deleted only when none of these
// rows names it any more — never by a text search of JSON.
const REFERENCES = [
  `SELECT COUNT(*) AS n FROM images WHERE source_blob = @h OR pixel_blob = @h OR thumbnail_blob = @h`,
  `SELECT COUNT(*) AS n FROM masks WHERE blob = @h`,
  `SELECT COUNT(*) AS n FROM pseudo_labels
     WHERE mask_blob = @h OR student_checkpoint = @h OR json_extract(prompts, '$.studentMask') = @h`,
  `SELECT COUNT(*) AS n FROM runs WHERE checkpoint_blob = @h OR json_extract(result, '$.best.blob') = @h`,
  `SELECT COUNT(*) AS n FROM models, json_each(models.files) f WHERE json_extract(f.value, '$.sha256') = @h`,
];

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
