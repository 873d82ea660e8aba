import { gunzipSync } from 'node:zlib';
import { checkFrames, checkImageSize, decodeLimits, type DecodeLimits } from './decode-limits';

/**
 * NIfTI-1 and NIfTI-2 single-file volumes (`.nii`, `.nii.gz`): header, voxel values and the
 * voxel → patient affine, as the NIfTI standard defines them (nifti1.h, nifti2.h). Nothing here
 * interprets the volume as slices; nifti-slices.ts does.
 */

export class NiftiError extends Error {}

/** Voxel values kept as stored; the slope and intercept give the real values (scl_slope/scl_inter). */
export type NiftiVoxels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[1..dim[0]]: at least three entries, missing ones are 1. */
  dims: number[];
  /** Voxel size in mm along i, j, k (pixdim[1..3] in the header's spatial unit, converted). */
  spacing: [number, number, number];
  datatype: number;
  bitpix: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  calMin: number;
  calMax: number;
  qformCode: number;
  sformCode: number;
  /** Row-major 4×4 voxel (i, j, k) → RAS+ millimetres: sform when set, else qform, else pixdim. */
  affine: number[][];
  description: string;
  /** The header's own bytes, for writing a volume back in the same geometry. */
  raw: Uint8Array;
}

export interface NiftiVolume {
  header: NiftiHeader;
  voxels: NiftiVoxels;
}

/** datatype code → how its voxels are read; 64-bit kinds are narrowed to float32 (what the app stores). */
const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
  1024: { name: 'int64', bytes: 8 },
  1280: { name: 'uint64', bytes: 8 },
};

const UNSUPPORTED_TYPES: Record<number, string> = {
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** A NIfTI file by its name (`.nii`, `.nii.gz`) or, for a `.nii` under another name, by its header. */
export function isNiftiFile(name: string, bytes: Uint8Array): boolean {
  return /\.nii(\.gz)?$/i.test(name) || niftiVersion(bytes) !== null;
}

function niftiVersion(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean } | null {
  if (bytes.length < 348) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    const magic = (at: number, n: number) => String.fromCharCode(...bytes.subarray(at, at + n));
    if (size === 348 && /^n\+1\0|^ni1\0/.test(magic(344, 4))) return { version: 1, littleEndian };
    if (size === 540 && bytes.length >= 540 && /^n\+2\0|^ni2\0/.test(magic(4, 4))) return { version: 2, littleEndian };
  }
  return null;
}

/**
 * Inflates a `.nii.gz` with an output bound, so a small file cannot claim gigabytes; a truncated
 * stream is an error, not a shorter volume.
 */
export function inflateNifti(bytes: Uint8Array, limits: DecodeLimits = decodeLimits()): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const bound = limits.maxDecodedBytes + 16 * 2 ** 20; // header and extensions ride on top of the voxels
  try {
    return gunzipSync(bytes, { maxOutputLength: bound });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger|buffer.*too large/i.test(String(e))) {
      throw new NiftiError(`the gzip stream inflates beyond ${Math.round(bound / 2 ** 20)} MiB (APPRENTICE_MAX_DECODED_BYTES)`);
    }
    if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(String(e))) {
      throw new NiftiError('the .nii.gz is truncated: its gzip stream ends early');
    }
    throw new NiftiError(`cannot inflate the .nii.gz: ${(e as Error).message}`);
  }
}

const UNIT_TO_MM: Record<number, number> = { 0: 1, 1: 1000, 2: 1, 3: 0.001 };

export function readNiftiHeader(bytes: Uint8Array): NiftiHeader {
  const kind = niftiVersion(bytes);
  if (!kind) throw new NiftiError('not a NIfTI-1 or NIfTI-2 file (no 348/540-byte header with its magic)');
  const { version, littleEndian: le } = kind;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(version === 1 ? 344 : 4, version === 1 ? 347 : 7));
  if (magic.startsWith('ni')) {
    throw new NiftiError('a NIfTI header without its image (.hdr/.img pair): convert it to a single .nii or .nii.gz');
  }
  const n1 = version === 1;
  const int = (at: number) => (n1 ? v.getInt16(at, le) : Number(v.getBigInt64(at, le)));
  const real = (at: number) => (n1 ? v.getFloat32(at, le) : v.getFloat64(at, le));
  const at = n1
    ? { dim: 40, dimStep: 2, datatype: 70, bitpix: 72, pixdim: 76, pixStep: 4, vox: 108, slope: 112, inter: 116, calMax: 124, calMin: 128, descrip: 148, qcode: 252, scode: 254, quat: 256, srow: 280, units: 123 }
    : { dim: 16, dimStep: 8, datatype: 12, bitpix: 14, pixdim: 104, pixStep: 8, vox: 168, slope: 176, inter: 184, calMax: 192, calMin: 200, descrip: 240, qcode: 344, scode: 348, quat: 352, srow: 400, units: 500 };

  const rank = int(at.dim);
  if (!(rank >= 1 && rank <= 7)) throw new NiftiError(`invalid header: dim[0] is ${rank} (must be 1…7)`);
  const dims: number[] = [];
  for (let d = 1; d <= Math.max(3, rank); d++) {
    const n = d <= rank ? int(at.dim + d * at.dimStep) : 1;
    if (!Number.isSafeInteger(n) || n < 1) throw new NiftiError(`invalid header: dim[${d}] is ${n}`);
    dims.push(n);
  }
  const pixdim = Array.from({ length: 8 }, (_, d) => real(at.pixdim + d * at.pixStep));
  const units = n1 ? v.getUint8(at.units) : v.getInt32(at.units, le);
  const toMm = UNIT_TO_MM[units & 7] ?? 1;
  const spacing = [1, 2, 3].map((d) => (Number.isFinite(pixdim[d]!) && pixdim[d]! > 0 ? pixdim[d]! * toMm : 1)) as [number, number, number];
  const datatype = n1 ? v.getInt16(at.datatype, le) : v.getInt16(at.datatype, le);
  const slope = real(at.slope);
  const qformCode = n1 ? v.getInt16(at.qcode, le) : v.getInt32(at.qcode, le);
  const sformCode = n1 ? v.getInt16(at.scode, le) : v.getInt32(at.scode, le);
  const header: NiftiHeader = {
    version,
    littleEndian: le,
    dims,
    spacing,
    datatype,
    bitpix: v.getInt16(at.bitpix, le),
    voxOffset: Math.floor(n1 ? v.getFloat32(at.vox, le) : Number(v.getBigInt64(at.vox, le))),
    // A slope of 0 (or not a number) means "no scaling", per nifti1.h.
    sclSlope: Number.isFinite(slope) && slope !== 0 ? slope : 1,
    sclInter: Number.isFinite(slope) && slope !== 0 && Number.isFinite(real(at.inter)) ? real(at.inter) : 0,
    calMin: real(at.calMin),
    calMax: real(at.calMax),
    qformCode,
    sformCode,
    affine: [],
    description: new TextDecoder('latin1').decode(bytes.subarray(at.descrip, at.descrip + 80)).replace(/\0.*$/s, '').trim(),
    raw: bytes.slice(0, n1 ? 348 : 540),
  };
  const vec = (base: number) => [0, 1, 2, 3].map((i) => real(base + i * at.pixStep) * toMm);
  if (sformCode > 0) {
    const step = 4 * at.pixStep;
    header.affine = [vec(at.srow), vec(at.srow + step), vec(at.srow + 2 * step), [0, 0, 0, 1]];
  } else if (qformCode > 0) {
    const q = [0, 1, 2, 3, 4, 5].map((i) => real(at.quat + i * at.pixStep));
    header.affine = quaternionAffine(q as [number, number, number, number, number, number], spacing, pixdim[0]!, toMm);
  } else {
    // Method 1 of nifti1.h (ANALYZE 7.5 compatibility): scaling only.
    header.affine = [[spacing[0], 0, 0, 0], [0, spacing[1], 0, 0], [0, 0, spacing[2], 0], [0, 0, 0, 1]];
  }
  return header;
}

/** qform (method 2 of nifti1.h): rotation from the quaternion (b, c, d), qfac from pixdim[0]. */
function quaternionAffine(
  [b, c, d, qx, qy, qz]: [number, number, number, number, number, number],
  spacing: [number, number, number],
  qfacRaw: number,
  toMm: number,
): number[][] {
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const qfac = qfacRaw < 0 ? -1 : 1;
  const scale = [spacing[0], spacing[1], spacing[2] * qfac];
  const offset = [qx * toMm, qy * toMm, qz * toMm];
  return [0, 1, 2].map((row) => [...[0, 1, 2].map((col) => r[row]![col]! * scale[col]!), offset[row]!]).concat([[0, 0, 0, 1]]);
}

/** Voxels claimed by the header, checked against the limits before anything is allocated. */
export function checkNiftiSize(header: NiftiHeader, limits: DecodeLimits = decodeLimits()): void {
  const type = DATATYPES[header.datatype];
  if (!type) {
    const name = UNSUPPORTED_TYPES[header.datatype];
    throw new NiftiError(name ? `unsupported NIfTI datatype ${name}: only grey volumes are imported` : `unknown NIfTI datatype ${header.datatype}`);
  }
  const [nx, ny, nz] = header.dims as [number, number, number];
  const extra = header.dims.slice(3).reduce((p, n) => p * n, 1);
  try {
    checkImageSize('slice', nx, ny, type.bytes, limits);
    checkFrames(nz * extra, nx * ny * type.bytes, limits);
  } catch (e) {
    throw new NiftiError(`volume too large to decode (${header.dims.join('×')}): ${(e as Error).message}`);
  }
}

/** The whole file: header, then the voxels it claims, refused when the file holds fewer. */
export function readNifti(bytes: Uint8Array, limits: DecodeLimits = decodeLimits()): NiftiVolume {
  const data = inflateNifti(bytes, limits);
  const header = readNiftiHeader(data);
  checkNiftiSize(header, limits);
  const type = DATATYPES[header.datatype]!;
  const count = header.dims.reduce((p, n) => p * n, 1);
  const start = header.voxOffset;
  const end = start + count * type.bytes;
  if (start < header.raw.length || end > data.length) {
    throw new NiftiError(`the file is truncated: the header claims ${count} voxels (${header.dims.join('×')}) from byte ${start}, the file has ${data.length} bytes`);
  }
  return { header, voxels: readVoxels(data.subarray(start, end), type.name, count, header.littleEndian) };
}

function readVoxels(bytes: Uint8Array, kind: string, count: number, le: boolean): NiftiVoxels {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fill = <T extends NiftiVoxels>(out: T, size: number, get: (at: number) => number): T => {
    for (let i = 0; i < count; i++) out[i] = get(i * size);
    return out;
  };
  switch (kind) {
    case 'uint8':
      return bytes.slice();
    case 'int8':
      return new Int8Array(bytes.slice().buffer);
    case 'int16':
      return fill(new Int16Array(count), 2, (at) => v.getInt16(at, le));
    case 'uint16':
      return fill(new Uint16Array(count), 2, (at) => v.getUint16(at, le));
    case 'int32':
      return fill(new Int32Array(count), 4, (at) => v.getInt32(at, le));
    case 'uint32':
      return fill(new Uint32Array(count), 4, (at) => v.getUint32(at, le));
    case 'float32':
      return fill(new Float32Array(count), 4, (at) => v.getFloat32(at, le));
    case 'float64':
      return fill(new Float32Array(count), 8, (at) => v.getFloat64(at, le));
    case 'int64':
      return fill(new Float32Array(count), 8, (at) => Number(v.getBigInt64(at, le)));
    default:
      return fill(new Float32Array(count), 8, (at) => Number(v.getBigUint64(at, le)));
  }
}
