import { seededRandom, shuffleInPlace } from '../util/random';
import type { SplitSummary, Subset } from '../../shared/contract';
import { nowIso, type Workspace } from './workspace';


export interface SplitRequest {
  labeled: number; // fraction of the training images whose labels training may see
  val: number;
  test: number;
  seed: number;
}


export class SplitError extends Error {}

/**
 * Assigns every image to validation, test or training, and training images to labeled/unlabeled.
 * Only images with a ground-truth mask can be validated, tested or labeled; images without one are
 * all "unlabeled". Images are ordered by content hash before the seeded shuffle, so the same seed
 * gives the same split whatever order the files were imported in. Labels of "unlabeled" images stay
 * in the store: training code must ask `trainingMasksVisible` before it reads one.
 */
export function createSplit(ws: Workspace, req: SplitRequest, made?: { experimentId: number }): SplitSummary {
  validate(req);
  const images = ws.db
    .prepare(
      `SELECT i.id, i.sha256, i.frame_index, EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id AND m.current = 1) AS has_mask
       FROM images i ORDER BY i.sha256, i.frame_index`,
    )
    .all() as { id: number; has_mask: number }[];
  if (images.length === 0) throw new SplitError('the workspace has no images: import some first');
  const withMask = images.filter((r) => r.has_mask).map((r) => r.id);
  const withoutMask = images.filter((r) => !r.has_mask).map((r) => r.id);
  shuffleInPlace(withMask, seededRandom(req.seed));

  const nVal = Math.round(withMask.length * req.val);
  const nTest = Math.round(withMask.length * req.test);
  const val = withMask.slice(0, nVal);
  const test = withMask.slice(nVal, nVal + nTest);
  const train = withMask.slice(nVal + nTest);
  const nLabeled = Math.round(train.length * req.labeled);
  const assignment: [number, Subset][] = [
    ...val.map((id) => [id, 'val'] as [number, Subset]),
    ...test.map((id) => [id, 'test'] as [number, Subset]),
    ...train.map((id, i) => [id, i < nLabeled ? 'labeled' : 'unlabeled'] as [number, Subset]),
    ...withoutMask.map((id) => [id, 'unlabeled'] as [number, Subset]),
  ];

  const id = ws.transaction(() => {
    const info = ws.db
      .prepare('INSERT INTO splits (seed, labeled_ratio, val_ratio, test_ratio, created_at, experiment_id) VALUES (?, ?, ?, ?, ?, ?)')
      .run(req.seed, req.labeled, req.val, req.test, nowIso(), made?.experimentId ?? null);
    const splitId = Number(info.lastInsertRowid);
    const insert = ws.db.prepare('INSERT INTO split_members (split_id, image_id, subset) VALUES (?, ?, ?)');
    for (const [imageId, subset] of assignment) insert.run(splitId, imageId, subset);
    return splitId;
  });
  return getSplit(ws, id)!;
}

function validate(req: SplitRequest): void {
  for (const [k, v] of Object.entries({ labeled: req.labeled, val: req.val, test: req.test })) {
    if (!(v >= 0 && v <= 1)) throw new SplitError(`the ${k} ratio must be a fraction between 0 and 1 (got ${v})`);
  }
  if (req.val + req.test >= 1) throw new SplitError(`validation + test must leave images for training (got ${req.val + req.test})`);
  if (!Number.isInteger(req.seed)) throw new SplitError(`the seed must be an integer (got ${req.seed})`);
}

// An experiment makes a split per seed and labeled share for its own cells. Those splits are the
// experiment's, not the radiologist's: they never become the workspace's current split (what the
// header shows, Training and mining default to, the image list's subsets), and are not listed as
// the workspace's splits; the next experiment with the same seed and ratios reuses them.
const MADE_BY_USER = 'experiment_id IS NULL';

/** The workspace's own splits (made with "Make split" or by an override), oldest first; the last is current. */
export function listSplits(ws: Workspace): SplitSummary[] {
  const ids = ws.db.prepare(`SELECT id FROM splits WHERE ${MADE_BY_USER} ORDER BY id`).all() as { id: number }[];
  return ids.map((r) => getSplit(ws, r.id)!);
}

/** A split with these ratios and seed, whoever made it: an experiment's cells share it rather than make another. */
export function findSplit(ws: Workspace, req: SplitRequest): number | null {
  const row = ws.db
    .prepare('SELECT MIN(id) AS id FROM splits WHERE seed = ? AND labeled_ratio = ? AND val_ratio = ? AND test_ratio = ?')
    .get(req.seed, req.labeled, req.val, req.test) as { id: number | null };
  return row.id;
}

export function getSplit(ws: Workspace, id: number): SplitSummary | null {
  const row = ws.db.prepare('SELECT * FROM splits WHERE id = ?').get(id) as
    { id: number; seed: number; labeled_ratio: number; val_ratio: number; test_ratio: number; created_at: string } | undefined;
  if (!row) return null;
  const counts: Record<Subset, number> = { labeled: 0, unlabeled: 0, val: 0, test: 0 };
  for (const c of ws.db.prepare('SELECT subset, COUNT(*) AS n FROM split_members WHERE split_id = ? GROUP BY subset').all(id) as {
    subset: Subset;
    n: number;
  }[])
    counts[c.subset] = c.n;
  return {
    id: row.id,
    seed: row.seed,
    labeled: row.labeled_ratio,
    val: row.val_ratio,
    test: row.test_ratio,
    createdAt: row.created_at,
    counts,
  };
}

/** The current split: the newest of the workspace's own, never one an experiment made for its cells. */
export function latestSplitId(ws: Workspace): number | null {
  const row = ws.db.prepare(`SELECT MAX(id) AS id FROM splits WHERE ${MADE_BY_USER}`).get() as { id: number | null };
  return row.id;
}

export function splitMembers(ws: Workspace, splitId: number, subset: Subset): number[] {
  return (
    ws.db.prepare('SELECT image_id FROM split_members WHERE split_id = ? AND subset = ? ORDER BY image_id').all(splitId, subset) as {
      image_id: number;
    }[]
  ).map((r) => r.image_id);
}

/** The image's subset in the latest split; null when there is no split or it is not a member. */
export function latestSubsetOf(ws: Workspace, imageId: number): Subset | null {
  const split = latestSplitId(ws);
  if (split === null) return null;
  const row = ws.db.prepare('SELECT subset FROM split_members WHERE split_id = ? AND image_id = ?').get(split, imageId) as
    { subset: Subset } | undefined;
  return row?.subset ?? null;
}

/** The one gate training code goes through: ground truth of "unlabeled" images is hidden. */
export function trainingMasksVisible(subset: Subset): boolean {
  return subset !== 'unlabeled';
}

const REVIEWED = `SELECT sm.image_id FROM split_members sm
  JOIN masks m ON m.image_id = sm.image_id AND m.current = 1 AND m.provenance IN ('promoted', 'drawn', 'sam-assisted')
  WHERE sm.split_id = ? AND sm.subset = 'unlabeled'`;

/**
 * Images whose ground truth training may read: the labeled subset, plus unlabeled images whose
 * current mask a radiologist made (accepted pseudo-label, drawing or SAM-assisted label) — their hidden imported label
 * stays hidden, the reviewed one is the current mask.
 */
export function trainingLabeledIds(ws: Workspace, splitId: number): number[] {
  const reviewed = (ws.db.prepare(REVIEWED).all(splitId) as { image_id: number }[]).map((r) => r.image_id);
  return [...splitMembers(ws, splitId, 'labeled'), ...reviewed].sort((a, b) => a - b);
}

/**
 * The unlabeled images still waiting for labels whose imported ground truth is hidden from training:
 * the only ones an evaluation teacher (the oracle, which answers with that ground truth) can label.
 */
export function miningIdsWithHiddenTruth(ws: Workspace, splitId: number): number[] {
  const withTruth = new Set(
    (
      ws.db
        .prepare(`SELECT sm.image_id FROM split_members sm JOIN masks m ON m.image_id = sm.image_id AND m.current = 1
                  WHERE sm.split_id = ? AND sm.subset = 'unlabeled'`)
        .all(splitId) as { image_id: number }[]
    ).map((r) => r.image_id),
  );
  return miningUnlabeledIds(ws, splitId).filter((id) => withTruth.has(id));
}

/** Unlabeled images still waiting for labels: what mining asks the teacher about. */
export function miningUnlabeledIds(ws: Workspace, splitId: number): number[] {
  const reviewed = new Set((ws.db.prepare(REVIEWED).all(splitId) as { image_id: number }[]).map((r) => r.image_id));
  return splitMembers(ws, splitId, 'unlabeled').filter((id) => !reviewed.has(id));
}

/**
 * Puts the given images in one subset of the latest split (a per-image or multi-select override).
 * Validation, test and labeled images need ground truth, so images without any are refused by
 * count. A split a run or an experiment already used is never edited under it: the override goes
 * into a copy, which becomes the latest split, and the earlier runs keep the split they trained on.
 */
export function assignSubset(ws: Workspace, imageIds: number[], subset: Subset): SplitSummary {
  const latest = latestSplitId(ws);
  if (latest === null) throw new SplitError('there is no split yet: make one first (Images tab, "Make split")');
  const ids = [...new Set(imageIds)];
  const known = new Set(
    (ws.db.prepare(`SELECT id FROM images WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as { id: number }[]).map((r) => r.id),
  );
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new SplitError(`no image with id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`);
  if (subset !== 'unlabeled') {
    const withTruth = new Set(
      (
        ws.db
          .prepare(`SELECT DISTINCT image_id FROM masks WHERE current = 1 AND image_id IN (${ids.map(() => '?').join(',')})`)
          .all(...ids) as { image_id: number }[]
      ).map((r) => r.image_id),
    );
    const without = ids.filter((id) => !withTruth.has(id));
    if (ids.length === 1 && without.length === 1)
      throw new SplitError(`image ${without[0]} has no ground truth, so it can only be unlabeled: label it first`);
    if (without.length > 0)
      throw new SplitError(`${without.length} of the ${ids.length} selected image(s) have no ground truth, so they can only be unlabeled: label them first`);
  }
  const id = ws.transaction(() => {
    const used =
      ws.db.prepare('SELECT 1 FROM runs WHERE split_id = ? UNION SELECT 1 FROM experiment_cells WHERE split_id = ?').get(latest, latest) !==
      undefined;
    const target = used ? copySplit(ws, latest) : latest;
    const upsert = ws.db.prepare('INSERT OR REPLACE INTO split_members (split_id, image_id, subset) VALUES (?, ?, ?)');
    for (const imageId of ids) upsert.run(target, imageId, subset);
    return target;
  });
  return getSplit(ws, id)!;
}

function copySplit(ws: Workspace, splitId: number): number {
  const info = ws.db
    .prepare(
      'INSERT INTO splits (seed, labeled_ratio, val_ratio, test_ratio, created_at) SELECT seed, labeled_ratio, val_ratio, test_ratio, ? FROM splits WHERE id = ?',
    )
    .run(nowIso(), splitId);
  const copy = Number(info.lastInsertRowid);
  ws.db.prepare('INSERT INTO split_members (split_id, image_id, subset) SELECT ?, image_id, subset FROM split_members WHERE split_id = ?').run(copy, splitId);
  return copy;
}
