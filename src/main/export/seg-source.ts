import type { DataSet } from 'dicom-parser';
import { parseDicomBytes } from '../imaging/dicom-parse';
import type { CopiedVr } from './dicom-values';

// The source attributes a SEG copies, read with the app's own DICOM parser — the one that imported
// the file — so every file the app shows can carry a SEG: files without a preamble, big-endian
// sequences and ISO 2022 character sets that dcmjs's reader refuses.

/** Keyword, tag and VR of each copied attribute. */
export const COPIED: readonly [keyword: string, tag: string, vr: CopiedVr][] = [
  ['SOPClassUID', 'x00080016', 'UI'],
  ['SOPInstanceUID', 'x00080018', 'UI'],
  ['StudyInstanceUID', 'x0020000d', 'UI'],
  ['SeriesInstanceUID', 'x0020000e', 'UI'],
  ['FrameOfReferenceUID', 'x00200052', 'UI'],
  ['StudyDate', 'x00080020', 'DA'],
  ['StudyTime', 'x00080030', 'TM'],
  ['StudyID', 'x00200010', 'SH'],
  ['AccessionNumber', 'x00080050', 'SH'],
  ['ReferringPhysicianName', 'x00080090', 'PN'],
  ['PatientName', 'x00100010', 'PN'],
  ['PatientID', 'x00100020', 'LO'],
  ['PatientBirthDate', 'x00100030', 'DA'],
  ['PatientSex', 'x00100040', 'CS'],
  ['PixelSpacing', 'x00280030', 'DS'],
  ['ImagerPixelSpacing', 'x00181164', 'DS'],
  ['SliceThickness', 'x00180050', 'DS'],
  ['ImageOrientationPatient', 'x00200037', 'DS'],
  ['ImagePositionPatient', 'x00200032', 'DS'],
];

/** Text VRs whose bytes follow the Specific Character Set; the others are ASCII by definition. */
const CHARSET_VRS = new Set<CopiedVr>(['PN', 'LO', 'SH', 'LT', 'ST']);

/** WHATWG encodings of the DICOM character sets (PS3.3 C.12.1.1.2), single-byte and ISO 2022 multi-byte. */
const ENCODINGS: Record<string, string> = {
  'ISO_IR 192': 'utf-8',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'windows-1254',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO 2022 IR 87': 'iso-2022-jp',
  'ISO 2022 IR 159': 'iso-2022-jp',
  'ISO 2022 IR 13': 'iso-2022-jp',
  'ISO 2022 IR 149': 'euc-kr',
  'ISO 2022 IR 58': 'gbk',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/**
 * Decodes a text value under the file's character set. ISO 2022 Korean and Chinese values switch
 * to their G1 set by an escape sequence and then use EUC bytes, so the escapes are dropped before
 * decoding; Japanese is ISO-2022-JP itself. An unknown set reads as Latin-1: never fatal.
 */
export function decodeDicomText(bytes: Uint8Array, charsets: string[]): string {
  const terms = charsets.map((c) => c.trim().replace(/^ISO 2022 IR (100|101|109|110|144|127|126|138|148|166|192)$/, 'ISO_IR $1'));
  const multiByte = terms.find((t) => /^ISO 2022 IR (87|159|149|58)$/.test(t) || t === 'GB18030' || t === 'GBK');
  const single = terms.find((t) => t && ENCODINGS[t] && t !== 'ISO 2022 IR 13');
  const name = multiByte ?? single ?? 'ISO_IR 100';
  let input = bytes;
  if (name === 'ISO 2022 IR 149' || name === 'ISO 2022 IR 58') {
    input = dropEscapes(bytes);
  }
  try {
    return new TextDecoder(ENCODINGS[name] ?? 'latin1').decode(input);
  } catch {
    return new TextDecoder('latin1').decode(input);
  }
}

/** ISO 2022 escape sequences: ESC, intermediate bytes 0x20–0x2F, one final byte. */
function dropEscapes(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x1b) {
      out.push(bytes[i]!);
      continue;
    }
    i++;
    while (i < bytes.length && bytes[i]! >= 0x20 && bytes[i]! <= 0x2f) i++;
  }
  return Uint8Array.from(out);
}

function elementBytes(ds: DataSet, tag: string): Uint8Array | null {
  const el = ds.elements[tag];
  if (!el || el.length === undefined || el.length <= 0 || el.length === 0xffffffff) return null;
  return ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
}

export interface SegSourceHeader {
  rows: number;
  columns: number;
  frames: number;
  /** Copied attributes as text (several values of a DS are an array), not yet normalised. */
  values: Record<string, unknown>;
}

/** Reads the source's size, frame count and the attributes a SEG copies from it. */
export function readSegSource(bytes: Uint8Array): SegSourceHeader {
  const { dataSet: ds } = parseDicomBytes(bytes, true);
  const charsets = (ds.string('x00080005') ?? '').split('\\');
  const values: Record<string, unknown> = {};
  for (const [keyword, tag, vr] of COPIED) {
    const raw = elementBytes(ds, tag);
    if (!raw) continue;
    const text = (CHARSET_VRS.has(vr) ? decodeDicomText(raw, charsets) : new TextDecoder('latin1').decode(raw)).replace(/[\0 ]+$/, '');
    if (!text) continue;
    values[keyword] = vr === 'DS' && text.includes('\\') ? text.split('\\') : text;
  }
  return {
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    frames: Number(ds.intString('x00280008') ?? 1) || 1,
    values,
  };
}
