import { copyFileSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importImages } from '../../src/main/workspace/import';
import { checkWorkspace } from '../../src/main/workspace/verify';
import { Workspace } from '../../src/main/workspace/workspace';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

const MULTI_FRAME = join(DICOM_DIR, 'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm');

interface Row {
  id: number;
  source_blob: string;
  pixel_blob: string | null;
  thumbnail_blob: string;
  source_path: string;
}

describe('check workspace: every stored file against its hash, and repair what a re-import can', () => {
  it('finds truncated, deleted and altered blobs, repairs those the original files can make again, and advises on the rest', async () => {
    const root = tempDir('check');
    const src = join(root, 'images');
    const masks = join(root, 'masks');
    mkdirSync(src);
    mkdirSync(masks);
    const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 3);
    for (const n of names) {
      copyFileSync(join(KVASIR_IMAGES, n), join(src, n));
      copyFileSync(join(KVASIR_MASKS, n), join(masks, n));
    }
    copyFileSync(MULTI_FRAME, join(src, 'ct.dcm'));
    const ws = Workspace.open(join(root, 'ws'), { create: true });
    try {
      const imported = await importImages(ws, { paths: [src], masks });
      expect(imported.failed).toEqual([]);
      const clean = await checkWorkspace(ws);
      expect(clean.problems).toEqual([]);
      expect(clean.integrity).toBe('ok');
      expect(clean.ok).toBe(clean.stored);

      const rows = ws.db.prepare('SELECT id, source_blob, pixel_blob, thumbnail_blob, source_path FROM images ORDER BY id').all() as Row[];
      const [a, b, c] = rows.filter((r) => r.pixel_blob === null);
      const frame = rows.find((r) => r.pixel_blob !== null)!;
      const mask = (ws.db.prepare('SELECT blob FROM masks WHERE image_id = ?').get(a!.id) as { blob: string }).blob;
      truncateSync(ws.blobs.path(a!.source_blob), 1000); // a full disk's half-written file
      rmSync(ws.blobs.path(b!.thumbnail_blob)); // lost
      writeFileSync(ws.blobs.path(frame.pixel_blob!), Buffer.alloc(16)); // altered
      truncateSync(ws.blobs.path(mask), 10);
      rmSync(ws.blobs.path(c!.source_blob));
      rmSync(c!.source_path); // …and its original is gone too: nothing can make it again

      const found = await checkWorkspace(ws);
      expect(found.missing).toBe(2);
      expect(found.damaged).toBe(3);
      expect(found.repaired).toBe(0);
      const byBlob = new Map(found.problems.map((p) => [p.blob, p]));
      expect(byBlob.get(a!.source_blob)).toMatchObject({ state: 'damaged', usedBy: [`image source of image ${a!.id}`] });
      expect(byBlob.get(frame.pixel_blob!)).toMatchObject({ state: 'damaged', usedBy: [`decoded frame of image ${frame.id}`] });
      expect(byBlob.get(c!.source_blob)!.advice).toMatch(/import the file again/);

      const fixed = await checkWorkspace(ws, { repair: true });
      expect(fixed.repaired).toBe(4);
      expect(fixed.problems.filter((p) => !p.repaired).map((p) => p.blob)).toEqual([c!.source_blob]);
      expect(byBlob.size).toBe(5);
      expect(fixed.problems.find((p) => p.blob === mask)!.repaired).toMatch(/read again from .*masks/);
      expect(fixed.problems.find((p) => p.blob === frame.pixel_blob)!.repaired).toMatch(/decoded again/);

      const after = await checkWorkspace(ws);
      expect(after.problems.map((p) => p.blob)).toEqual([c!.source_blob]);
      expect(after.integrity).toBe('ok');
    } finally {
      ws.close();
    }
  }, 60_000);
});
