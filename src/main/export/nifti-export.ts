import { gzipSync } from 'node:zlib';
import type { NiftiHeader } from '../imaging/nifti';

/**
 * A label volume in its source's geometry: the source header copied (affine, qform/sform, pixdim,
 * units, endianness, NIfTI-1 or -2), made a 3D uint8 label volume (intent NIFTI_INTENT_LABEL), so
 * it overlays the source volume in any NIfTI viewer and reads back as the same grid.
 */

const NIFTI_INTENT_LABEL = 1002;
const DT_UINT8 = 2;

export function niftiLabelVolume(source: NiftiHeader, labels: Uint8Array, opts: { gzip?: boolean } = {}): Uint8Array {
  const [nx, ny, nz] = source.dims as [number, number, number];
  if (labels.length !== nx * ny * nz) throw new Error(`a label volume of ${nx}×${ny}×${nz} needs ${nx * ny * nz} voxels, got ${labels.length}`);
  const n1 = source.version === 1;
  const headerBytes = n1 ? 348 : 540;
  // Header, then 4 bytes of "no extensions", then the voxels.
  const voxOffset = headerBytes + 4;
  const out = new Uint8Array(voxOffset + labels.length);
  out.set(source.raw.subarray(0, headerBytes));
  const v = new DataView(out.buffer);
  const le = source.littleEndian;
  let max = 0;
  for (const l of labels) if (l > max) max = l;
  if (n1) {
    v.setInt16(40, 3, le);
    [nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => v.setInt16(42 + 2 * i, d, le));
    v.setInt16(68, NIFTI_INTENT_LABEL, le);
    v.setInt16(70, DT_UINT8, le);
    v.setInt16(72, 8, le);
    v.setFloat32(108, voxOffset, le);
    v.setFloat32(112, 1, le);
    v.setFloat32(116, 0, le);
    v.setFloat32(124, max, le);
    v.setFloat32(128, 0, le);
    out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1": header and voxels in one file
  } else {
    v.setBigInt64(16, 3n, le);
    [nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => v.setBigInt64(24 + 8 * i, BigInt(d), le));
    v.setInt16(12, DT_UINT8, le);
    v.setInt16(14, 8, le);
    v.setBigInt64(168, BigInt(voxOffset), le);
    v.setFloat64(176, 1, le);
    v.setFloat64(184, 0, le);
    v.setFloat64(192, max, le);
    v.setFloat64(200, 0, le);
    v.setInt32(504, NIFTI_INTENT_LABEL, le);
    out.set([0x6e, 0x2b, 0x32, 0], 4);
  }
  out.set(labels, voxOffset);
  return opts.gzip === false ? out : new Uint8Array(gzipSync(out));
}
