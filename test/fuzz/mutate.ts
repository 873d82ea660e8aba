// Mutations of real image files for the import fuzz: generic byte damage plus changes that know
// each format's length and header fields, so mutants get past the signature checks and reach the
// decoders' deeper paths. Every mutation is a pure function of (bytes, random).

import { crc32 } from 'node:zlib';

export type Kind = 'png' | 'jpeg' | 'dicom';

export interface Seed {
  name: string;
  kind: Kind;
  bytes: Buffer;
}

export interface Mutant {
  bytes: Buffer;
  /** What was done, e.g. "png-ihdr-field+truncate", to tell reproducible failures apart. */
  how: string;
}

type Random = () => number;

const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!;

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff] as const;
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 2, 3, 8, 12, 16, 17, 32, 255, 256, 4096] as const;
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0x100000, 30000] as const;

function bitFlips(b: Buffer, r: Random): Buffer {
  const out = Buffer.from(b);
  for (let n = 1 + int(r, 16); n > 0; n--) out[int(r, out.length)]! ^= 1 << int(r, 8);
  return out;
}

function interestingBytes(b: Buffer, r: Random): Buffer {
  const out = Buffer.from(b);
  for (let n = 1 + int(r, 8); n > 0; n--) out[int(r, out.length)] = pick(r, INTERESTING_8);
  return out;
}

function truncate(b: Buffer, r: Random): Buffer {
  // Mostly near the end, where a cut leaves a plausible header and a short body.
  const at = r() < 0.5 ? b.length - 1 - int(r, Math.min(b.length - 1, 4096)) : 1 + int(r, b.length - 1);
  return Buffer.from(b.subarray(0, Math.max(1, at)));
}

function duplicateBlock(b: Buffer, r: Random): Buffer {
  const start = int(r, b.length);
  const len = 1 + int(r, Math.min(4096, b.length - start));
  const at = int(r, b.length);
  return Buffer.concat([b.subarray(0, at), b.subarray(start, start + len), b.subarray(at)]);
}

function deleteBlock(b: Buffer, r: Random): Buffer {
  const start = int(r, b.length);
  const len = 1 + int(r, Math.min(4096, b.length - start));
  return Buffer.concat([b.subarray(0, start), b.subarray(start + len)]);
}

// ---- PNG: chunks are length(4) type(4) data crc(4); pngjs checks CRCs, so some mutants fix them.


interface PngChunk {
  at: number;
  length: number;
  type: string;
}

function pngChunks(b: Buffer): PngChunk[] {
  const chunks: PngChunk[] = [];
  for (let at = 8; at + 12 <= b.length;) {
    const length = b.readUInt32BE(at);
    chunks.push({ at, length, type: b.toString('latin1', at + 4, at + 8) });
    if (length > b.length) break;
    at += 12 + length;
  }
  return chunks;
}

function fixCrc(b: Buffer, c: PngChunk): void {
  const end = c.at + 8 + c.length;
  if (end + 4 <= b.length) b.writeUInt32BE(crc32(b.subarray(c.at + 4, end)), end);
}

function pngChunkLength(b: Buffer, r: Random): Buffer {
  const chunks = pngChunks(b);
  if (chunks.length === 0) return bitFlips(b, r);
  const out = Buffer.from(b);
  const c = pick(r, chunks);
  const value = r() < 0.5 ? pick(r, INTERESTING_32) : Math.max(0, c.length + pick(r, [-4, -1, 1, 4, c.length]));
  out.writeUInt32BE(value >>> 0, c.at);
  return out;
}

function pngIhdrField(b: Buffer, r: Random): Buffer {
  const ihdr = pngChunks(b).find((c) => c.type === 'IHDR' && c.length === 13);
  if (!ihdr) return bitFlips(b, r);
  const out = Buffer.from(b);
  const data = ihdr.at + 8;
  const field = int(r, 7);
  if (field < 2) out.writeUInt32BE(pick(r, INTERESTING_32) >>> 0 || 1 + int(r, 70000), data + field * 4);
  else out[data + 6 + field] = r() < 0.5 ? pick(r, INTERESTING_8) : pick(r, [0, 1, 2, 3, 4, 6, 8, 16]);
  if (r() < 0.8) fixCrc(out, ihdr);
  return out;
}

function pngChunkData(b: Buffer, r: Random): Buffer {
  const chunks = pngChunks(b).filter((c) => c.length > 0 && c.at + 12 + c.length <= b.length);
  if (chunks.length === 0) return bitFlips(b, r);
  const out = Buffer.from(b);
  const c = pick(r, chunks);
  for (let n = 1 + int(r, 8); n > 0; n--) out[c.at + 8 + int(r, c.length)]! ^= 1 << int(r, 8);
  fixCrc(out, c); // past the CRC check, into inflate and the filters
  return out;
}

// ---- JPEG: segments are FF xx length(2, big endian, includes itself) data.

function jpegSegments(b: Buffer): { at: number; marker: number }[] {
  const found: { at: number; marker: number }[] = [];
  for (let at = 2; at + 4 <= b.length;) {
    if (b[at] !== 0xff) break;
    const marker = b[at + 1]!;
    found.push({ at, marker });
    if (marker === 0xda) break; // entropy-coded data follows the scan header
    at += 2 + b.readUInt16BE(at + 2);
  }
  return found;
}

function jpegSegmentLength(b: Buffer, r: Random): Buffer {
  const segs = jpegSegments(b);
  if (segs.length === 0) return bitFlips(b, r);
  const out = Buffer.from(b);
  const s = pick(r, segs);
  out.writeUInt16BE(pick(r, INTERESTING_16), s.at + 2);
  return out;
}

function jpegFrameField(b: Buffer, r: Random): Buffer {
  const sof = jpegSegments(b).find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(s.marker));
  if (!sof) return bitFlips(b, r);
  const out = Buffer.from(b);
  const field = int(r, 5);
  if (field === 0)
    out[sof.at + 4] = pick(r, [0, 1, 8, 12, 16, 255]); // precision
  else if (field === 1)
    out.writeUInt16BE(pick(r, INTERESTING_16), sof.at + 5); // height
  else if (field === 2)
    out.writeUInt16BE(pick(r, INTERESTING_16), sof.at + 7); // width
  else if (field === 3)
    out[sof.at + 9] = pick(r, [0, 1, 2, 3, 4, 255]); // components
  else out[sof.at + 11] = pick(r, [0x00, 0x11, 0x22, 0x44, 0xff, 0x0f]); // sampling of component 1
  return out;
}

// ---- DICOM: an element is tag(4) then, explicit VR, VR(2) length(2) value or VR(2) 00 00 length(4);
// implicit VR, length(4). Either way a 16-bit US value of the image pixel module sits at +8.

const US_TAGS = [
  [0x0028, 0x0002], // samples per pixel
  [0x0028, 0x0006], // planar configuration
  [0x0028, 0x0010], // rows
  [0x0028, 0x0011], // columns
  [0x0028, 0x0100], // bits allocated
  [0x0028, 0x0101], // bits stored
  [0x0028, 0x0102], // high bit
  [0x0028, 0x0103], // pixel representation
] as const;
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

/** Where a tag's bytes occur after the preamble (the file meta group starts at 132). */
function findTag(b: Buffer, group: number, element: number): number[] {
  const needle = Buffer.alloc(4);
  needle.writeUInt16LE(group, 0);
  needle.writeUInt16LE(element, 2);
  const at: number[] = [];
  for (let i = b.indexOf(needle, 128); i >= 0 && at.length < 8; i = b.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function dicomPixelField(b: Buffer, r: Random): Buffer {
  const [group, element] = pick(r, US_TAGS);
  const places = findTag(b, group, element).filter((i) => i + 10 <= b.length);
  if (places.length === 0) return bitFlips(b, r);
  const out = Buffer.from(b);
  out.writeUInt16LE(pick(r, INTERESTING_16), pick(r, places) + 8);
  return out;
}

function dicomFrames(b: Buffer, r: Random): Buffer {
  const places = findTag(b, 0x0028, 0x0008).filter((i) => b.toString('latin1', i + 4, i + 6) === 'IS');
  const value = pick(r, ['0', '-1', '2', '1000', '100000', '99999999', 'x']);
  if (places.length === 0) return bitFlips(b, r);
  const i = pick(r, places);
  const old = b.readUInt16LE(i + 6);
  const text = Buffer.from(value.length % 2 ? `${value} ` : value, 'latin1');
  const head = Buffer.from(b.subarray(i, i + 8));
  head.writeUInt16LE(text.length, 6);
  return Buffer.concat([b.subarray(0, i), head, text, b.subarray(i + 8 + old)]);
}

function dicomElementLength(b: Buffer, r: Random): Buffer {
  const candidates: number[] = [];
  for (let i = 132; i + 12 <= b.length && candidates.length < 64; i += 2 + int(r, 64)) {
    const vr = b.toString('latin1', i + 4, i + 6);
    if (/^[A-Z]{2}$/.test(vr)) candidates.push(i);
  }
  const pixelData = findTag(b, 0x7fe0, 0x0010);
  const i = pixelData.length > 0 && r() < 0.4 ? pick(r, pixelData) : candidates.length > 0 ? pick(r, candidates) : -1;
  if (i < 0 || i + 12 > b.length) return bitFlips(b, r);
  const out = Buffer.from(b);
  const vr = out.toString('latin1', i + 4, i + 6);
  if (!/^[A-Z]{2}$/.test(vr))
    out.writeUInt32LE(pick(r, INTERESTING_32) >>> 0, i + 4); // implicit VR
  else if (LONG_VRS.has(vr)) out.writeUInt32LE(pick(r, INTERESTING_32) >>> 0, i + 8);
  else out.writeUInt16LE(pick(r, INTERESTING_16), i + 6);
  return out;
}

function dicomTransferSyntax(b: Buffer, r: Random): Buffer {
  const places = findTag(b, 0x0002, 0x0010).filter((i) => i + 8 <= b.length && b.toString('latin1', i + 4, i + 6) === 'UI');
  if (places.length === 0) return bitFlips(b, r);
  const i = places[0]!;
  const len = b.readUInt16LE(i + 6);
  const syntaxes = [
    '1.2.840.10008.1.2',
    '1.2.840.10008.1.2.1',
    '1.2.840.10008.1.2.2',
    '1.2.840.10008.1.2.5',
    '1.2.840.10008.1.2.4.50',
    '1.2.840.10008.1.2.4.57',
    '1.2.840.10008.1.2.4.80',
    '1.2.840.10008.1.2.4.90',
    '1.2.840.10008.1.2.1.99',
  ];
  const uid = pick(r, syntaxes);
  const text = Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
  const head = Buffer.from(b.subarray(i, i + 8));
  head.writeUInt16LE(text.length, 6);
  return Buffer.concat([b.subarray(0, i), head, text, b.subarray(i + 8 + len)]);
}

const GENERIC = { bitFlips, interestingBytes, truncate, duplicateBlock, deleteBlock } as const;
const BY_KIND: Record<Kind, Record<string, (b: Buffer, r: Random) => Buffer>> = {
  png: { pngChunkLength, pngIhdrField, pngChunkData },
  jpeg: { jpegSegmentLength, jpegFrameField },
  dicom: { dicomPixelField, dicomFrames, dicomElementLength, dicomTransferSyntax },
};

function splice(a: Buffer, other: Buffer, r: Random): Buffer {
  const cut = 1 + int(r, a.length - 1);
  const from = int(r, other.length);
  return Buffer.concat([a.subarray(0, cut), other.subarray(from)]);
}

/** One to three mutations of a seed; format-aware ones half the time, a splice with another seed now and then. */
export function mutate(seed: Seed, seeds: readonly Seed[], r: Random): Mutant {
  let bytes = seed.bytes;
  const steps: string[] = [];
  for (let n = 1 + int(r, 3); n > 0 && bytes.length > 1; n--) {
    const roll = r();
    if (roll < 0.1) {
      const other = pick(r, seeds);
      bytes = splice(bytes, other.bytes, r);
      steps.push(`splice-${other.kind}`);
    } else {
      const table = roll < 0.55 ? BY_KIND[seed.kind] : GENERIC;
      const name = pick(r, Object.keys(table));
      bytes = table[name as keyof typeof table]!(bytes, r);
      steps.push(name);
    }
  }
  return { bytes, how: steps.join('+') };
}
