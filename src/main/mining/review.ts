import { PNG } from 'pngjs';
import type { ReviewDecision, ReviewImage, ReviewQueueItem, ReviewResult, ReviewVersion } from '../../shared/contract';
import { encodeMaskPng, maskArea, type Mask } from '../imaging/mask';
import { imageRecord } from '../workspace/images';
import { saveMask, type MaskProvenance } from '../workspace/masks';
import { latestSplitId, type Subset } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';
import { pseudoLabelById, pseudoLabelMask, pseudoLabelVersions, type PseudoLabelVersion } from './pseudo-labels';

// The radiologist's review of pseudo-labels. A version is accepted (promoted to ground truth,
// provenance 'promoted'), corrected (an edited mask becomes ground truth, provenance 'drawn', still
// naming the version it started from; the version is marked accepted) or rejected. Ground truth is
// only ever written through saveMask, so earlier masks stay in the table as non-current rows.
//
// An image waits for review while it is unlabeled, no version of it was accepted, and its latest
// version is still 'new'. Rejecting the latest version decides the image; a newer version made
// after that (mining revisits images) asks for review again.

export class ReviewError extends Error {}

const UNLABELED_SQL = `(sm.subset = 'unlabeled' OR (sm.subset IS NULL AND NOT EXISTS
                        (SELECT 1 FROM masks m WHERE m.image_id = i.id AND m.current = 1)))`;

const PENDING_SQL = `l.status = 'new' AND NOT EXISTS (SELECT 1 FROM pseudo_labels a WHERE a.image_id = i.id AND a.status = 'accepted')`;

const LATEST_SQL = `pseudo_labels l
  JOIN (SELECT image_id, MAX(version) AS version FROM pseudo_labels GROUP BY image_id) mx
    ON mx.image_id = l.image_id AND mx.version = l.version
  JOIN images i ON i.id = l.image_id
  LEFT JOIN split_members sm ON sm.image_id = i.id AND sm.split_id = @split`;

/**
 * Unlabeled images waiting for a decision, most teacher–student disagreement (1 − agreement Dice
 * of the latest version) first; versions without a recorded agreement come last, then by image id.
 */
export function reviewQueue(ws: Workspace, offset = 0, limit = -1): { items: ReviewQueueItem[]; total: number } {
  const split = latestSplitId(ws);
  const where = `WHERE ${UNLABELED_SQL} AND ${PENDING_SQL}`;
  const rows = ws.db
    .prepare(
      `SELECT i.id AS image_id, i.source_path, sm.subset AS split, l.id AS latest_id, l.version AS latest_version,
              l.agreement_dice, (SELECT COUNT(*) FROM pseudo_labels c WHERE c.image_id = i.id) AS versions
       FROM ${LATEST_SQL} ${where}
       ORDER BY l.agreement_dice IS NULL, l.agreement_dice ASC, i.id
       LIMIT @limit OFFSET @offset`,
    )
    .all({ split, limit, offset }) as {
    image_id: number;
    source_path: string;
    split: Subset | null;
    latest_id: number;
    latest_version: number;
    agreement_dice: number | null;
    versions: number;
  }[];
  const total = (ws.db.prepare(`SELECT COUNT(*) AS n FROM ${LATEST_SQL} ${where}`).get({ split }) as { n: number }).n;
  return {
    total,
    items: rows.map((r) => ({
      imageId: r.image_id,
      sourcePath: r.source_path,
      split: r.split,
      versions: r.versions,
      latestVersionId: r.latest_id,
      latestVersion: r.latest_version,
      agreementDice: r.agreement_dice,
      disagreement: r.agreement_dice === null ? null : 1 - r.agreement_dice,
    })),
  };
}

function pngDataUrl(bytes: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
}

function subsetOf(ws: Workspace, imageId: number): Subset | null {
  const split = latestSplitId(ws);
  if (split === null) return null;
  const row = ws.db.prepare('SELECT subset FROM split_members WHERE split_id = ? AND image_id = ?').get(split, imageId) as
    { subset: Subset } | undefined;
  return row?.subset ?? null;
}

/** Versions corrected by hand: an accepted version that a 'drawn' ground-truth mask names. */
function correctedIds(ws: Workspace, imageId: number): Set<number> {
  const rows = ws.db
    .prepare(`SELECT DISTINCT pseudo_label_id AS id FROM masks WHERE image_id = ? AND provenance = 'drawn' AND pseudo_label_id IS NOT NULL`)
    .all(imageId) as { id: number }[];
  return new Set(rows.map((r) => r.id));
}

function decisionOf(v: PseudoLabelVersion, corrected: Set<number>): ReviewDecision {
  if (v.status === 'accepted') return corrected.has(v.id) ? 'corrected' : 'accepted';
  return v.status;
}

/** One image's pseudo-label versions with provenance and masks, and its current ground truth. */
export function reviewImage(ws: Workspace, imageId: number): ReviewImage {
  const rec = imageRecord(ws, imageId);
  const versions = pseudoLabelVersions(ws, imageId);
  const corrected = correctedIds(ws, imageId);
  const runKinds = new Map<number, string>();
  for (const v of versions) {
    if (v.runId === null || runKinds.has(v.runId)) continue;
    const run = ws.db.prepare('SELECT kind FROM runs WHERE id = ?').get(v.runId) as { kind: string } | undefined;
    if (run) runKinds.set(v.runId, run.kind);
  }
  const out: ReviewVersion[] = versions.map((v) => ({
    id: v.id,
    imageId: v.imageId,
    version: v.version,
    runId: v.runId,
    runKind: v.runId === null ? null : (runKinds.get(v.runId) ?? null),
    epoch: v.epoch,
    teacherModelId: v.teacherModelId,
    teacher: v.teacherLabel,
    studentCheckpoint: v.studentCheckpoint,
    prompts: v.prompts,
    iouPrediction: v.iouPrediction,
    agreementDice: v.agreementDice,
    area: v.area,
    decision: decisionOf(v, corrected),
    createdAt: v.createdAt,
    maskDataUrl: pngDataUrl(ws.blobs.get(v.maskBlob)),
    studentMaskDataUrl: v.studentMaskBlob ? pngDataUrl(ws.blobs.get(v.studentMaskBlob)) : null,
  }));
  const gt = ws.db
    .prepare('SELECT blob, area, provenance, pseudo_label_id, created_at FROM masks WHERE image_id = ? AND current = 1')
    .get(imageId) as
    { blob: string; area: number; provenance: MaskProvenance; pseudo_label_id: number | null; created_at: string } | undefined;
  const latest = versions.at(-1);
  const split = subsetOf(ws, imageId);
  return {
    imageId,
    width: rec.width,
    height: rec.height,
    split,
    pending:
      latest !== undefined &&
      latest.status === 'new' &&
      !versions.some((v) => v.status === 'accepted') &&
      (split === 'unlabeled' || (split === null && !gt)),
    versions: out,
    groundTruth: gt
      ? {
          dataUrl: pngDataUrl(ws.blobs.get(gt.blob)),
          area: gt.area,
          provenance: gt.provenance,
          pseudoLabelId: gt.pseudo_label_id,
          createdAt: gt.created_at,
        }
      : null,
  };
}

function versionOrThrow(ws: Workspace, pseudoLabelId: number): PseudoLabelVersion {
  const v = pseudoLabelById(ws, pseudoLabelId);
  if (!v) throw new ReviewError(`no pseudo-label with id ${pseudoLabelId}`);
  return v;
}

/** Validation and evaluation ground truth never comes from a pseudo-label. */
function assertPromotable(ws: Workspace, v: PseudoLabelVersion): void {
  const subset = subsetOf(ws, v.imageId);
  if (subset === 'val' || subset === 'test')
    throw new ReviewError(
      `image ${v.imageId} is in the ${subset === 'val' ? 'validation' : 'test'} set: its ground truth measures the model and cannot come from a pseudo-label`,
    );
}

/** Re-reads the status inside the transaction, so two reviewers cannot both decide the same version. */
function currentStatus(ws: Workspace, id: number): PseudoLabelVersion['status'] {
  return (ws.db.prepare('SELECT status FROM pseudo_labels WHERE id = ?').get(id) as { status: PseudoLabelVersion['status'] }).status;
}

function setStatus(ws: Workspace, id: number, status: 'accepted' | 'rejected'): void {
  ws.db.prepare('UPDATE pseudo_labels SET status = ? WHERE id = ?').run(status, id);
}

/** Promotes a version to ground truth (provenance 'promoted') and marks it accepted, in one transaction. */
export function acceptPseudoLabel(ws: Workspace, pseudoLabelId: number): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  assertPromotable(ws, v);
  const mask = pseudoLabelMask(ws, v);
  return ws.transaction(() => {
    if (currentStatus(ws, v.id) === 'accepted')
      throw new ReviewError(`version ${v.version} of image ${v.imageId} is already accepted: its mask is the ground truth`);
    const maskId = saveMask(ws, v.imageId, mask, 'promoted', { pseudoLabelId: v.id });
    setStatus(ws, v.id, 'accepted');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'accepted' as const, maskId, area: maskArea(mask) };
  });
}

/** Marks a version rejected; ground truth is untouched. An accepted version cannot be rejected: correct it instead. */
export function rejectPseudoLabel(ws: Workspace, pseudoLabelId: number): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  return ws.transaction(() => {
    const status = currentStatus(ws, v.id);
    if (status === 'accepted')
      throw new ReviewError(
        `version ${v.version} of image ${v.imageId} was accepted and is the ground truth; correct it with the brush instead of rejecting it`,
      );
    setStatus(ws, v.id, 'rejected');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'rejected' as const, maskId: null, area: null };
  });
}

/**
 * Stores a radiologist's edit of a version as ground truth: provenance 'drawn', naming the version
 * it started from, which is marked accepted (reported as "corrected"). The mask must be a PNG data
 * URL at the image's exact size holding only black (0) and white (255), opaque; anything else is
 * refused before anything is stored.
 */
export function correctPseudoLabel(ws: Workspace, pseudoLabelId: number, maskDataUrl: string): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  assertPromotable(ws, v);
  const rec = imageRecord(ws, v.imageId);
  const mask = maskFromPngDataUrl(maskDataUrl, rec.width, rec.height, v.imageId);
  return ws.transaction(() => {
    const maskId = saveMask(ws, v.imageId, mask, 'drawn', { pseudoLabelId: v.id });
    setStatus(ws, v.id, 'accepted');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'corrected' as const, maskId, area: maskArea(mask) };
  });
}

const PNG_DATA_URL = /^data:image\/png;base64,([A-Za-z0-9+/]*={0,2})$/;

/** Decodes a binary mask sent by the renderer, refusing anything that is not exactly the image's size and 0/255. */
export function maskFromPngDataUrl(dataUrl: string, width: number, height: number, imageId: number): Mask {
  const m = PNG_DATA_URL.exec(dataUrl);
  if (!m) throw new ReviewError('the corrected mask must be a PNG data URL (data:image/png;base64,…); nothing was stored');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(m[1]!, 'base64'));
  } catch (e) {
    throw new ReviewError(`the corrected mask is not a readable PNG (${e instanceof Error ? e.message : String(e)}); nothing was stored`);
  }
  if (png.width !== width || png.height !== height)
    throw new ReviewError(
      `the corrected mask is ${png.width}×${png.height} but image ${imageId} is ${width}×${height}; nothing was stored`,
    );
  const d = png.data; // pngjs always hands back RGBA, 8 bits per channel
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const r = d[j]!,
      g = d[j + 1]!,
      b = d[j + 2]!,
      a = d[j + 3]!;
    if (a !== 255 || r !== g || g !== b || (r !== 0 && r !== 255)) {
      throw new ReviewError(
        `the corrected mask must be opaque black (0) and white (255) only; pixel (${i % width}, ${Math.floor(i / width)}) is rgba(${r}, ${g}, ${b}, ${a}); nothing was stored`,
      );
    }
    data[i] = r === 255 ? 1 : 0;
  }
  return { width, height, data };
}

/** Encodes a mask as the PNG data URL the renderer sends back (tests and tools). */
export function maskToPngDataUrl(mask: Mask): string {
  return pngDataUrl(encodeMaskPng(mask));
}
