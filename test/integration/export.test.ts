import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMasks } from '../../src/main/export/export-masks';
import { unpackBits } from '../../src/main/export/dicom-seg';
import { decodeMaskPng, type Mask } from '../../src/main/imaging/mask';
import { imageDetail, listImages, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { saveMask } from '../../src/main/workspace/masks';
import { Workspace } from '../../src/main/workspace/workspace';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
const MULTI = join(DICOM_DIR, 'dicomParser/testImages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm');
const KVASIR = join(KVASIR_IMAGES, 'cju0qkwl35piu0993l0dewei2.jpg');

describe('mask export', () => {
  let ws: Workspace;
  let out: string;
  beforeAll(async () => {
    const dir = tempDir('export');
    out = join(dir, 'out');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    await importImages(ws, { paths: [CT, MULTI, KVASIR], masks: KVASIR_MASKS });
  });
  afterAll(() => ws.close());

  /** A drawn mask with real structure: the bright (body) part of the CT under the file's window. */
  function bodyMask(id: number): Mask {
    const rgb = loadModelRgb(ws, id);
    const data = new Uint8Array(rgb.width * rgb.height);
    for (let i = 0; i < data.length; i++) data[i] = rgb.data[i * 3]! > 100 ? 1 : 0;
    return { width: rgb.width, height: rgb.height, data };
  }

  it('writes a DICOM SEG that references the source series and reads back with dcmjs', () => {
    const ct = listImages(ws).images.find((i) => i.sourcePath === CT)!;
    const mask = bodyMask(ct.id);
    saveMask(ws, ct.id, mask, 'drawn');
    const [written] = exportMasks(ws, { imageIds: [ct.id], outDir: out, format: 'auto', label: 'Body' });
    expect(written!.format).toBe('dicom-seg');
    const bytes = readFileSync(written!.file);
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

  it('references the frame of a multi-frame source', () => {
    const frame2 = listImages(ws).images.find((i) => i.sourcePath === MULTI && i.frameIndex === 1)!;
    saveMask(ws, frame2.id, bodyMask(frame2.id), 'drawn');
    const [written] = exportMasks(ws, { imageIds: [frame2.id], outDir: out, format: 'dicom-seg' });
    const bytes = readFileSync(written!.file);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, any>;
    const refSeries = Array.isArray(seg.ReferencedSeriesSequence) ? seg.ReferencedSeriesSequence[0] : seg.ReferencedSeriesSequence;
    const refInstance = Array.isArray(refSeries.ReferencedInstanceSequence) ? refSeries.ReferencedInstanceSequence[0] : refSeries.ReferencedInstanceSequence;
    expect(refInstance.ReferencedFrameNumber).toBe(2);
  });

  it('exports PNG masks at source resolution and refuses a SEG for a JPEG source', () => {
    const k = listImages(ws).images.find((i) => i.sourcePath === KVASIR)!;
    const [png] = exportMasks(ws, { imageIds: [k.id], outDir: out, format: 'auto' });
    const mask = decodeMaskPng(readFileSync(png!.file));
    expect([mask.width, mask.height]).toEqual([k.width, k.height]);
    expect(() => exportMasks(ws, { imageIds: [k.id], outDir: out, format: 'dicom-seg' })).toThrow(/not DICOM/);
  });
});
