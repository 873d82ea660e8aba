import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackBits } from '../../src/main/export/dicom-seg';
import { exportMasks } from '../../src/main/export/export-masks';
import { decodeLabelMapPng, IGNORE_LABEL, type LabelMap } from '../../src/main/imaging/mask';
import { listImages, loadMask, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { addStructure } from '../../src/main/workspace/labels';
import { saveLabelMap } from '../../src/main/workspace/masks';
import { Workspace } from '../../src/main/workspace/workspace';
import { CATEGORIES, TERMS } from '../../src/shared/label-codes';
import { DICOM_DIR, tempDir } from '../helpers/data';

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
const term = (meaning: string) => TERMS.find((t) => t.type.meaning === meaning)!;
const first = <T>(v: T | T[]): T => (Array.isArray(v) ? v[0]! : v);
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe('export of a ground truth with several structures', () => {
  let ws: Workspace;
  let out: string;
  let id: number;
  let map: LabelMap;
  beforeAll(async () => {
    const dir = tempDir('export-structures');
    out = join(dir, 'out');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    await importImages(ws, { paths: [CT] });
    id = listImages(ws).images[0]!.id;
    addStructure(ws, { name: 'Left lung', ...term('Left lung') });
    addStructure(ws, { name: 'Heart', ...term('Heart') });
    // Body (bright under the file's window) on the left half is 2, on the right half 3; a corner is ignored.
    const rgb = loadModelRgb(ws, id);
    const data = new Uint8Array(rgb.width * rgb.height);
    for (let i = 0; i < data.length; i++) {
      const x = i % rgb.width;
      const y = Math.floor(i / rgb.width);
      data[i] = x < 20 && y < 20 ? IGNORE_LABEL : rgb.data[i * 3]! > 100 ? (x < rgb.width / 2 ? 2 : 3) : 0;
    }
    map = { width: rgb.width, height: rgb.height, data };
    saveLabelMap(ws, id, map, 'drawn');
  });
  afterAll(() => ws.close());

  it('writes one SEG segment per structure with its name and SNOMED CT codes; dcmjs reads each frame back', async () => {
    const [written] = (await exportMasks(ws, { imageIds: [id], outDir: out, format: 'dicom-seg' })).files;
    expect(written!.error).toBeNull();
    const bytes = readFileSync(written!.file!);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, any>;
    expect([seg.SegmentationType, seg.NumberOfFrames]).toEqual(['BINARY', 2]);
    const segments = list(seg.SegmentSequence);
    expect(segments.map((s) => [s.SegmentNumber, s.SegmentLabel, first(s.SegmentedPropertyTypeCodeSequence).CodeValue])).toEqual([
      [1, 'Left lung', '44029006'],
      [2, 'Heart', '80891009'],
    ]);
    expect(first(segments[1].SegmentedPropertyCategoryCodeSequence)).toMatchObject({
      CodeValue: CATEGORIES.anatomicalStructure.value,
      CodingSchemeDesignator: 'SCT',
    });
    const frames = list(seg.PerFrameFunctionalGroupsSequence).map((f) => first(f.SegmentIdentificationSequence).ReferencedSegmentNumber);
    expect(frames).toEqual([1, 2]);
    const pixels = new Uint8Array(first(seg.PixelData) as ArrayBuffer);
    const n = map.width * map.height;
    // Two 512×512 frames, one bit stream: frame k starts at bit k·n (a whole byte here).
    for (const [k, value] of [[0, 2], [1, 3]] as const) {
      const back = unpackBits(pixels.subarray((k * n) / 8), map.width, map.height);
      const expected = map.data.map((v) => (v === value ? 1 : 0));
      expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
      expect(Buffer.compare(Buffer.from(back.data), Buffer.from(expected))).toBe(0);
    }
  });

  it('writes the label map itself as PNG (values 0..K, 255 ignored), while binary readers see structure 1 only', async () => {
    const [written] = (await exportMasks(ws, { imageIds: [id], outDir: out, format: 'png' })).files;
    const back = decodeLabelMapPng(readFileSync(written!.file!));
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(map.data))).toBe(0);
    expect(loadMask(ws, id)!.data.every((v) => v === 0)).toBe(true);
  });
});
