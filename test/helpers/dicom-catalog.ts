import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DICOM_DIR } from './data';

// The catalogue of real DICOM files (../shared/data/dicom/dicom_files.csv), one row per file.

export type Row = Record<string, string>;

export function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field || record.length) records.push([...record, field]);
  const [header, ...body] = records;
  return body.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i] ?? ''])));
}

export const rows = parseCsv(readFileSync(join(DICOM_DIR, 'dicom_files.csv'), 'utf8'));
export const pathOf = (row: Row) => join(DICOM_DIR, row.suite!, row.file!);
export const read = (relative: string) => new Uint8Array(readFileSync(join(DICOM_DIR, relative)));

/**
 * Which files must decode: Pixel Data present, GDCM decoded it (gdcmconv_raw=ok), and the notes do
 * not say the pixel data itself is broken. GH1146 is "ok" for GDCM only because gdcmconv copies
 * its empty Pixel Data element; its note says so, so it belongs with the files that must fail
 * cleanly. Other notes (no preamble, meta elements inside the data set, an overlay outside the
 * image) describe header oddities the decoder has to cope with, so those files must decode.
 */
export const pixelsBrokenOnPurpose = (row: Row) => /empty|0 bytes|truncat|corrupt/i.test(row.notes ?? '');
export const mustDecode = (row: Row) => row.has_pixel_data === 'yes' && row.gdcmconv_raw === 'ok' && !pixelsBrokenOnPurpose(row);
