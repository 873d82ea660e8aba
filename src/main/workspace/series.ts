import { basename, dirname } from 'node:path';
import type { PatientNode, SeriesNode, StudyNode } from '../../shared/contract';
import type { Workspace } from './workspace';

/** What ordering a slice needs: where it is, its instance number, and import order as the last word. */
export interface SliceKey {
  id: number;
  frameIndex: number;
  instanceNumber: number | null;
  position: [number, number, number] | null;
  orientation: number[] | null;
}

/**
 * Distance of a slice along its series' normal (row × column direction cosines): the one number
 * that orders axial, sagittal and oblique stacks alike. Without an orientation, z (axial) is the
 * best guess the position allows.
 */
export function slicePosition(position: [number, number, number] | null, orientation: number[] | null): number | null {
  if (!position) return null;
  if (!orientation || orientation.length < 6) return position[2];
  const [r0, r1, r2, c0, c1, c2] = orientation as [number, number, number, number, number, number];
  const normal = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  return position[0] * normal[0]! + position[1] * normal[1]! + position[2] * normal[2]!;
}

/**
 * Slices by position along the normal, then InstanceNumber, then frame and import order. Position
 * counts only when every slice has one: mixing the two keys would not be a consistent order.
 */
export function orderSlices<T extends SliceKey>(slices: readonly T[]): T[] {
  const at = new Map(slices.map((s) => [s, slicePosition(s.position, s.orientation)]));
  const byPosition = [...at.values()].every((p) => p !== null);
  const instance = (s: T) => s.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  return [...slices].sort(
    (a, b) =>
      (byPosition ? at.get(a)! - at.get(b)! : 0) || instance(a) - instance(b) || a.frameIndex - b.frameIndex || a.id - b.id,
  );
}

interface SeriesRecord {
  id: number;
  sha256: string;
  frame_index: number;
  source_path: string;
  format: 'png' | 'jpeg' | 'dicom' | 'nifti';
  modality: string | null;
  study_uid: string | null;
  series_uid: string | null;
  patient_id: string | null;
  patient_name: string | null;
  study_description: string | null;
  study_date: string | null;
  series_description: string | null;
  series_number: number | null;
  instance_number: number | null;
  image_position: string | null;
  image_orientation: string | null;
  has_mask: number;
}

const NO_PATIENT = 'no patient ID';
const FOLDERS = 'image folders';

/**
 * Where a row belongs: DICOM by its UIDs (a file without them is its own series), a NIfTI volume by
 * the keys its import gave it (one series per 3D volume), PNG/JPEG by folder.
 */
function placeOf(r: SeriesRecord): { patient: string; patientName: string | null; study: string; series: string } {
  if (r.format === 'png' || r.format === 'jpeg') {
    const folder = dirname(r.source_path);
    return { patient: FOLDERS, patientName: null, study: FOLDERS, series: `folder:${folder}` };
  }
  return {
    patient: r.patient_id ?? r.patient_name ?? NO_PATIENT,
    patientName: r.patient_name,
    study: r.study_uid ?? `file:${r.sha256}`,
    series: r.series_uid ?? `file:${r.sha256}`,
  };
}

function seriesLabel(r: SeriesRecord, key: string): string {
  if (r.format === 'png' || r.format === 'jpeg') return basename(key.slice('folder:'.length)) || key;
  const parts = [r.series_number !== null ? `#${r.series_number}` : null, r.series_description].filter(Boolean);
  return parts.length ? parts.join(' ') : r.series_uid ? `series …${r.series_uid.slice(-8)}` : basename(r.source_path);
}

/**
 * Patient → study → series over every image, slices ordered by position. Patients and studies keep
 * the order of their first import; series within a study go by series number, then first import.
 */
export function seriesTree(ws: Workspace): PatientNode[] {
  const rows = ws.db
    .prepare(
      `SELECT i.id, i.sha256, i.frame_index, i.source_path, i.format, i.modality, i.study_uid, i.series_uid,
              i.patient_id, i.patient_name, i.study_description, i.study_date, i.series_description,
              i.series_number, i.instance_number, i.image_position, i.image_orientation,
              EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id AND m.current = 1) AS has_mask
       FROM images i ORDER BY i.id`,
    )
    .all() as SeriesRecord[];

  const patients = new Map<string, PatientNode>();
  const studies = new Map<string, StudyNode>();
  const series = new Map<string, { node: SeriesNode; slices: (SliceKey & { masked: boolean })[]; number: number | null }>();
  for (const r of rows) {
    const place = placeOf(r);
    let patient = patients.get(place.patient);
    if (!patient) {
      patient = { key: place.patient, name: place.patientName, studies: [] };
      patients.set(place.patient, patient);
    }
    const studyKey = `${place.patient}\u0000${place.study}`;
    let study = studies.get(studyKey);
    if (!study) {
      study = { key: place.study, description: r.study_description, date: r.study_date, series: [] };
      studies.set(studyKey, study);
      patient.studies.push(study);
    }
    let s = series.get(place.series);
    if (!s) {
      const node: SeriesNode = {
        key: place.series,
        label: seriesLabel(r, place.series),
        modality: r.format === 'dicom' ? r.modality : r.format === 'nifti' ? (r.modality ?? 'NIfTI') : r.format.toUpperCase(),
        count: 0,
        labeled: 0,
        imageIds: [],
        slicePositions: [],
      };
      s = { node, slices: [], number: r.series_number };
      series.set(place.series, s);
      study.series.push(node);
    }
    s.slices.push({
      id: r.id,
      frameIndex: r.frame_index,
      instanceNumber: r.instance_number,
      position: r.image_position ? (JSON.parse(r.image_position) as [number, number, number]) : null,
      orientation: r.image_orientation ? (JSON.parse(r.image_orientation) as number[]) : null,
      masked: r.has_mask === 1,
    });
  }
  for (const { node, slices } of series.values()) {
    const ordered = orderSlices(slices);
    node.imageIds = ordered.map((s) => s.id);
    node.slicePositions = ordered.map((s) => slicePosition(s.position, s.orientation));
    node.count = ordered.length;
    node.labeled = ordered.filter((s) => s.masked).length;
  }
  const numberOf = new Map([...series.values()].map((s) => [s.node, s.number]));
  for (const study of studies.values()) {
    study.series.sort((a, b) => (numberOf.get(a) ?? Infinity) - (numberOf.get(b) ?? Infinity) || a.imageIds[0]! - b.imageIds[0]!);
  }
  return [...patients.values()];
}
