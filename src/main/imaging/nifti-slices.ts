import type { PixelDType } from '../../shared/pixels';
import type { DicomFrame } from './dicom-types';
import type { NiftiHeader, NiftiVolume, NiftiVoxels } from './nifti';

/**
 * A NIfTI volume as the app keeps images: a series of 2D grey slices with stored values plus
 * rescale (so the Viewer's window/level and HU readout work as on DICOM), each placed in the DICOM
 * patient frame (LPS) so the series browser orders them and geometry survives. Voxels are not
 * reoriented: slice pixel (x, y) is voxel (u = x, w = y) of the volume, which is what lets a label
 * volume be written back in the source geometry by copying its header.
 */

export type SliceAxis = 'axial' | 'coronal' | 'sagittal';

export const SLICE_AXES: readonly SliceAxis[] = ['axial', 'coronal', 'sagittal'];

export interface NiftiSlice extends DicomFrame {
  /** Pixel (0, 0) in the DICOM patient frame (LPS, mm): ImagePositionPatient's meaning. */
  position: [number, number, number];
}

export interface NiftiSeries {
  /** Which 3D volume of a 4D file (0 for a 3D one). */
  volume: number;
  axis: SliceAxis;
  /** The voxel axis (0 = i, 1 = j, 2 = k) the slices step along. */
  voxelAxis: 0 | 1 | 2;
  /** ImageOrientationPatient's meaning: row then column direction cosines, LPS. */
  orientation: [number, number, number, number, number, number];
  /** [between rows, between columns] in mm, PixelSpacing's order. */
  pixelSpacing: [number, number];
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number | null;
  windowWidth: number | null;
  slices: NiftiSlice[];
}

const DTYPE_OF: [new (n: number) => NiftiVoxels, PixelDType][] = [
  [Uint8Array, 'uint8'],
  [Int8Array, 'int8'],
  [Uint16Array, 'uint16'],
  [Int16Array, 'int16'],
  [Uint32Array, 'uint32'],
  [Int32Array, 'int32'],
  [Float32Array, 'float32'],
];

export function dtypeOf(voxels: NiftiVoxels): PixelDType {
  return DTYPE_OF.find(([ctor]) => voxels instanceof ctor)![1];
}

/** The voxel axis closest to a patient axis (R for sagittal, A for coronal, S for axial). */
export function voxelAxisFor(affine: number[][], axis: SliceAxis): 0 | 1 | 2 {
  const patient = axis === 'sagittal' ? 0 : axis === 'coronal' ? 1 : 2;
  let best: 0 | 1 | 2 = 2;
  let bestCos = -1;
  for (const c of [0, 1, 2] as const) {
    const dir = [0, 1, 2].map((r) => affine[r]![c]!);
    const cos = Math.abs(dir[patient]!) / (Math.hypot(...dir) || 1);
    if (cos > bestCos + 1e-9) [best, bestCos] = [c, cos];
  }
  return best;
}

/** The in-plane voxel axes of slices stepping along `c`: width first, both in increasing order. */
export function planeAxes(c: 0 | 1 | 2): [0 | 1 | 2, 0 | 1 | 2] {
  return c === 0 ? [1, 2] : c === 1 ? [0, 2] : [0, 1];
}

function column(affine: number[][], c: number): [number, number, number] {
  return [affine[0]![c]!, affine[1]![c]!, affine[2]![c]!];
}

/** RAS (NIfTI) → LPS (DICOM): x and y change sign. */
function toLps([x, y, z]: [number, number, number]): [number, number, number] {
  return [-x || 0, -y || 0, z];
}

function unit(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(...v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Voxel (i, j, k) → patient RAS mm. */
function voxelToRas(affine: number[][], ijk: [number, number, number]): [number, number, number] {
  return [0, 1, 2].map((r) => affine[r]![0]! * ijk[0] + affine[r]![1]! * ijk[1] + affine[r]![2]! * ijk[2] + affine[r]![3]!) as [
    number,
    number,
    number,
  ];
}

/** Every 3D volume of the file cut into slices along `axis`, each volume its own series. */
export function sliceVolume(volume: NiftiVolume, axis: SliceAxis = 'axial'): NiftiSeries[] {
  const { header, voxels } = volume;
  const [nx, ny, nz] = header.dims as [number, number, number];
  const volumes = header.dims.slice(3).reduce((p, n) => p * n, 1);
  const c = voxelAxisFor(header.affine, axis);
  const [u, w] = planeAxes(c);
  const n = [nx, ny, nz];
  const stride = [1, nx, nx * ny];
  const width = n[u]!;
  const height = n[w]!;
  const count = n[c]!;
  const Ctor = voxels.constructor as new (n: number) => NiftiVoxels;
  const dtype = dtypeOf(voxels);
  const { windowCenter, windowWidth } = calibrationWindow(header);
  const out: NiftiSeries[] = [];
  for (let t = 0; t < volumes; t++) {
    const base = t * nx * ny * nz;
    const slices: NiftiSlice[] = [];
    for (let s = 0; s < count; s++) {
      const data = new Ctor(width * height);
      let min = Infinity;
      let max = -Infinity;
      for (let y = 0; y < height; y++) {
        const row = base + s * stride[c]! + y * stride[w]!;
        for (let x = 0; x < width; x++) {
          const value = voxels[row + x * stride[u]!]!;
          data[y * width + x] = value;
          if (value < min) min = value;
          if (value > max) max = value;
        }
      }
      const origin: [number, number, number] = [0, 0, 0];
      origin[c] = s;
      const index = t * count + s;
      slices.push({ index, width, height, samples: 1, dtype, data, min, max, position: toLps(voxelToRas(header.affine, origin)) });
    }
    const rowDir = unit(toLps(column(header.affine, u)));
    const colDir = unit(toLps(column(header.affine, w)));
    out.push({
      volume: t,
      axis,
      voxelAxis: c,
      orientation: [...rowDir, ...colDir],
      pixelSpacing: [Math.hypot(...column(header.affine, w)), Math.hypot(...column(header.affine, u))],
      rescaleSlope: header.sclSlope,
      rescaleIntercept: header.sclInter,
      windowCenter,
      windowWidth,
      slices,
    });
  }
  return out;
}

/** cal_min…cal_max, when the file sets it, is the display range it asks for (in real values). */
function calibrationWindow(header: NiftiHeader): { windowCenter: number | null; windowWidth: number | null } {
  const { calMin, calMax } = header;
  if (!Number.isFinite(calMin) || !Number.isFinite(calMax) || calMax <= calMin) return { windowCenter: null, windowWidth: null };
  return { windowCenter: (calMin + calMax) / 2, windowWidth: calMax - calMin };
}

/**
 * Writes a 2D slice's pixels back into a volume buffer laid out like the source (i fastest), the
 * inverse of sliceVolume for 3D volume `volume`; slice `index` counts as sliceVolume numbered it.
 */
export function placeSlice(
  dims: readonly number[],
  voxelAxis: 0 | 1 | 2,
  out: Uint8Array,
  index: number,
  pixels: Uint8Array,
): void {
  const [nx, ny, nz] = dims as [number, number, number];
  const n = [nx, ny, nz];
  const stride = [1, nx, nx * ny];
  const [u, w] = planeAxes(voxelAxis);
  const perVolume = n[voxelAxis]!;
  const volume = Math.floor(index / perVolume);
  const s = index % perVolume;
  const base = volume * nx * ny * nz + s * stride[voxelAxis]!;
  const width = n[u]!;
  const height = n[w]!;
  if (pixels.length !== width * height) throw new Error(`slice ${index + 1} has ${pixels.length} pixels, the volume's slices have ${width}×${height}`);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[base + y * stride[w]! + x * stride[u]!] = pixels[y * width + x]!;
}
