import type { PixelDType, TypedPixels } from '../../shared/pixels';

export type { PixelDType } from '../../shared/pixels';

export type PixelArray = TypedPixels;

export interface DicomInfo {
  transferSyntax: string;
  modality: string | null;
  sopClassUid: string | null;
  photometric: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number | null;
  windowWidth: number | null;
  pixelSpacing: [number, number] | null;
  studyUid: string | null;
  seriesUid: string | null;
  sopUid: string | null;
  /** Where the file sits among others: patient, study, series and slice (the series browser orders by it). */
  placement: DicomPlacement;
}

/** A window the file offers, with its explanation when it has one ("BONE", "LUNG"). */
export interface VoiWindow {
  center: number;
  width: number;
  name: string | null;
}

export interface DicomPlacement {
  patientId: string | null;
  patientName: string | null;
  studyDescription: string | null;
  studyDate: string | null;
  seriesDescription: string | null;
  seriesNumber: number | null;
  instanceNumber: number | null;
  /** ImagePositionPatient of each frame (per-frame functional groups), else the file's own for all. */
  framePositions: ([number, number, number] | null)[];
  imageOrientation: [number, number, number, number, number, number] | null;
  /** Every window the file lists (VOI LUT module), not only the first one used by default. */
  voiWindows: VoiWindow[];
  /** Which attribute the spacing came from: ImagerPixelSpacing is at the detector, not the patient. */
  spacingSource: 'PixelSpacing' | 'ImagerPixelSpacing' | null;
}

export interface DicomFrame {
  index: number;
  width: number;
  height: number;
  samples: 1 | 3;
  dtype: PixelDType;
  data: PixelArray;
  min: number;
  max: number;
}
