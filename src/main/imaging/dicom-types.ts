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
