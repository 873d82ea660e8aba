import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiService } from '../../src/main/services/api';
import type { ExportOutcome, JobEvent } from '../../src/shared/contract';
import { exportMasks } from '../../src/main/export/export-masks';
import { unpackBits } from '../../src/main/export/dicom-seg';
import { decodeMaskPng, type Mask } from '../../src/main/imaging/mask';
import { imageDetail, listImages, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { saveMask } from '../../src/main/workspace/masks';
import { storePseudoLabel } from '../../src/main/workspace/pseudo-labels';
import { Workspace } from '../../src/main/workspace/workspace';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
const MULTI = join(DICOM_DIR, 'dicomParser/testImages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm');
const KVASIR = join(KVASIR_IMAGES, 'cju0qkwl35piu0993l0dewei2.jpg');
/** An ACR-NEMA era file: StudyDate "1993.04.30", StudyTime "11:27:24" (invalid DA/TM for today's writers). */
const ANKLE = join(DICOM_DIR, 'fo-dicom/Test Data/CT-MONO2-16-ankle');

describe('mask export', () => {
  let ws: Workspace;
  let out: string;
  beforeAll(async () => {
    const dir = tempDir('export');
    out = join(dir, 'out');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    await importImages(ws, { paths: [CT, MULTI, KVASIR, ANKLE], masks: KVASIR_MASKS });
  });
  afterAll(() => ws.close());

  /** A drawn mask with real structure: the bright (body) part of the CT under the file's window. */
  function bodyMask(id: number): Mask {
    const rgb = loadModelRgb(ws, id);
    const data = new Uint8Array(rgb.width * rgb.height);
    for (let i = 0; i < data.length; i++) data[i] = rgb.data[i * 3]! > 100 ? 1 : 0;
    return { width: rgb.width, height: rgb.height, data };
  }

  it('writes a DICOM SEG that references the source series and reads back with dcmjs', async () => {
    const ct = listImages(ws).images.find((i) => i.sourcePath === CT)!;
    const mask = bodyMask(ct.id);
    saveMask(ws, ct.id, mask, 'drawn');
    const [written] = (await exportMasks(ws, { imageIds: [ct.id], outDir: out, format: 'auto', label: 'Body' })).files;
    expect(written!.format).toBe('dicom-seg');
    const bytes = readFileSync(written!.file!);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, any>;
    const source = imageDetail(ws, ct.id);
    expect(seg.Modality).toBe('SEG');
    expect(seg.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect(seg.StudyInstanceUID).toBe(source.studyUid);
    expect(seg.ReferencedSeriesSequence.SeriesInstanceUID ?? seg.ReferencedSeriesSequence[0].SeriesInstanceUID).toBe(source.seriesUid);
    const refSeries = Array.isArray(seg.ReferencedSeriesSequence) ? seg.ReferencedSeriesSequence[0] : seg.ReferencedSeriesSequence;
    const refInstance = Array.isArray(refSeries.ReferencedInstanceSequence) ? refSeries.ReferencedInstanceSequence[0] : refSeries.ReferencedInstanceSequence;
    expect(refInstance.ReferencedSOPInstanceUID).toBe(source.sopUid);
    expect([seg.Rows, seg.Columns, seg.BitsAllocated, seg.SegmentationType]).toEqual([512, 512, 1, 'BINARY']);
    const segment = Array.isArray(seg.SegmentSequence) ? seg.SegmentSequence[0] : seg.SegmentSequence;
    expect(segment.SegmentLabel).toBe('Body');
    const pixels = new Uint8Array(Array.isArray(seg.PixelData) ? seg.PixelData[0] : seg.PixelData);
    const back = unpackBits(pixels, 512, 512);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(mask.data))).toBe(0);
    expect(mask.data.reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);
  });

  it('references the frame of a multi-frame source', async () => {
    const frame2 = listImages(ws).images.find((i) => i.sourcePath === MULTI && i.frameIndex === 1)!;
    saveMask(ws, frame2.id, bodyMask(frame2.id), 'drawn');
    const [written] = (await exportMasks(ws, { imageIds: [frame2.id], outDir: out, format: 'dicom-seg' })).files;
    const bytes = readFileSync(written!.file!);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, any>;
    const refSeries = Array.isArray(seg.ReferencedSeriesSequence) ? seg.ReferencedSeriesSequence[0] : seg.ReferencedSeriesSequence;
    const refInstance = Array.isArray(refSeries.ReferencedInstanceSequence) ? refSeries.ReferencedInstanceSequence[0] : refSeries.ReferencedInstanceSequence;
    expect(refInstance.ReferencedFrameNumber).toBe(2);
  });

  it('exports PNG masks at source resolution and refuses a SEG for a JPEG source', async () => {
    const k = listImages(ws).images.find((i) => i.sourcePath === KVASIR)!;
    const [png] = (await exportMasks(ws, { imageIds: [k.id], outDir: out, format: 'auto' })).files;
    const mask = decodeMaskPng(readFileSync(png!.file!));
    expect([mask.width, mask.height]).toEqual([k.width, k.height]);
    const [refused] = (await exportMasks(ws, { imageIds: [k.id], outDir: out, format: 'dicom-seg' })).files;
    expect(refused!.file).toBeNull();
    expect(refused!.error).toMatch(/not DICOM/);
  });
  function readSeg(file: string): Record<string, any> {
    const bytes = readFileSync(file);
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, any>;
  }
  const first = (v: any) => (Array.isArray(v) ? v[0] : v);
  const idOf = (path: string, frameIndex = 0) => listImages(ws).images.find((i) => i.sourcePath === path && i.frameIndex === frameIndex)!.id;

  it('a batch goes on past failing files and lists each file: the path written or the reason', async () => {
    const ankle = idOf(ANKLE);
    saveMask(ws, ankle, bodyMask(ankle), 'drawn');
    const noTruth = idOf(MULTI, 0);
    const ids = [idOf(KVASIR), ankle, noTruth, idOf(CT)];
    const r = await exportMasks(ws, { imageIds: ids, outDir: join(out, 'batch'), format: 'dicom-seg' });
    expect(r.files.map((f) => f.imageId)).toEqual(ids);
    expect([r.written, r.failed]).toEqual([2, 2]);
    expect(r.files[0]!.error).toMatch(/not DICOM/);
    expect(r.files[2]!.error).toMatch(/no ground truth/);
    for (const f of [r.files[1]!, r.files[3]!]) {
      expect(f.error).toBeNull();
      expect(readSeg(f.file!).Modality).toBe('SEG');
    }
    // The legacy date and time are normalised, not fatal.
    const seg = readSeg(r.files[1]!.file!);
    expect([seg.StudyDate, seg.StudyTime]).toEqual(['19930430', '112724']);
    expect(first(seg.SegmentSequence).SegmentAlgorithmType).toBe('MANUAL');
  });

  it('says how each mask was made: the algorithm type from provenance, the label and its codes', async () => {
    const ct = idOf(CT);
    const mask = bodyMask(ct);
    const segmentOf = async (source?: { kind: 'pseudo-label'; versions: 'latest' | 'all' }) => {
      const r = await exportMasks(ws, { imageIds: [ct], outDir: join(out, 'provenance'), format: 'dicom-seg', source });
      expect(r.failed).toBe(0);
      return r.files.map((f) => ({ file: f.file!, version: f.version, segment: first(readSeg(f.file!).SegmentSequence) }));
    };

    saveMask(ws, ct, mask, 'drawn');
    const [drawn] = await segmentOf();
    expect(drawn!.segment.SegmentAlgorithmType).toBe('MANUAL');
    expect(drawn!.segment.SegmentLabel).toBe('Lesion');
    expect(first(drawn!.segment.SegmentedPropertyCategoryCodeSequence)).toMatchObject({ CodeValue: '49755003', CodingSchemeDesignator: 'SCT' });
    expect(first(drawn!.segment.SegmentedPropertyTypeCodeSequence)).toMatchObject({ CodeValue: '4147007', CodingSchemeDesignator: 'SCT' });

    saveMask(ws, ct, mask, 'sam-assisted', { details: { teacher: { id: 3, name: 'MobileSAM (fixture)', family: 'mobilesam' } } });
    const [samAssisted] = await segmentOf();
    expect(samAssisted!.segment.SegmentAlgorithmType).toBe('SEMIAUTOMATIC');
    expect(samAssisted!.segment.SegmentAlgorithmName).toBe('MobileSAM (fixture)');

    const prov = { runId: null, epoch: 0, teacherModelId: null, teacherLabel: 'sam model 7', studentCheckpoint: null, prompts: [], iouPrediction: null, agreementDice: null };
    const v1 = storePseudoLabel(ws, ct, mask, prov).version;
    const shrunk = { ...mask, data: mask.data.map((x, i) => (i % 512 < 256 ? x : 0)) };
    storePseudoLabel(ws, ct, shrunk, prov);
    const versions = await segmentOf({ kind: 'pseudo-label', versions: 'all' });
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[1]!.file).toMatch(/\.pl-v2\.seg\.dcm$/);
    for (const v of versions) {
      expect(v.segment.SegmentAlgorithmType).toBe('AUTOMATIC');
      expect(v.segment.SegmentAlgorithmName).toBe(`sam model 7 pseudo-label v${v.version}`);
    }
    expect((await segmentOf({ kind: 'pseudo-label', versions: 'latest' })).map((v) => v.version)).toEqual([2]);

    saveMask(ws, ct, mask, 'promoted', { pseudoLabelId: v1.id });
    const [promoted] = await segmentOf();
    expect(promoted!.segment.SegmentAlgorithmType).toBe('AUTOMATIC');
    expect(promoted!.segment.SegmentAlgorithmName).toBe('sam model 7 pseudo-label v1');
  });

  it('runs from the API as a job: progress from the first file, then every file\'s result; the selection is checked first', async () => {
    const api = new ApiService('websocket');
    api.openWorkspace(ws.root);
    try {
      const events: JobEvent[] = [];
      api.onJobEvent((e) => events.push(e));
      const ids = [idOf(KVASIR), idOf(CT)];
      const { jobId } = (await api.dispatch('export.start', { images: { ids }, outDir: join(out, 'api'), format: 'dicom-seg' })) as { jobId: string };
      await vi.waitUntil(() => events.some((e) => e.jobId === jobId && e.type !== 'progress'), { timeout: 20_000 });
      const progress = events.filter((e) => e.type === 'progress');
      expect(progress[0]).toMatchObject({ kind: 'export', phase: 'export', done: 1, total: 2 });
      expect(progress.at(-1)).toMatchObject({ done: 2, total: 2 });
      const done = events.find((e) => e.type === 'done')!;
      const result = (done as { result: ExportOutcome }).result;
      expect(result.files.map((f) => [f.imageId, f.file !== null])).toEqual([
        [ids[0], false],
        [ids[1], true],
      ]);
      expect(result.files[0]!.error).toMatch(/not DICOM/);
      await expect(api.dispatch('export.start', { images: { ids: [999_999] }, outDir: out })).rejects.toThrow(/no image with id 999999/);
    } finally {
      api.close();
    }
  });
});
