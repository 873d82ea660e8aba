import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDicom } from '../../src/main/imaging/dicom';
import { sha256 } from '../../src/main/workspace/blobs';
import { imageRecord, loadModelRgb, storedFrame, viewerPixels } from '../../src/main/workspace/images';
import type { ImportResult } from '../../src/shared/contract';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { DICOM_DIR, tempDir } from '../helpers/data';
import { mustDecode, pathOf, rows } from '../helpers/dicom-catalog';

describe('importing all of ../shared/data/dicom', () => {
  let ws: Workspace;
  let result: ImportResult;
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('dicom'), 'ws'), { create: true });
    result = await importImages(ws, { paths: [DICOM_DIR] });
  }, 300_000);
  afterAll(() => ws.close());

  /** Image rows of a file, found by content: the same file in two suites is stored once. */
  function imagesOf(file: string): { id: number; frame_index: number; width: number; height: number; samples: number }[] {
    return ws.db
      .prepare('SELECT id, frame_index, width, height, samples FROM images WHERE sha256 = ? ORDER BY frame_index')
      .all(sha256(readFileSync(file))) as never;
  }

  it('imports every file with pixel data that is not broken on purpose, frame by frame, with its pixels intact', async () => {
    const failed = new Map(result.failed.map((f) => [f.file, f.error]));
    const decodable = rows.filter(mustDecode);
    expect(decodable.length).toBeGreaterThan(90);
    for (const row of decodable) {
      const file = pathOf(row);
      expect(failed.get(file), `${row.file} was reported as failed`).toBeUndefined();
      const images = imagesOf(file);
      expect(images.length, row.file).toBe(Number(row.frames || 1));
      const colour = Number(row.samples_per_pixel) === 3 || row.photometric === 'PALETTE COLOR';
      for (const im of images) {
        expect([im.width, im.height, im.samples], row.file).toEqual([Number(row.columns), Number(row.rows), colour ? 3 : 1]);
      }
      // What the store holds is exactly what the decoder produced (frame 0), and the viewer and the
      // model input can both be made from it.
      const decoded = await decodeDicom(new Uint8Array(readFileSync(file)), { maxFrames: 1 });
      const kept = storedFrame(ws, imageRecord(ws, images[0]!.id));
      expect(
        Buffer.compare(
          Buffer.from(kept.data.buffer, kept.data.byteOffset, kept.data.byteLength),
          Buffer.from(decoded.frames[0]!.data.buffer, decoded.frames[0]!.data.byteOffset, decoded.frames[0]!.data.byteLength),
        ),
        row.file,
      ).toBe(0);
      expect(viewerPixels(ws, images[0]!.id).width).toBe(Number(row.columns));
      expect(loadModelRgb(ws, images[0]!.id).data.length).toBe(Number(row.columns) * Number(row.rows) * 3);
    }
  });

  it('reports every other file by name and reason, and accounts for every file', () => {
    const failed = new Map(result.failed.map((f) => [f.file, f.error]));
    for (const row of rows.filter((r) => !mustDecode(r))) {
      const file = pathOf(row);
      const reported = failed.get(file);
      if (reported !== undefined) expect(reported.length, row.file).toBeGreaterThan(5);
      else expect(imagesOf(file).length, `${row.file} neither imported nor reported`).toBeGreaterThan(0);
    }
    expect(failed.get(join(DICOM_DIR, 'fo-dicom/Test Data/test_SR.dcm'))).toBe('no pixel data');
    expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('a second import of the folder adds nothing', async () => {
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    const again = await importImages(ws, { paths: [DICOM_DIR] });
    expect(again.imported).toBe(0);
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n).toBe(before);
  });
});
