import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNifti, readNiftiHeader } from '../../src/main/imaging/nifti';
import { sliceVolume } from '../../src/main/imaging/nifti-slices';
import { SHARED_DATA } from '../helpers/data';

// NiBabel's test volumes; the expected numbers were read from the raw headers with Python's struct.
const NIFTI = join(SHARED_DATA, 'nifti');
const file = (name: string) => readFileSync(join(NIFTI, name));

describe('NIfTI reader on NiBabel files', () => {
  it('reads a big-endian NIfTI-1 (anatomical.nii): dims, int16 voxels and the sform', () => {
    const { header, voxels } = readNifti(file('anatomical.nii'));
    expect(header).toMatchObject({ version: 1, littleEndian: false, dims: [33, 41, 25], datatype: 4, spacing: [2, 2, 2] });
    expect(header.affine).toEqual([[-2, 0, 0, 32], [0, 2, 0, -40], [0, 0, 2, -16], [0, 0, 0, 1]]);
    expect(voxels).toBeInstanceOf(Int16Array);
    expect(voxels.length).toBe(33 * 41 * 25);
    expect([voxels[500], voxels[501]]).toEqual([(23 << 8) | 21, (18 << 8) | 104]);
  });

  it('builds the same affine from the qform quaternion (qfac −1) when the sform is unset', () => {
    const bytes = new Uint8Array(file('anatomical.nii'));
    new DataView(bytes.buffer).setInt16(254, 0, false); // sform_code = 0
    const { affine, sformCode, qformCode } = readNiftiHeader(bytes);
    expect([sformCode, qformCode]).toEqual([0, 2]);
    const rounded = affine.map((row) => row.map((v) => Math.round(v * 1e6) / 1e6 || 0));
    expect(rounded).toEqual([[-2, 0, 0, 32], [0, 2, 0, -40], [0, 0, 2, -16], [0, 0, 0, 1]]);
  });

  it('reads a 4D NIfTI-1 with scl_slope and cal_min/cal_max (functional.nii) as 20 series of 3 axial slices', () => {
    const volume = readNifti(file('functional.nii'));
    expect(volume.header.dims).toEqual([17, 21, 3, 20]);
    expect(Array.from(volume.voxels.subarray(500, 505))).toEqual([8917, 6486, 8394, 6627, 9827]);
    const series = sliceVolume(volume);
    expect(series).toHaveLength(20);
    const first = series[0]!;
    expect(first.slices).toHaveLength(3);
    expect(first.rescaleSlope).toBeCloseTo(0.0754069686, 8);
    expect(first.rescaleIntercept).toBeCloseTo(3100.7617, 3);
    expect(first.windowCenter).toBeCloseTo((5571.6216 + 629.8262) / 2, 3);
    expect(first.pixelSpacing).toEqual([4, 4]);
    // RAS columns (−4,0,0) and (0,4,0) are LPS +x and −y.
    expect(first.orientation).toEqual([1, 0, 0, 0, -1, 0]);
    expect(first.slices.map((s) => s.position)).toEqual([[-32, 40, 0], [-32, 40, 8], [-32, 40, 16]]);
    const s0 = first.slices[0]!;
    expect([s0.width, s0.height, s0.dtype]).toEqual([17, 21, 'int16']);
    // Slice 1 of volume 1 holds voxel (i, j, k=1, t=1) at x = i, y = j.
    const v = volume.voxels;
    const at = (i: number, j: number, k: number, t: number) => v[i + 17 * (j + 21 * (k + 3 * t))];
    expect(series[1]!.slices[1]!.data[5 + 17 * 7]).toBe(at(5, 7, 1, 1));
    expect(series[1]!.slices[1]!.index).toBe(4);
  });

  it('reads NIfTI-2 (example_nifti2.nii.gz): 64-bit dims and a double sform', () => {
    const { header, voxels } = readNifti(file('example_nifti2.nii.gz'));
    expect(header).toMatchObject({ version: 2, dims: [32, 20, 12, 2], datatype: 4, voxOffset: 608, sformCode: 1 });
    expect(header.affine[0]![3]).toBeCloseTo(117.8551, 4);
    expect(header.affine[2]![2]).toBeCloseTo(2.171081781387329, 9);
    expect(voxels).toBeInstanceOf(Int16Array);
    expect(voxels.length).toBe(32 * 20 * 12 * 2);
  });

  it('cuts sagittal and coronal stacks along the voxel axis nearest R and A (standard.nii.gz)', () => {
    const volume = readNifti(file('standard.nii.gz'));
    expect(volume.header.dims).toEqual([4, 5, 7]);
    const [sagittal] = sliceVolume(volume, 'sagittal');
    expect(sagittal!.voxelAxis).toBe(0);
    expect(sagittal!.slices).toHaveLength(4);
    expect([sagittal!.slices[0]!.width, sagittal!.slices[0]!.height]).toEqual([5, 7]);
    expect(sagittal!.pixelSpacing).toEqual([2, 3]);
    const [coronal] = sliceVolume(volume, 'coronal');
    expect(coronal!.voxelAxis).toBe(1);
    expect([coronal!.slices[0]!.width, coronal!.slices[0]!.height]).toEqual([4, 7]);
    const at = (i: number, j: number, k: number) => volume.voxels[i + 4 * (j + 5 * k)];
    expect(sagittal!.slices[2]!.data[3 + 5 * 6]).toBe(at(2, 3, 6));
    expect(coronal!.slices[4]!.data[1 + 4 * 5]).toBe(at(1, 4, 5));
  });
});

describe('NIfTI bad input: a clear error, nothing half-read', () => {
  it('refuses a truncated .nii.gz', () => {
    const whole = file('example4d.nii.gz');
    expect(() => readNifti(whole.subarray(0, Math.floor(whole.length / 2)))).toThrow(/truncated/);
  });

  it('refuses a .nii whose voxels end before the header says', () => {
    const whole = file('functional.nii');
    expect(() => readNifti(whole.subarray(0, whole.length - 100))).toThrow(/truncated: the header claims 21420 voxels/);
  });

  it('refuses absurd dimensions from the header alone, before allocating', () => {
    const bytes = new Uint8Array(gunzipSync(file('standard.nii.gz')));
    const view = new DataView(bytes.buffer);
    for (const d of [1, 2, 3]) view.setInt16(40 + 2 * d, 30000, true);
    const t0 = performance.now();
    expect(() => readNifti(gzipSync(bytes))).toThrow(/volume too large to decode \(30000×30000×30000\).*above the limit/);
    expect(performance.now() - t0).toBeLessThan(200);
    view.setInt16(40, 9, true);
    expect(() => readNifti(bytes)).toThrow(/dim\[0\] is 9/);
    view.setInt16(40, 3, true);
    view.setInt16(42, -4, true);
    expect(() => readNifti(bytes)).toThrow(/dim\[1\] is -4/);
  });

  it('refuses a file that is not NIfTI and an RGB volume it cannot show as grey', () => {
    expect(() => readNifti(Buffer.alloc(400))).toThrow(/not a NIfTI-1 or NIfTI-2 file/);
    const bytes = new Uint8Array(gunzipSync(file('standard.nii.gz')));
    new DataView(bytes.buffer).setInt16(70, 128, true);
    expect(() => readNifti(bytes)).toThrow(/unsupported NIfTI datatype RGB24/);
  });
});
