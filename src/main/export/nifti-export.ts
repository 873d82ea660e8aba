import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LabelMap } from '../imaging/mask';
import { inflateNifti, readNiftiHeader, type NiftiHeader } from '../imaging/nifti';
import { placeSlice, SLICE_AXES, voxelAxisFor, type SliceAxis } from '../imaging/nifti-slices';
import { writeFileAtomic } from '../util/atomic-write';
import { describe } from '../util/errors';

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

/** The image row fields a volume export reads. */
export interface NiftiSliceRecord {
  id: number;
  sha256: string;
  frame_index: number;
  source_path: string;
  series_uid: string | null;
  format: string;
}

/** Where one image's mask went: the volume file, or why none was written. */
export interface VolumeFileOutcome {
  imageId: number;
  version: number | null;
  file: string | null;
  error: string | null;
}

/**
 * Collects the masks of an export slice by slice and writes one label volume per NIfTI source (and
 * axis) at the end: a slice without a mask is background. Masks of 4D sources land on the 3D grid.
 */
export class NiftiVolumeExport {
  private readonly volumes = new Map<
    string,
    { first: NiftiSliceRecord; tag: string; slices: { rec: NiftiSliceRecord; map: LabelMap; version: number | null }[] }
  >();

  constructor(
    private readonly sourceHeader: (rec: NiftiSliceRecord) => NiftiHeader,
    private readonly outDir: string,
  ) {}

  /** `tag` names what the masks are (mask, pl-v3, fast…): one volume per source, axis and tag. */
  add(rec: NiftiSliceRecord, map: LabelMap, tag: string, version: number | null = null): void {
    if (rec.format !== 'nifti') throw new Error(`image ${rec.id} (${rec.source_path}) is not a NIfTI slice: a NIfTI label volume needs a NIfTI source; export it as PNG`);
    const key = `${rec.sha256}\u0000${axisOf(rec)}\u0000${tag}`;
    const entry = this.volumes.get(key) ?? { first: rec, tag, slices: [] };
    entry.slices.push({ rec, map, version });
    this.volumes.set(key, entry);
  }

  /** Writes every volume; each image is listed with its volume's file or the volume's error. */
  write(): VolumeFileOutcome[] {
    const out: VolumeFileOutcome[] = [];
    mkdirSync(resolve(this.outDir), { recursive: true });
    for (const { first, tag, slices } of this.volumes.values()) {
      try {
        const header = this.sourceHeader(first);
        const axis = axisOf(first);
        const labels = new Uint8Array(header.dims[0]! * header.dims[1]! * header.dims[2]!);
        const perVolume = header.dims[voxelAxisFor(header.affine, axis)]!;
        for (const { rec, map } of slices) placeSlice(header.dims, voxelAxisFor(header.affine, axis), labels, rec.frame_index % perVolume, map.data);
        const name = basename(first.source_path).replace(/\.nii(\.gz)?$/i, '');
        const file = join(resolve(this.outDir), `${name}.${axis}.${tag}.nii.gz`);
        writeFileAtomic(file, niftiLabelVolume(header, labels));
        out.push(...slices.map(({ rec, version }) => ({ imageId: rec.id, version, file, error: null })));
      } catch (e) {
        out.push(...slices.map(({ rec, version }) => ({ imageId: rec.id, version, file: null, error: describe(e) })));
      }
    }
    this.volumes.clear();
    return out;
  }
}

/** The axis a slice was cut along, from the series key its import gave it (`nifti:<volume>:<axis>`). */
function axisOf(rec: NiftiSliceRecord): SliceAxis {
  const axis = rec.series_uid?.split(':').pop();
  return SLICE_AXES.includes(axis as SliceAxis) ? (axis as SliceAxis) : 'axial';
}

/** A NIfTI source's header, from the stored source file. */
export function niftiSourceHeader(bytes: Uint8Array): NiftiHeader {
  return readNiftiHeader(inflateNifti(bytes));
}
