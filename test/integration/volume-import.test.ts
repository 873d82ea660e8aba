import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dcmjs from 'dcmjs';
import { exportMasks } from '../../src/main/export/export-masks';
import { niftiLabelVolume } from '../../src/main/export/nifti-export';
import { readNifti } from '../../src/main/imaging/nifti';
import { sliceVolume } from '../../src/main/imaging/nifti-slices';
import { imageRecord, listImages, loadModelRgb, viewerPixels } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { labelSchema } from '../../src/main/workspace/labels';
import { loadLabelMap } from '../../src/main/workspace/masks';
import { seriesTree } from '../../src/main/workspace/series';
import { MIGRATIONS } from '../../src/main/workspace/migrations';
import { Workspace } from '../../src/main/workspace/workspace';
import { SHARED_DATA, tempDir } from '../helpers/data';

const NIFTI = join(SHARED_DATA, 'nifti');
const SEG = join(SHARED_DATA, 'dicom-seg');

/** A label volume derived from an image by thresholding: 1 above `low`, 2 above `high` (values in stored units). */
function thresholdLabels(voxels: ArrayLike<number>, count: number, low: number, high: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = voxels[i]! > high ? 2 : voxels[i]! > low ? 1 : 0;
  return out;
}

describe('NIfTI import', () => {
  let root: string;
  const opened: Workspace[] = [];
  const fresh = (tag: string) => {
    const ws = Workspace.open(join(root, `ws-${tag}`), { create: true });
    opened.push(ws);
    return ws;
  };
  beforeAll(() => {
    root = tempDir('volume-import');
  });
  afterAll(() => opened.forEach((ws) => ws.close()));

  it('imports a 3D volume as one series of axial slices with stored values, rescale, spacing and positions', async () => {
    const ws = fresh('anatomical');
    const result = await importImages(ws, { paths: [join(NIFTI, 'anatomical.nii')] });
    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(25);
    const tree = seriesTree(ws);
    const series = tree.flatMap((p) => p.studies.flatMap((s) => s.series));
    expect(series).toHaveLength(1);
    expect(series[0]!.count).toBe(25);
    expect(series[0]!.modality).toBe('NIfTI');
    // Ordered along the normal: z of the LPS position grows by the 2 mm slice spacing.
    const positions = series[0]!.slicePositions as number[];
    expect(positions[1]! - positions[0]!).toBeCloseTo(2, 6);
    const first = imageRecord(ws, series[0]!.imageIds[0]!);
    expect(first).toMatchObject({ format: 'nifti', width: 33, height: 41, samples: 1, pixel_dtype: 'int16' });
    expect(JSON.parse(first.pixel_spacing!)).toEqual([2, 2]);
    const pixels = viewerPixels(ws, first.id);
    expect(pixels.kind).toBe('grey');
    expect(loadModelRgb(ws, first.id).data.length).toBe(33 * 41 * 3);
    // Re-import: recognised by its hash.
    const again = await importImages(ws, { paths: [join(NIFTI, 'anatomical.nii')] });
    expect(again).toMatchObject({ imported: 0, duplicates: 1 });
  });

  it('imports a 4D NIfTI-2 as one series per volume', async () => {
    const ws = fresh('nifti2');
    const result = await importImages(ws, { paths: [join(NIFTI, 'example_nifti2.nii.gz')] });
    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(12 * 2);
    const series = seriesTree(ws).flatMap((p) => p.studies.flatMap((s) => s.series));
    expect(series.map((s) => s.count)).toEqual([12, 12]);
  });

  it('pairs nnU-Net label volumes by name (case_0000.nii.gz ↔ case.nii.gz) into per-slice label maps', async () => {
    const images = join(root, 'imagesTr');
    const labels = join(root, 'labelsTr');
    mkdirSync(images);
    mkdirSync(labels);
    writeFileSync(join(images, 'anat_0000.nii.gz'), gzipSync(readFileSync(join(NIFTI, 'anatomical.nii'))));
    const volume = readNifti(readFileSync(join(NIFTI, 'anatomical.nii')));
    const count = 33 * 41 * 25;
    const truth = thresholdLabels(volume.voxels, count, 3000, 6000);
    writeFileSync(join(labels, 'anat.nii.gz'), niftiLabelVolume(volume.header, truth));

    // Value 2 is outside a new workspace's schema: that file's error, the image still imports unlabeled.
    const strict = fresh('nnunet-strict');
    const refused = await importImages(strict, { paths: [images], masks: labels });
    expect(refused.imported).toBe(25);
    expect(refused.masks).toBe(0);
    expect(refused.failed.some((f) => /anat\.nii\.gz slice \d+/.test(f.file) && /2/.test(f.error))).toBe(true);

    const ws = fresh('nnunet');
    const result = await importImages(ws, { paths: [images], masks: labels, newStructures: true });
    expect(result.imported).toBe(25);
    expect(result.newStructures?.map((s) => s.value)).toEqual([2]);
    const axial = sliceVolume({ header: volume.header, voxels: truth }, 'axial')[0]!;
    const slicesWithLabels = axial.slices.filter((s) => s.max > 0).length;
    expect(result.masks).toBe(slicesWithLabels + axial.slices.filter((s) => s.max === 0).length);
    const ids = seriesTree(ws)[0]!.studies[0]!.series[0]!.imageIds;
    // Each stored slice's label map is the derived volume's slice, pixel for pixel.
    for (const id of ids) {
      const rec = imageRecord(ws, id);
      const map = loadLabelMap(ws, id);
      expect(Array.from(map!.data)).toEqual(Array.from(axial.slices[rec.frame_index]!.data));
    }
  });

  it('reports a truncated .nii.gz and absurd dimensions per file, storing nothing of them', async () => {
    const dir = join(root, 'bad-nifti');
    mkdirSync(dir);
    const whole = readFileSync(join(NIFTI, 'example4d.nii.gz'));
    writeFileSync(join(dir, 'cut.nii.gz'), whole.subarray(0, whole.length >> 1));
    const header = new Uint8Array(gunzipSync(readFileSync(join(NIFTI, 'standard.nii.gz'))));
    for (const d of [1, 2, 3]) new DataView(header.buffer).setInt16(40 + 2 * d, 30000, true);
    writeFileSync(join(dir, 'huge.nii'), header);
    copyFileSync(join(NIFTI, 'standard.nii.gz'), join(dir, 'standard.nii.gz'));
    const ws = fresh('bad');
    const result = await importImages(ws, { paths: [dir] });
    expect(result.imported).toBe(7);
    const reasons = Object.fromEntries(result.failed.map((f) => [f.file.split('/').pop(), f.error]));
    expect(reasons['cut.nii.gz']).toMatch(/truncated/);
    expect(reasons['huge.nii']).toMatch(/30000×30000×30000.*above the limit/);
    expect(listImages(ws).images.every((r) => r.sourcePath.endsWith('standard.nii.gz'))).toBe(true);
  });
});

describe('DICOM SEG import', () => {
  let root: string;
  const opened: Workspace[] = [];
  const fresh = (tag: string) => {
    const ws = Workspace.open(join(root, `ws-${tag}`), { create: true });
    opened.push(ws);
    return ws;
  };
  beforeAll(() => {
    root = tempDir('seg-import');
  });
  afterAll(() => opened.forEach((ws) => ws.close()));

  it('makes a BINARY SEG the ground truth of the CT slices it references, its segment a structure with its codes', async () => {
    const ws = fresh('binary');
    await importImages(ws, { paths: [join(SEG, 'source-ct2')] });
    const result = await importImages(ws, { paths: [join(SEG, 'seg_image_ct_binary.dcm')] });
    expect(result.failed).toEqual([]);
    expect(result.imported).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.masks).toBe(3);
    const added = result.newStructures!;
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ name: 'first segment', category: { value: '85756007', meaning: 'Tissue' }, type: { value: '272673000', meaning: 'Bone' } });
    expect(labelSchema(ws).map((s) => s.name)).toEqual(['Lesion', 'first segment']);
    const labeled = listImages(ws).images.filter((r) => r.hasMask);
    expect(labeled).toHaveLength(3);
    const values = new Set(labeled.flatMap((r) => Array.from(loadLabelMap(ws, r.id)!.data)));
    expect([...values].sort()).toEqual([0, added[0]!.value]);
    // A second SEG with the same segment reuses the structure.
    const again = await importImages(ws, { paths: [join(SEG, 'seg_image_ct_binary_fractional.dcm')] });
    expect(again.failed).toEqual([]);
    expect(again.newStructures ?? []).toEqual([]);
  });

  it('imports a folder whose SEGs sort before their sources (SEGs wait for the images), overlapping segments as two structures', async () => {
    const ws = fresh('folder');
    const result = await importImages(ws, { paths: [SEG] });
    expect(result.imported).toBe(5); // 4 CT slices and CT_small
    const byFile = Object.fromEntries(result.failed.map((f) => [f.file.split('/').pop(), f.error]));
    expect(Object.keys(byFile)).toEqual(['seg_image_cr_binary.dcm']);
    expect(byFile['seg_image_cr_binary.dcm']).toMatch(/references 1 source frame not in this workspace .*import its source DICOM first, then the SEG; nothing was stored/);
    expect(labelSchema(ws).map((s) => s.name)).toEqual(['Lesion', 'first segment', 'second segment']);
    const small = listImages(ws).images.find((r) => r.sourcePath.endsWith('CT_small.dcm'))!;
    expect(small.hasMask).toBe(true);
  });

  it("thresholds a FRACTIONAL SEG at the import's setting (default 0.5)", async () => {
    const area = async (tag: string, segThreshold?: number) => {
      const ws = fresh(tag);
      await importImages(ws, { paths: [join(SEG, 'source-ct2')] });
      const result = await importImages(ws, { paths: [join(SEG, 'seg_image_ct_true_fractional.dcm')], segThreshold });
      expect(result.failed).toEqual([]);
      return listImages(ws).images.reduce((n, r) => n + (r.hasMask ? loadLabelMap(ws, r.id)!.data.filter((v) => v > 0).length : 0), 0);
    };
    const low = await area('fractional-low', 0.1);
    const middle = await area('fractional-default');
    const high = await area('fractional-high', 0.9);
    expect(low).toBeGreaterThan(middle);
    expect(middle).toBeGreaterThan(high);
  });

  it('refuses a SEG imported before its source, naming the order', async () => {
    const ws = fresh('early');
    const result = await importImages(ws, { paths: [join(SEG, 'seg_image_ct_binary_overlap.dcm')] });
    expect(result.masks).toBe(0);
    expect(result.failed[0]!.error).toMatch(/import its source DICOM first, then the SEG/);
    expect(labelSchema(ws)).toHaveLength(1); // no structure added for a SEG that was not stored
  });
});

describe('migration 7 (format gains nifti)', () => {
  it('rebuilds images keeping every row, id and child row (masks, split members) of a schema-6 workspace', () => {
    const dir = tempDir('migration-7');
    const db = new Database(join(dir, 'project.sqlite'));
    db.pragma('foreign_keys = ON');
    for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql);
    db.pragma('user_version = 6');
    db.exec(`
      INSERT INTO images (id, sha256, frame_index, source_path, source_blob, format, width, height, samples, thumbnail_blob, imported_at, series_uid)
        VALUES (7, 'abc', 0, '/x.png', 'abc', 'png', 2, 2, 3, 't', 'now', 's1');
      INSERT INTO masks (image_id, blob, area, provenance, created_at) VALUES (7, 'm', 1, 'imported', 'now');
      INSERT INTO splits (id, seed, labeled_ratio, val_ratio, test_ratio, created_at) VALUES (1, 1, 1, 0, 0, 'now');
      INSERT INTO split_members (split_id, image_id, subset) VALUES (1, 7, 'labeled');
    `);
    db.close();
    const ws = Workspace.open(dir);
    try {
      expect(ws.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(ws.db.prepare('SELECT id, series_uid FROM images').all()).toEqual([{ id: 7, series_uid: 's1' }]);
      expect(ws.db.prepare('SELECT COUNT(*) AS n FROM masks WHERE image_id = 7').get()).toEqual({ n: 1 });
      expect(ws.db.prepare('SELECT COUNT(*) AS n FROM split_members WHERE image_id = 7').get()).toEqual({ n: 1 });
      expect(ws.db.pragma('foreign_keys', { simple: true })).toBe(1);
      // Children still point at the rebuilt table: deleting the image cascades.
      ws.db.prepare('DELETE FROM images WHERE id = 7').run();
      expect(ws.db.prepare('SELECT COUNT(*) AS n FROM masks').get()).toEqual({ n: 0 });
    } finally {
      ws.close();
    }
  });
});

describe('export round trips', () => {
  let root: string;
  const opened: Workspace[] = [];
  const fresh = (tag: string) => {
    const ws = Workspace.open(join(root, `ws-${tag}`), { create: true });
    opened.push(ws);
    return ws;
  };
  beforeAll(() => {
    root = tempDir('volume-export');
  });
  afterAll(() => opened.forEach((ws) => ws.close()));

  it("writes the slices' label maps as one NIfTI label volume in the source geometry (header copied, uint8)", async () => {
    const images = join(root, 'imagesTr');
    const labels = join(root, 'labelsTr');
    mkdirSync(images);
    mkdirSync(labels);
    const source = readFileSync(join(NIFTI, 'functional.nii'));
    writeFileSync(join(images, 'func_0000.nii'), source);
    const volume = readNifti(source);
    const count = 17 * 21 * 3;
    // The label volume is 3D: derived from the first of the 20 volumes.
    const truth = thresholdLabels(volume.voxels, count, 7000, 9000);
    const header3d = { ...volume.header, dims: [17, 21, 3] };
    writeFileSync(join(labels, 'func.nii.gz'), niftiLabelVolume(header3d, truth));
    const ws = fresh('nifti-export');
    const imported = await importImages(ws, { paths: [images], masks: labels, newStructures: true, niftiAxis: 'coronal' });
    expect(imported.failed).toEqual([]);
    expect(imported.imported).toBe(21 * 20);
    // Export the first volume's slices only: the written volume is that one 3D grid.
    const firstSeries = seriesTree(ws)[0]!.studies[0]!.series.find((s) => s.label.endsWith('volume 1'))!;
    const out = join(root, 'out');
    const result = await exportMasks(ws, { imageIds: firstSeries.imageIds, outDir: out, format: 'nifti' });
    expect(result.failed).toBe(0);
    const files = new Set(result.files.map((f) => f.file));
    expect(files.size).toBe(1);
    expect(result.files.every((f) => f.format === 'nifti')).toBe(true);
    const written = readNifti(readFileSync([...files][0]!));
    expect(written.header).toMatchObject({ version: 1, datatype: 2, dims: [17, 21, 3], sclSlope: 1, sclInter: 0 });
    expect(written.header.affine).toEqual(volume.header.affine);
    expect(Array.from(written.voxels)).toEqual(Array.from(truth));
  });

  it('exports several structures as a multi-segment SEG that imports back onto its sources as the same label maps and codes', async () => {
    const ws = fresh('seg-source');
    await importImages(ws, { paths: [join(SEG, 'source-ct2')] });
    await importImages(ws, { paths: [join(SEG, 'seg_image_ct_binary_overlap.dcm')] });
    const labeled = listImages(ws).images.filter((r) => r.hasMask);
    expect(labeled.length).toBeGreaterThan(0);
    const out = join(root, 'seg-out');
    const exported = await exportMasks(ws, { imageIds: labeled.map((r) => r.id), outDir: out, format: 'dicom-seg' });
    expect(exported.failed).toBe(0);

    // dcmjs reads each file back with one segment per structure present, named and coded.
    const first = readFileSync(exported.files[0]!.file!);
    const dict = dcmjs.data.DicomMessage.readFile(first.buffer.slice(first.byteOffset, first.byteOffset + first.length) as ArrayBuffer);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as { SegmentSequence: { SegmentLabel: string }[] | { SegmentLabel: string } };
    const labelsInFile = [seg.SegmentSequence].flat().map((s) => s.SegmentLabel);
    expect(labelsInFile.every((l) => ['first segment', 'second segment'].includes(l))).toBe(true);

    const back = fresh('seg-back');
    await importImages(back, { paths: [join(SEG, 'source-ct2')] });
    const reimported = await importImages(back, { paths: [out] });
    expect(reimported.failed).toEqual([]);
    expect(reimported.masks).toBe(labeled.length);
    expect(labelSchema(back).map(({ name, category, type }) => ({ name, category, type }))).toEqual(
      labelSchema(ws).map(({ name, category, type }) => ({ name, category, type })),
    );
    const bySource = (w: Workspace) =>
      new Map(listImages(w).images.filter((r) => r.hasMask).map((r) => [r.sourcePath.split('/').pop(), Array.from(loadLabelMap(w, r.id)!.data)]));
    expect(bySource(back)).toEqual(bySource(ws));
  });
});
