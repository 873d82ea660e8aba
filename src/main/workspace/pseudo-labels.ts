import { decodeLabelMapPng, decodeMaskPng, encodeLabelMapPng, encodeMaskPng, maskArea, type LabelMap, type Mask } from '../imaging/mask';
import { structureAreas } from './masks';
import { nowIso, type Workspace } from './workspace';

export interface PseudoLabelProvenance {
  runId: number | null;
  epoch: number | null; // the round (one-time: 0) or the epoch (continuous) that made it
  teacherModelId: number | null;
  teacherLabel: string; // SAM model or the evaluation tool, as the run recorded it
  studentCheckpoint: string | null; // blob hash of the student weights that made the prompts
  prompts: unknown; // the exact prompts sent, in source pixels
  iouPrediction: number | null;
  agreementDice: number | null; // teacher vs the student's own thresholded mask
  /** The student's own thresholded mask at source resolution, when the caller has it: reviewers see it beside the teacher's. */
  /** The student's own mask at source resolution, or a function making it (called only if stored). */
  studentMask?: Mask | (() => Mask) | null;
}

/**
 * A pseudo-label of a student with several structures: the teacher's masks merged into one label
 * map (0 background, schema values) and the agreement of each structure with the student's own.
 */
export interface PseudoLabelMap {
  map: LabelMap;
  /** The schema values the student predicts (the run's channels), present in the map or not. */
  structures: number[];
  /** Per structure value: Dice of the teacher's mask with the student's; null when both are empty. */
  agreements: Record<number, number | null>;
}

export interface PseudoLabelVersion extends Omit<PseudoLabelProvenance, 'prompts' | 'studentMask'> {
  id: number;
  imageId: number;
  version: number;
  maskBlob: string;
  studentMaskBlob: string | null; // blob of the student's mask, when it was stored with the version
  area: number;
  prompts: unknown;
  status: 'new' | 'accepted' | 'rejected';
  createdAt: string;
  /** Several structures: the label map's blob, the run's structures, pixels and agreement per structure; null for a binary pseudo-label. */
  labelMap: { blob: string; structures: number[]; areas: Record<number, number>; agreements: Record<number, number | null> } | null;
}

/** What the prompts JSON holds beside the prompts (no schema change: these arrived after the table). */
interface Extras {
  teacher?: string;
  prompts?: unknown;
  area?: number;
  studentMask?: string;
  labelMap?: string;
  structures?: number[];
  areas?: Record<number, number>;
  agreements?: Record<number, number | null>;
}

interface Row {
  id: number;
  image_id: number;
  run_id: number | null;
  version: number;
  epoch: number | null;
  teacher_model_id: number | null;
  student_checkpoint: string | null;
  prompts: string;
  mask_blob: string;
  iou_prediction: number | null;
  agreement_dice: number | null;
  status: 'new' | 'accepted' | 'rejected';
  created_at: string;
}

function toVersion(r: Row, ws: Workspace): PseudoLabelVersion {
  const p = JSON.parse(r.prompts) as Extras;
  return {
    id: r.id,
    imageId: r.image_id,
    version: r.version,
    runId: r.run_id,
    epoch: r.epoch,
    teacherModelId: r.teacher_model_id,
    teacherLabel: p.teacher ?? '',
    studentCheckpoint: r.student_checkpoint,
    prompts: p.prompts ?? null,
    iouPrediction: r.iou_prediction,
    agreementDice: r.agreement_dice,
    maskBlob: r.mask_blob,
    studentMaskBlob: p.studentMask ?? null,
    area: p.area ?? maskArea(decodeMaskPng(ws.blobs.get(r.mask_blob))),
    status: r.status,
    createdAt: r.created_at,
    labelMap: p.labelMap ? { blob: p.labelMap, structures: p.structures ?? [], areas: p.areas ?? {}, agreements: p.agreements ?? {} } : null,
  };
}

/**
 * Stores a pseudo-label as the image's next version. The mask blob is written (atomically) before
 * the row that names it, in one transaction with the version number, so a kill never leaves a
 * half-written version. When `onlyIfChanged`, an identical mask to the latest version is not stored
 * again (continuous mining revisits images every epoch) and the latest version is returned.
 */
export function storePseudoLabel(
  ws: Workspace,
  imageId: number,
  mask: Mask,
  prov: PseudoLabelProvenance,
  opts: { onlyIfChanged?: boolean } = {},
): { version: PseudoLabelVersion; stored: boolean } {
  return storeVersion(ws, imageId, mask, null, prov, opts);
}

/**
 * Stores the label map of a student with several structures as the image's next version, as
 * storePseudoLabel does: the map's blob beside a 0/255 mask of every structure together (what
 * binary readers — review outlines, PNG export of the mask — keep reading), with the pixels and
 * agreement per structure; agreementDice is their mean over the structures the teacher or the
 * student found. `onlyIfChanged` compares the label maps.
 */
export function storePseudoLabelMap(
  ws: Workspace,
  imageId: number,
  label: PseudoLabelMap,
  prov: Omit<PseudoLabelProvenance, 'agreementDice'>,
  opts: { onlyIfChanged?: boolean } = {},
): { version: PseudoLabelVersion; stored: boolean } {
  const { map } = label;
  const union: Mask = { width: map.width, height: map.height, data: map.data.map((v) => (label.structures.includes(v) ? 1 : 0)) };
  return storeVersion(ws, imageId, union, label, { ...prov, agreementDice: meanAgreement(label.agreements) }, opts);
}

/** The mean of the structures' agreements that are defined; null when none is. */
export function meanAgreement(agreements: Record<number, number | null>): number | null {
  const defined = Object.values(agreements).filter((d): d is number => d !== null);
  return defined.length ? defined.reduce((a, d) => a + d, 0) / defined.length : null;
}

function storeVersion(
  ws: Workspace,
  imageId: number,
  mask: Mask,
  label: PseudoLabelMap | null,
  prov: PseudoLabelProvenance,
  opts: { onlyIfChanged?: boolean },
): { version: PseudoLabelVersion; stored: boolean } {
  const blob = ws.blobs.put(encodeMaskPng(mask));
  const labelBlob = label ? ws.blobs.put(encodeLabelMapPng(label.map)) : null;
  if (opts.onlyIfChanged) {
    // "Changed" is judged within the run: another run's identical mask is still this run's first.
    const ofRun = ws.db
      .prepare('SELECT * FROM pseudo_labels WHERE image_id = ? AND run_id IS ? ORDER BY version DESC LIMIT 1')
      .get(imageId, prov.runId) as Row | undefined;
    const last = ofRun && toVersion(ofRun, ws);
    if (last && last.maskBlob === blob && (last.labelMap?.blob ?? null) === labelBlob) return { version: last, stored: false };
  }
  // Made only now that a version will be stored (continuous mining upsamples it from the student's map).
  const studentMask = typeof prov.studentMask === 'function' ? prov.studentMask() : prov.studentMask;
  if (studentMask && (studentMask.width !== mask.width || studentMask.height !== mask.height))
    throw new Error(`student mask is ${studentMask.width}×${studentMask.height} but the pseudo-label is ${mask.width}×${mask.height}`);
  // Kept inside the prompts JSON (no schema change): the blob hash of the student's mask.
  const studentBlob = studentMask ? ws.blobs.put(encodeMaskPng(studentMask)) : null;
  return ws.transaction(() => {
    const latest = ws.db.prepare('SELECT * FROM pseudo_labels WHERE image_id = ? ORDER BY version DESC LIMIT 1').get(imageId) as
      Row | undefined;
    const version = (latest?.version ?? 0) + 1;
    const info = ws.db
      .prepare(
        `INSERT INTO pseudo_labels (image_id, run_id, version, epoch, teacher_model_id, student_checkpoint, prompts, mask_blob,
                                    iou_prediction, agreement_dice, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)`,
      )
      .run(
        imageId,
        prov.runId,
        version,
        prov.epoch,
        prov.teacherModelId,
        prov.studentCheckpoint,
        JSON.stringify({
          teacher: prov.teacherLabel,
          prompts: prov.prompts,
          area: maskArea(mask),
          ...(studentBlob ? { studentMask: studentBlob } : {}),
          ...(label && labelBlob ? { labelMap: labelBlob, structures: label.structures, areas: structureAreas(label.map), agreements: label.agreements } : {}),
        } satisfies Extras),
        blob,
        prov.iouPrediction,
        prov.agreementDice,
        nowIso(),
      );
    const row = ws.db.prepare('SELECT * FROM pseudo_labels WHERE id = ?').get(Number(info.lastInsertRowid)) as Row;
    return { version: toVersion(row, ws), stored: true };
  });
}

export function pseudoLabelVersions(ws: Workspace, imageId: number): PseudoLabelVersion[] {
  return (ws.db.prepare('SELECT * FROM pseudo_labels WHERE image_id = ? ORDER BY version').all(imageId) as Row[]).map((r) =>
    toVersion(r, ws),
  );
}

export function latestPseudoLabel(ws: Workspace, imageId: number, runId?: number): PseudoLabelVersion | null {
  const row = (
    runId === undefined
      ? ws.db.prepare('SELECT * FROM pseudo_labels WHERE image_id = ? ORDER BY version DESC LIMIT 1').get(imageId)
      : ws.db.prepare('SELECT * FROM pseudo_labels WHERE image_id = ? AND run_id = ? ORDER BY version DESC LIMIT 1').get(imageId, runId)
  ) as Row | undefined;
  return row ? toVersion(row, ws) : null;
}

/** The version's mask; for several structures, all of them together. */
export function pseudoLabelMask(ws: Workspace, v: PseudoLabelVersion): Mask {
  return decodeMaskPng(ws.blobs.get(v.maskBlob));
}

/** The version's label map (0 background, schema values); a binary version is the map of structure 1. */
export function pseudoLabelMap(ws: Workspace, v: PseudoLabelVersion): LabelMap {
  return v.labelMap ? decodeLabelMapPng(ws.blobs.get(v.labelMap.blob)) : pseudoLabelMask(ws, v);
}

/** The student's mask stored with a version, or null when the version was stored without one. */
export function pseudoLabelStudentMask(ws: Workspace, v: PseudoLabelVersion): Mask | null {
  return v.studentMaskBlob ? decodeMaskPng(ws.blobs.get(v.studentMaskBlob)) : null;
}

export function pseudoLabelById(ws: Workspace, id: number): PseudoLabelVersion | null {
  const row = ws.db.prepare('SELECT * FROM pseudo_labels WHERE id = ?').get(id) as Row | undefined;
  return row ? toVersion(row, ws) : null;
}

/**
 * The version's mask (`teacher`), the student's mask stored with it, or its label map (values, not
 * 0/255), as the stored PNG; null when there is none.
 */
export function pseudoLabelPng(ws: Workspace, v: PseudoLabelVersion, which: 'teacher' | 'student' | 'labelMap'): Buffer | null {
  const blob = which === 'teacher' ? v.maskBlob : which === 'student' ? v.studentMaskBlob : (v.labelMap?.blob ?? null);
  return blob ? ws.blobs.get(blob) : null;
}

/** Read inside the caller's transaction, so two reviewers cannot both decide the same version. */
export function pseudoLabelStatus(ws: Workspace, id: number): PseudoLabelVersion['status'] {
  return (ws.db.prepare('SELECT status FROM pseudo_labels WHERE id = ?').get(id) as { status: PseudoLabelVersion['status'] }).status;
}

export function setPseudoLabelStatus(ws: Workspace, id: number, status: 'accepted' | 'rejected'): void {
  ws.db.prepare('UPDATE pseudo_labels SET status = ? WHERE id = ?').run(status, id);
}
