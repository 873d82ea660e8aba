import type { Subset } from '../../shared/contract';
import { latestSplitId } from './splits';
import type { Workspace } from './workspace';

// An image waits for review while it is unlabeled in the latest split (or, outside any split, has
// no ground truth), no version of it was accepted, and its latest version is still 'new'.

const UNLABELED_SQL = `(sm.subset = 'unlabeled' OR (sm.subset IS NULL AND NOT EXISTS
                        (SELECT 1 FROM masks m WHERE m.image_id = i.id AND m.current = 1)))`;

const PENDING_SQL = `l.status = 'new' AND NOT EXISTS (SELECT 1 FROM pseudo_labels a WHERE a.image_id = i.id AND a.status = 'accepted')`;

const LATEST_SQL = `pseudo_labels l
  JOIN (SELECT image_id, MAX(version) AS version FROM pseudo_labels GROUP BY image_id) mx
    ON mx.image_id = l.image_id AND mx.version = l.version
  JOIN images i ON i.id = l.image_id
  LEFT JOIN split_members sm ON sm.image_id = i.id AND sm.split_id = @split`;

export interface PendingReview {
  imageId: number;
  sourcePath: string;
  split: Subset | null;
  latestId: number;
  latestVersion: number;
  agreementDice: number | null;
  versions: number;
}

/**
 * Images waiting for a decision, least teacher–student agreement (of the latest version) first;
 * versions without a recorded agreement come last, then by image id.
 */
export function pendingReview(ws: Workspace, offset = 0, limit = -1): { rows: PendingReview[]; total: number } {
  const split = latestSplitId(ws);
  const where = `WHERE ${UNLABELED_SQL} AND ${PENDING_SQL}`;
  const rows = ws.db
    .prepare(
      `SELECT i.id AS imageId, i.source_path AS sourcePath, sm.subset AS split, l.id AS latestId, l.version AS latestVersion,
              l.agreement_dice AS agreementDice, (SELECT COUNT(*) FROM pseudo_labels c WHERE c.image_id = i.id) AS versions
       FROM ${LATEST_SQL} ${where}
       ORDER BY l.agreement_dice IS NULL, l.agreement_dice ASC, i.id
       LIMIT @limit OFFSET @offset`,
    )
    .all({ split, limit, offset }) as PendingReview[];
  const total = (ws.db.prepare(`SELECT COUNT(*) AS n FROM ${LATEST_SQL} ${where}`).get({ split }) as { n: number }).n;
  return { rows, total };
}
