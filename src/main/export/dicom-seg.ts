import { randomBytes } from 'node:crypto';
import dcmjs from 'dcmjs';
import type { Mask } from '../imaging/mask';
import { normaliseDicomValue } from './dicom-values';
import { COPIED, readSegSource } from './seg-source';

const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '2.25.163484751947325361184203557311432913411';

/** A DICOM UID under the 2.25 root from 128 random bits (PS3.5 B.2): unique without a registered root. */
export function newUid(): string {
  return `2.25.${BigInt('0x' + randomBytes(16).toString('hex')).toString()}`;
}

export interface SegSource {
  /** The source DICOM file's bytes: patient, study and frame of reference are copied from it. */
  bytes: Uint8Array;
  frameIndex: number; // 0-based; referenced as frame number frameIndex + 1 in multi-frame sources
}

/** A coded concept (PS3.3 8.8): code value, coding scheme and meaning. */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

export type SegAlgorithmType = 'MANUAL' | 'SEMIAUTOMATIC' | 'AUTOMATIC';

export interface SegOptions {
  label: string; // the structure's name, e.g. "Polyp", "Lesion"
  /** How the mask was made; `name` is the algorithm (required by DICOM unless MANUAL). */
  algorithm: { type: SegAlgorithmType; name?: string };
  description?: string;
  /** What the segment is (SNOMED CT): defaults to a morphologically abnormal structure, type mass. */
  category?: Code;
  type?: Code;
}

/** One segment of a SEG: a structure's mask on the source frame, its name and codes. */
export interface SegSegment {
  mask: Mask;
  label: string;
  category?: Code;
  type?: Code;
}

/** A binary project's default structure: any lesion the radiologist outlines. */
export const DEFAULT_CATEGORY: Code = { value: '49755003', scheme: 'SCT', meaning: 'Morphologically Abnormal Structure' };
export const DEFAULT_TYPE: Code = { value: '4147007', scheme: 'SCT', meaning: 'Mass' };

const coded = (c: Code): Dataset => ({ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning });

/** DICOM SEG packs binary frames 8 pixels a byte, first pixel in the least significant bit. */
export function packBits(mask: Mask): Uint8Array {
  return packFrames([mask]);
}

/** Several frames packed as one bit stream: a BINARY SEG's frames are not padded to whole bytes (PS3.5 8.1.1). */
function packFrames(masks: Mask[]): Uint8Array {
  const n = masks.reduce((sum, m) => sum + m.width * m.height, 0);
  const out = new Uint8Array(Math.ceil(n / 8));
  let bit = 0;
  for (const m of masks) {
    for (let i = 0; i < m.data.length; i++, bit++) if (m.data[i]) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

export function unpackBits(packed: Uint8Array, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  return { width, height, data };
}

type Dataset = Record<string, unknown>;

/** The source's attributes the SEG copies, each valid for its VR or absent (legacy values never fail the export). */
export function copiedSourceValues(src: Dataset): Dataset {
  const out: Dataset = {};
  for (const [keyword, , vr] of COPIED) {
    const v = normaliseDicomValue(vr, src[keyword]);
    if (v !== undefined) out[keyword] = v;
  }
  if (out.PatientSex !== undefined && !['M', 'F', 'O'].includes(out.PatientSex as string)) out.PatientSex = '';
  return out;
}

const lo = (s: string) => normaliseDicomValue('LO', s) as string;

/**
 * A binary DICOM Segmentation object (one segment, one frame) for a mask drawn on one source frame.
 * It joins the source's study, references its series and instance (and frame, for multi-frame
 * sources), and shares its frame of reference, so PACS viewers show it on top of the source.
 */
export function buildDicomSeg(source: SegSource, mask: Mask, opts: SegOptions): Uint8Array {
  return buildDicomSegSegments(source, [{ mask, label: opts.label, category: opts.category, type: opts.type }], opts);
}

/** As buildDicomSeg, with one segment (and one frame) per structure, each with its label and codes. */
export function buildDicomSegSegments(source: SegSource, segments: SegSegment[], opts: SegOptions): Uint8Array {
  if (segments.length === 0) throw new Error('a DICOM SEG needs at least one segment');
  const header = readSegSource(source.bytes);
  const { rows, columns } = header;
  for (const { mask } of segments) {
    if (rows !== mask.height || columns !== mask.width) {
      throw new Error(`mask is ${mask.width}×${mask.height} but the source DICOM frame is ${columns}×${rows}`);
    }
  }
  const src = copiedSourceValues(header.values);
  if (!src.SOPInstanceUID || !src.SeriesInstanceUID) throw new Error('the source has no usable SOP instance or series UID for a SEG to reference');
  const sopInstanceUid = newUid();
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  const multiFrame = header.frames > 1;
  const sourceRef: Dataset = {
    ReferencedSOPClassUID: src.SOPClassUID ?? '',
    ReferencedSOPInstanceUID: src.SOPInstanceUID,
    ...(multiFrame ? { ReferencedFrameNumber: source.frameIndex + 1 } : {}),
  };
  const pixelSpacing = src.PixelSpacing ?? src.ImagerPixelSpacing;
  const label = lo(opts.label) || 'Segmentation';

  const seg: Dataset = {
    SpecificCharacterSet: 'ISO_IR 192', // dcmjs writes every string as UTF-8
    SOPClassUID: SEG_SOP_CLASS,
    SOPInstanceUID: sopInstanceUid,
    Modality: 'SEG',
    SeriesInstanceUID: newUid(),
    SeriesNumber: 9001,
    SeriesDescription: lo(`Apprentice ${label}`),
    InstanceNumber: 1,
    StudyInstanceUID: src.StudyInstanceUID ?? newUid(),
    StudyDate: src.StudyDate ?? '',
    StudyTime: src.StudyTime ?? '',
    StudyID: src.StudyID ?? '',
    AccessionNumber: src.AccessionNumber ?? '',
    ReferringPhysicianName: src.ReferringPhysicianName ?? '',
    PatientName: src.PatientName ?? '',
    PatientID: src.PatientID ?? '',
    PatientBirthDate: src.PatientBirthDate ?? '',
    PatientSex: src.PatientSex ?? '',
    FrameOfReferenceUID: src.FrameOfReferenceUID ?? newUid(),
    PositionReferenceIndicator: '',
    Manufacturer: 'Apprentice',
    ManufacturerModelName: 'Apprentice',
    DeviceSerialNumber: '0',
    SoftwareVersions: '0.1.0',
    ContentDate: date,
    ContentTime: time,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    ContentLabel: label.toUpperCase().replace(/[^A-Z0-9_ ]/g, '').slice(0, 16).trim() || 'SEGMENTATION',
    ContentDescription: lo(opts.description ?? ''),
    ContentCreatorName: '',
    ImageType: ['DERIVED', 'PRIMARY'],
    SegmentationType: 'BINARY',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    NumberOfFrames: segments.length,
    ReferencedSeriesSequence: [{ SeriesInstanceUID: src.SeriesInstanceUID, ReferencedInstanceSequence: [sourceRef] }],
    SegmentSequence: segments.map((seg, k) => ({
      SegmentNumber: k + 1,
      SegmentLabel: lo(seg.label) || label,
      SegmentAlgorithmType: opts.algorithm.type,
      ...(opts.algorithm.type !== 'MANUAL' ? { SegmentAlgorithmName: lo(opts.algorithm.name ?? '') || 'Apprentice' } : {}),
      SegmentedPropertyCategoryCodeSequence: [coded(seg.category ?? DEFAULT_CATEGORY)],
      SegmentedPropertyTypeCodeSequence: [coded(seg.type ?? DEFAULT_TYPE)],
    })),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: newUid() }],
    SharedFunctionalGroupsSequence: [
      {
        ...(pixelSpacing ? { PixelMeasuresSequence: [{ PixelSpacing: pixelSpacing, SliceThickness: src.SliceThickness ?? '1' }] } : {}),
        ...(src.ImageOrientationPatient ? { PlaneOrientationSequence: [{ ImageOrientationPatient: src.ImageOrientationPatient }] } : {}),
      },
    ],
    PerFrameFunctionalGroupsSequence: segments.map((_, k) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [
            {
              ...sourceRef,
              PurposeOfReferenceCodeSequence: [
                { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' },
              ],
            },
          ],
          DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
        },
      ],
      FrameContentSequence: [{ DimensionIndexValues: [k + 1] }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: k + 1 }],
      ...(src.ImagePositionPatient ? { PlanePositionSequence: [{ ImagePositionPatient: src.ImagePositionPatient }] } : {}),
    })),
    PixelData: packFrames(segments.map((s) => s.mask)).buffer,
    _vrMap: { PixelData: 'OB' },
  };

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEG_SOP_CLASS,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'APPRENTICE_0_1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(seg);
  return new Uint8Array(dict.write());
}
