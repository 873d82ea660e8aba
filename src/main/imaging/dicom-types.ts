export type PixelDType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';

export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

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
