import { decodeDicom, type DicomFrame, type DicomInfo } from './dicom';
import { decodeMaskValues } from './mask';
import { ruleMaskFile, type MaskRuleSettings, type RuledMaskFile } from './mask-rules';
import { readDicomSeg, type ParsedSeg } from './dicom-seg-read';
import { readNifti, type NiftiVolume } from './nifti';
import { frameToThumbnailRgb } from './pixels';
import { decodeRaster, sniffRaster } from './raster';
import { thumbnailPng } from './thumbnail';

/**
 * What an import needs from one file, computed where the pixels are decoded (the decode process):
 * only sizes, stored frames and PNG thumbnails travel back, never a full-size RGB copy.
 */

export { THUMBNAIL_SIDE } from './thumbnail';

export interface DecodedRaster {
  width: number;
  height: number;
  thumbnail: Uint8Array;
}

export interface DecodedDicomFrame extends DicomFrame {
  thumbnail: Uint8Array;
}

export interface DecodedDicom {
  info: DicomInfo;
  frames: DecodedDicomFrame[];
}

/** The decode process's operations by name: the request names one, the reply carries its result. */
export interface DecodeResults {
  raster: DecodedRaster;
  /** A mask file's grey values read by the import's mask rules (mask-rules.ts), with its PNGs (needs `maskRules`). */
  maskForImport: RuledMaskFile;
  dicom: DecodedDicom;
  /** A NIfTI volume, header and voxels; the importer cuts it into slices along the axis asked for. */
  nifti: NiftiVolume;
  /** A DICOM SEG's segments and frames (FRACTIONAL at the default threshold). */
  seg: ParsedSeg;
}

export type DecodeOp = keyof DecodeResults;

/** Settings an op reads besides the bytes: the FRACTIONAL SEG threshold (0…1, default 0.5), the mask rules' settings. */
export interface DecodeOptions {
  segThreshold?: number;
  maskRules?: MaskRuleSettings;
}

export const DECODE_OPS: { [K in DecodeOp]: (bytes: Uint8Array, options: DecodeOptions) => DecodeResults[K] | Promise<DecodeResults[K]> } = {
  raster: decodeRasterForImport,
  maskForImport: (bytes, options) => {
    if (!options.maskRules) throw new Error('maskForImport needs the mask rules settings');
    return ruleMaskFile(decodeMaskValues(bytes), sniffRaster(bytes) === 'jpeg', options.maskRules);
  },
  dicom: decodeDicomForImport,
  nifti: (bytes) => readNifti(bytes),
  seg: (bytes, options) => readDicomSeg(bytes, { threshold: options.segThreshold }),
};

export function decodeRasterForImport(bytes: Uint8Array): DecodedRaster {
  const rgb = decodeRaster(bytes);
  return { width: rgb.width, height: rgb.height, thumbnail: thumbnailPng(rgb) };
}

export async function decodeDicomForImport(bytes: Uint8Array): Promise<DecodedDicom> {
  const { info, frames } = await decodeDicom(bytes);
  return {
    info,
    frames: frames.map((fr) => ({
      ...fr,
      thumbnail: thumbnailPng(
        frameToThumbnailRgb({
          ...fr,
          rescaleSlope: info.rescaleSlope,
          rescaleIntercept: info.rescaleIntercept,
          windowCenter: info.windowCenter,
          windowWidth: info.windowWidth,
          photometric: info.photometric,
        }),
      ),
    })),
  };
}
