import { readFileSync } from 'node:fs';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { exportMasks } from '../../src/main/export/export-masks';
import { unpackBits } from '../../src/main/export/dicom-seg';
import type { Mask } from '../../src/main/imaging/mask';
import { sha256 } from '../../src/main/workspace/blobs';
import { imageDetail, listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { saveMask } from '../../src/main/workspace/masks';
import { Workspace } from '../../src/main/workspace/workspace';
import { tempDir } from '../helpers/data';
import { mustDecode, pathOf, rows } from '../helpers/dicom-catalog';

/** Grey images a binary SEG can be drawn on: every decodable single-sample file of the catalogue. */
const grey = rows.filter((r) => mustDecode(r) && Number(r.samples_per_pixel) === 1 && r.photometric !== 'PALETTE COLOR');

function readSeg(file: string): Record<string, any> {
  const bytes = readFileSync(file);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(
    dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
  ) as Record<string, any>;
}
const first = (v: any) => (Array.isArray(v) ? v[0] : v);

/** A centred rectangle: structure a reader can check, on any frame size. */
function box(width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  for (let y = height >> 2; y < (3 * height) >> 2; y++) for (let x = width >> 2; x < (3 * width) >> 2; x++) data[y * width + x] = 1;
  return { width, height, data };
}

describe('DICOM SEG for every grey image of ../shared/data/dicom', () => {
  let ws: Workspace;
  let out: string;
  beforeAll(async () => {
    const dir = tempDir('seg-all');
    out = join(dir, 'out');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    await importImages(ws, { paths: grey.map(pathOf) });
  }, 300_000);
  afterAll(() => ws.close());

  it('writes one per file (the last frame of multi-frame files) that dcmjs reads back: references, pixels, valid dates', async () => {
    expect(grey.some((r) => r.file!.endsWith('CT-MONO2-16-ankle'))).toBe(true);
    const bySha = new Map<string, { id: number; frameIndex: number; width: number; height: number }[]>();
    for (const im of listImages(ws).images) {
      const d = imageDetail(ws, im.id);
      bySha.set(d.sha256, [...(bySha.get(d.sha256) ?? []), { id: im.id, frameIndex: im.frameIndex, width: im.width, height: im.height }]);
    }
    const chosen = new Map<number, { file: string; frameIndex: number; frames: number; mask: Mask }>();
    for (const row of grey) {
      const frames = bySha.get(sha256(readFileSync(pathOf(row))));
      expect(frames, row.file).toBeDefined();
      const last = frames!.reduce((a, b) => (b.frameIndex > a.frameIndex ? b : a));
      if (chosen.has(last.id)) continue; // the same file in two suites is stored once
      const mask = box(last.width, last.height);
      saveMask(ws, last.id, mask, 'drawn');
      chosen.set(last.id, { file: row.file!, frameIndex: last.frameIndex, frames: frames!.length, mask });
    }
    expect(chosen.size).toBeGreaterThan(40);

    const r = await exportMasks(ws, { imageIds: [...chosen.keys()], outDir: out, format: 'dicom-seg' });
    expect(r.files.filter((f) => f.error !== null).map((f) => `${chosen.get(f.imageId)!.file}: ${f.error}`)).toEqual([]);
    for (const f of r.files) {
      const { file, frameIndex, frames, mask } = chosen.get(f.imageId)!;
      const seg = readSeg(f.file!);
      const source = imageDetail(ws, f.imageId);
      expect(seg.Modality, file).toBe('SEG');
      expect([seg.Rows, seg.Columns], file).toEqual([mask.height, mask.width]);
      expect(seg.StudyInstanceUID, file).toBe(source.studyUid ?? seg.StudyInstanceUID);
      const instance = first(first(seg.ReferencedSeriesSequence).ReferencedInstanceSequence);
      expect(instance.ReferencedSOPInstanceUID, file).toBe(source.sopUid);
      if (frames > 1) expect(instance.ReferencedFrameNumber, file).toBe(frameIndex + 1);
      for (const date of [seg.StudyDate, seg.PatientBirthDate, seg.ContentDate]) expect(date ?? '', file).toMatch(/^(\d{8})?$/);
      expect(seg.StudyTime ?? '', file).toMatch(/^(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?$/);
      const pixels = new Uint8Array(Array.isArray(seg.PixelData) ? seg.PixelData[0] : seg.PixelData);
      expect(Buffer.compare(Buffer.from(unpackBits(pixels, mask.width, mask.height).data), Buffer.from(mask.data)), file).toBe(0);
    }
    const ankle = r.files.find((f) => chosen.get(f.imageId)!.file.endsWith('CT-MONO2-16-ankle'))!;
    expect(readSeg(ankle.file!).StudyDate).toBe('19930430');
    // ISO 2022 Japanese (PS3.5 H.3.1): the name is decoded, and written as UTF-8.
    const japanese = r.files.find((f) => chosen.get(f.imageId)!.file.endsWith('chrH31.dcm'))!;
    expect(first(readSeg(japanese.file!).PatientName)).toMatchObject({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
  }, 300_000);
});
