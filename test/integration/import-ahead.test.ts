import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMask } from '../../src/main/workspace/images';
import { BLOB_COLUMNS } from '../../src/main/workspace/blob-release';
import { importImages } from '../../src/main/workspace/import';
import { groundTruthPngs } from '../../src/main/imaging/mask';
import { loadLabelMap, saveLabelMap } from '../../src/main/workspace/masks';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

// An import writes a file's blobs ahead of its transaction (the files read ahead write theirs while
// earlier ones commit): a cancel must still leave only what the commits name, and a re-run finishes.

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(60, 72).map((n) => join(KVASIR_IMAGES, n));

function blobsOnDisk(ws: Workspace): Set<string> {
  const root = join(ws.root, 'blobs');
  return new Set(readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => d + f)));
}

function blobsNamed(ws: Workspace): Set<string> {
  return new Set(BLOB_COLUMNS.flatMap((c) => (ws.db.prepare(c.list).all() as { blob: string }[]).map((r) => r.blob)));
}

describe('blobs written ahead of the commits (12 Kvasir pairs)', () => {
  let ws: Workspace;

  beforeAll(() => {
    ws = Workspace.open(join(tempDir('import-ahead'), 'ws'), { create: true });
  });
  afterAll(() => ws.close());

  it('a cancelled import leaves no blob that no row names, and a re-run imports the rest', async () => {
    const cancel = new AbortController();
    // Cancelled as the fourth file starts: it is committed, the files read ahead of it are not.
    const onProgress = (p: { done: number }) => {
      if (p.done === 3) cancel.abort();
    };
    await expect(importImages(ws, { paths: FILES, masks: KVASIR_MASKS }, { onProgress, signal: cancel.signal })).rejects.toThrow();
    const committed = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    expect(committed).toBe(4);
    await sleep(2_000); // a write still in flight for a file read ahead would have landed by now
    const named = blobsNamed(ws);
    expect(named.size).toBe(4 * 3); // source, thumbnail and mask of each committed pair
    expect(blobsOnDisk(ws)).toEqual(named);

    const rest = await importImages(ws, { paths: FILES, masks: KVASIR_MASKS });
    expect(rest).toMatchObject({ imported: 8, duplicates: 4, masks: 8, failed: [] });
    expect(blobsOnDisk(ws)).toEqual(blobsNamed(ws));
  }, 120_000);

  it('the same image twice in a row, its mask beside the second name only: the image keeps that mask', async () => {
    const root = tempDir('import-twice');
    const [images, masks] = [join(root, 'images'), join(root, 'masks')];
    mkdirSync(images);
    mkdirSync(masks);
    const name = readdirSync(KVASIR_IMAGES).sort()[90]!;
    copyFileSync(join(KVASIR_IMAGES, name), join(images, 'a.jpg'));
    copyFileSync(join(KVASIR_IMAGES, name), join(images, 'b.jpg'));
    copyFileSync(join(KVASIR_MASKS, name), join(masks, 'b.jpg'));
    const twice = Workspace.open(join(root, 'ws'), { create: true });
    try {
      // b is staged while a's commit waits for its blobs: b finds no stored image then, and a's row first at its own commit.
      expect(await importImages(twice, { paths: [images], masks })).toMatchObject({ imported: 1, duplicates: 1, masks: 1, failed: [] });
      const ids = twice.db.prepare('SELECT id FROM images').all() as { id: number }[];
      expect(ids).toHaveLength(1);
      expect(loadMask(twice, ids[0]!.id)).not.toBeNull();
    } finally {
      twice.close();
    }
  }, 60_000);

  it('a label map is stored from its own pixels, never from PNGs made of another map', () => {
    const id = 1;
    const mask = loadMask(ws, id)!;
    const other = { ...mask, data: mask.data.map((v) => 1 - v) };
    saveLabelMap(ws, id, mask, 'drawn', { pngs: groundTruthPngs(other) });
    expect(loadMask(ws, id)).toEqual(mask);
    const mine = groundTruthPngs(mask);
    expect(mine.labelMap).toBeNull(); // 0/1: stored as the binary mask alone
    saveLabelMap(ws, id, other, 'drawn', { pngs: groundTruthPngs(other) });
    expect(loadLabelMap(ws, id)).toEqual(other);
  });
});
