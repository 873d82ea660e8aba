import { PNG } from 'pngjs';
import type { ReviewDecision, ReviewImage, ReviewQueueItem, ReviewResult, ReviewVersion } from '../../shared/contract';
import { encodeMaskPng, IGNORE_LABEL, type LabelMap, type Mask } from '../imaging/mask';
import { imageRecord } from '../workspace/images';
import { correctedPseudoLabelIds, currentMaskRecord, saveLabelMap, saveMask } from '../workspace/masks';
import {
  pseudoLabelById,
  pseudoLabelMap,
  pseudoLabelMask,
  pseudoLabelPng,
  pseudoLabelStatus,
  pseudoLabelVersions,
  setPseudoLabelStatus,
  type PseudoLabelVersion,
} from '../workspace/pseudo-labels';
import { pendingReview } from '../workspace/review-queue';
import { runKind } from '../workspace/runs';
import { latestSubsetOf } from '../workspace/splits';
import type { Workspace } from '../workspace/workspace';

// The radiologist's review of pseudo-labels. A version is accepted (promoted to ground truth,
// provenance 'promoted'), corrected (an edited mask becomes ground truth, provenance 'drawn', still
// naming the version it started from; the version is marked accepted) or rejected. Ground truth is
// only ever written through saveMask, so earlier masks stay in the table as non-current rows, and
// the result names the ground truth it replaced (an imported mask hidden from training included).
//
// An image waits for review while it is unlabeled, no version of it was accepted, and its latest
// version is still 'new'. Rejecting the latest version decides the image; a newer version made
// after that (mining revisits images) asks for review again.

export class ReviewError extends Error {}

/**
 * Unlabeled images waiting for a decision, most teacher–student disagreement (1 − agreement Dice
 * of the latest version) first; versions without a recorded agreement come last, then by image id.
 */
export function reviewQueue(ws: Workspace, offset = 0, limit = -1): { items: ReviewQueueItem[]; total: number } {
  const { rows, total } = pendingReview(ws, offset, limit);
  return {
    total,
    items: rows.map((r) => ({
      imageId: r.imageId,
      sourcePath: r.sourcePath,
      split: r.split,
      versions: r.versions,
      latestVersionId: r.latestId,
      latestVersion: r.latestVersion,
      agreementDice: r.agreementDice,
      disagreement: r.agreementDice === null ? null : 1 - r.agreementDice,
    })),
  };
}

function pngDataUrl(bytes: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
}

function decisionOf(v: PseudoLabelVersion, corrected: Set<number>): ReviewDecision {
  if (v.status === 'accepted') return corrected.has(v.id) ? 'corrected' : 'accepted';
  return v.status;
}

/** One image's pseudo-label versions with provenance and masks, and its current ground truth. */
export function reviewImage(ws: Workspace, imageId: number): ReviewImage {
  const rec = imageRecord(ws, imageId);
  const versions = pseudoLabelVersions(ws, imageId);
  const corrected = correctedPseudoLabelIds(ws, imageId);
  const runKinds = new Map<number, string>();
  for (const v of versions) {
    if (v.runId === null || runKinds.has(v.runId)) continue;
    const kind = runKind(ws, v.runId);
    if (kind !== null) runKinds.set(v.runId, kind);
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
    maskDataUrl: pngDataUrl(pseudoLabelPng(ws, v, 'teacher')!),
    studentMaskDataUrl: v.studentMaskBlob ? pngDataUrl(pseudoLabelPng(ws, v, 'student')!) : null,
    structures: v.labelMap
      ? {
          labelMapDataUrl: pngDataUrl(pseudoLabelPng(ws, v, 'labelMap')!),
          values: v.labelMap.structures,
          areas: v.labelMap.areas,
          agreements: v.labelMap.agreements,
        }
      : null,
  }));
  const gt = currentMaskRecord(ws, imageId);
  const latest = versions.at(-1);
  const split = latestSubsetOf(ws, imageId);
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
          dataUrl: pngDataUrl(gt.png),
          area: gt.area,
          provenance: gt.provenance,
          pseudoLabelId: gt.pseudoLabelId,
          createdAt: gt.createdAt,
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
  const subset = latestSubsetOf(ws, v.imageId);
  if (subset === 'val' || subset === 'test')
    throw new ReviewError(
      `image ${v.imageId} is in the ${subset === 'val' ? 'validation' : 'test'} set: its ground truth measures the model and cannot come from a pseudo-label`,
    );
}

/**
 * Promotes a version to ground truth (provenance 'promoted') and marks it accepted, in one
 * transaction; a version with several structures becomes a label-map ground truth.
 */
export function acceptPseudoLabel(ws: Workspace, pseudoLabelId: number): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  assertPromotable(ws, v);
  const label = v.labelMap ? pseudoLabelMap(ws, v) : pseudoLabelMask(ws, v);
  return ws.transaction(() => {
    if (pseudoLabelStatus(ws, v.id) === 'accepted')
      throw new ReviewError(`version ${v.version} of image ${v.imageId} is already accepted: its mask is the ground truth`);
    const opts = { pseudoLabelId: v.id, details: { pseudoLabelVersion: v.version } };
    const saved = v.labelMap ? saveLabelMap(ws, v.imageId, label, 'promoted', opts) : saveMask(ws, v.imageId, label, 'promoted', opts);
    setPseudoLabelStatus(ws, v.id, 'accepted');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'accepted' as const, maskId: saved.maskId, area: saved.area, replaced: saved.replaced };
  });
}

/** Marks a version rejected; ground truth is untouched. An accepted version cannot be rejected: correct it instead. */
export function rejectPseudoLabel(ws: Workspace, pseudoLabelId: number): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  return ws.transaction(() => {
    const status = pseudoLabelStatus(ws, v.id);
    if (status === 'accepted')
      throw new ReviewError(
        `version ${v.version} of image ${v.imageId} was accepted and is the ground truth; correct it with the brush instead of rejecting it`,
      );
    setPseudoLabelStatus(ws, v.id, 'rejected');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'rejected' as const, maskId: null, area: null, replaced: null };
  });
}

/**
 * Stores a radiologist's edit of a version as ground truth: provenance 'drawn', naming the version
 * it started from, which is marked accepted (reported as "corrected"). The mask must be a PNG data
 * URL at the image's exact size, opaque, holding only black (0) and white (255) — or, for a version
 * with several structures, its label map: grey levels 0, the version's structure values and the
 * ignore value. Anything else is refused before anything is stored.
 */
export function correctPseudoLabel(ws: Workspace, pseudoLabelId: number, maskDataUrl: string): ReviewResult {
  const v = versionOrThrow(ws, pseudoLabelId);
  assertPromotable(ws, v);
  const rec = imageRecord(ws, v.imageId);
  const allowed = v.labelMap ? new Set([0, IGNORE_LABEL, ...v.labelMap.structures]) : null;
  const map = allowed ? greyFromPngDataUrl(maskDataUrl, rec.width, rec.height, v.imageId, allowed) : maskFromPngDataUrl(maskDataUrl, rec.width, rec.height, v.imageId);
  return ws.transaction(() => {
    const opts = { pseudoLabelId: v.id, details: { pseudoLabelVersion: v.version, edited: true } };
    const saved = allowed ? saveLabelMap(ws, v.imageId, map, 'drawn', opts) : saveMask(ws, v.imageId, map, 'drawn', opts);
    setPseudoLabelStatus(ws, v.id, 'accepted');
    return { imageId: v.imageId, pseudoLabelId: v.id, decision: 'corrected' as const, maskId: saved.maskId, area: saved.area, replaced: saved.replaced };
  });
}

const PNG_DATA_URL = /^data:image\/png;base64,([A-Za-z0-9+/]*={0,2})$/;

/** Decodes a binary mask sent by the renderer, refusing anything that is not exactly the image's size and 0/255. */
export function maskFromPngDataUrl(dataUrl: string, width: number, height: number, imageId: number): Mask {
  const grey = greyFromPngDataUrl(dataUrl, width, height, imageId, new Set([0, 255]));
  return { width, height, data: grey.data.map((g) => (g === 255 ? 1 : 0)) };
}

/** The grey levels of an opaque PNG data URL at the image's size, each one of `allowed`; anything else is refused naming the first bad pixel. */
function greyFromPngDataUrl(dataUrl: string, width: number, height: number, imageId: number, allowed: ReadonlySet<number>): LabelMap {
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
    if (a !== 255 || r !== g || g !== b || !allowed.has(r)) {
      const what = allowed.size === 2 && allowed.has(0) && allowed.has(255) ? 'black (0) and white (255)' : `the grey levels ${[...allowed].sort((x, y) => x - y).join(', ')}`;
      throw new ReviewError(
        `the corrected mask must be opaque ${what} only; pixel (${i % width}, ${Math.floor(i / width)}) is rgba(${r}, ${g}, ${b}, ${a}); nothing was stored`,
      );
    }
    data[i] = r;
  }
  return { width, height, data };
}

/** Encodes a mask as the PNG data URL the renderer sends back (tests and tools). */
export function maskToPngDataUrl(mask: Mask): string {
  return pngDataUrl(encodeMaskPng(mask));
}
