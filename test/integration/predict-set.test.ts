import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedImageIds } from '../../src/main/export/selection';
import { decodeMaskPng } from '../../src/main/imaging/mask';
import { ModeInference, predictSet } from '../../src/main/mining/inference';
import { trainStudent } from '../../src/main/student/train';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');

describe('prediction of a set (tiny student, fixture teacher)', () => {
  let ws: Workspace;
  let dir: string;
  let runId: number;
  let teacherId: number;

  beforeAll(async () => {
    dir = tempDir('predict-set');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(0, 10)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: [...files, CT], masks: KVASIR_MASKS });
    createSplit(ws, { labeled: 0.6, val: 0.2, test: 0.2, seed: 1 });
    teacherId = (await addTeacherModel(ws, { ...writeFixturePair(join(dir, 'models'), 'mobilesam'), family: 'mobilesam' })).id;
    runId = (await trainStudent(ws, TINY_STUDENT)).runId;
  }, 300_000);
  afterAll(() => ws.close());

  it('goes on past an image that fails, listing each image with its file or reason and its latency', async () => {
    const all = listImages(ws).images;
    const ct = all.find((i) => i.sourcePath === CT)!.id;
    const jpegs = all.filter((i) => i.format === 'jpeg').slice(0, 2).map((i) => i.id);
    const ids = [jpegs[0]!, ct, jpegs[1]!];
    const inference = await ModeInference.open(ws, { runId, engine: 'tfjs' });
    try {
      const seen: number[] = [];
      const r = await predictSet(ws, inference, { imageIds: ids, mode: 'fast', outDir: join(dir, 'seg'), format: 'dicom-seg' }, {
        onProgress: (done) => seen.push(done),
      });
      expect(seen).toEqual([1, 2, 3]);
      expect(r.images.map((i) => i.imageId)).toEqual(ids);
      expect([r.runId, r.written, r.failed]).toEqual([runId, 1, 2]);
      for (const i of r.images) expect(i.latencyMs).toBeGreaterThan(0); // predicted, then refused as SEG for a JPEG
      expect(r.images[0]!.error).toMatch(/not DICOM/);
      const seg = r.images[1]!;
      expect(seg.file).toMatch(/\.fast\.seg\.dcm$/);
      const bytes = readFileSync(seg.file!);
      const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
        dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
      ) as Record<string, any>;
      const segment = Array.isArray(ds.SegmentSequence) ? ds.SegmentSequence[0] : ds.SegmentSequence;
      expect(segment.SegmentAlgorithmType).toBe('AUTOMATIC');
      expect(segment.SegmentAlgorithmName).toBe(`Apprentice U-Net++ student run ${runId}`);
      expect(r.msPerImage).toBeCloseTo(seg.latencyMs!, 6);
    } finally {
      await inference.close();
    }
  }, 120_000);

  it('refines a split subset with the teacher and writes PNG masks at source resolution', async () => {
    const ids = selectedImageIds(ws, { split: 'labeled' });
    expect(ids.length).toBeGreaterThan(0);
    const inference = await ModeInference.open(ws, { runId, engine: 'tfjs', teacher: { kind: 'sam', modelId: teacherId }, prompts: { threshold: 0.3 } });
    try {
      const r = await predictSet(ws, inference, { imageIds: ids, mode: 'refine', outDir: join(dir, 'png'), format: 'png' });
      expect(r.failed).toBe(0);
      const byId = new Map(listImages(ws).images.map((i) => [i.id, i]));
      for (const p of r.images) {
        expect(p.file).toMatch(/\.refine\.png$/);
        const mask = decodeMaskPng(readFileSync(p.file!));
        expect([mask.width, mask.height]).toEqual([byId.get(p.imageId)!.width, byId.get(p.imageId)!.height]);
        expect(p.studentMs).toBeGreaterThan(0);
      }
      expect(r.images.some((p) => p.teacherMs! > 0)).toBe(true);
    } finally {
      await inference.close();
    }
  }, 120_000);

  it('refuses a selection it cannot do before any work: unknown ids, no split', () => {
    expect(() => selectedImageIds(ws, { ids: [1, 999_999] })).toThrow(/no image with id 999999/);
    const empty = Workspace.open(join(dir, 'empty'), { create: true });
    try {
      expect(() => selectedImageIds(empty, { split: 'test' })).toThrow(/no split yet/);
    } finally {
      empty.close();
    }
  });
});
