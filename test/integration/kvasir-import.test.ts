import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRaster } from '../../src/main/imaging/raster';
import { decodeMaskFile } from '../../src/main/imaging/mask';
import { listImages, loadMask, loadModelRgb, workspaceStatus } from '../../src/main/workspace/images';
import type { ImportResult } from '../../src/shared/contract';
import { importImages } from '../../src/main/workspace/import';
import { createSplit, splitMembers, trainingMasksVisible } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

describe('Kvasir-SEG import (all 900 pairs)', () => {
  let ws: Workspace;
  let first: ImportResult;

  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('kvasir'), 'ws'), { create: true });
    first = await importImages(ws, { paths: [KVASIR_IMAGES], masks: KVASIR_MASKS });
  }, 600_000);
  afterAll(() => ws.close());

  it('imports 900 images and 900 masks, nothing failed', () => {
    expect(first.failed).toEqual([]);
    expect(first.imported).toBe(900);
    expect(first.masks).toBe(900);
    const status = workspaceStatus(ws);
    expect(status.images).toBe(900);
    expect(status.masks).toBe(900);
    expect(status.byFormat).toEqual({ jpeg: 900 });
  });

  it('a second import adds nothing', async () => {
    const again = await importImages(ws, { paths: [KVASIR_IMAGES], masks: KVASIR_MASKS });
    expect(again).toEqual({ imported: 0, duplicates: 900, masks: 0, failed: [] });
    expect(workspaceStatus(ws).images).toBe(900);
    expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('keeps pixels and thresholded masks exactly', () => {
    const rows = listImages(ws).images;
    const row = rows[123]!;
    const name = row.sourcePath.split('/').pop()!;
    const rgb = loadModelRgb(ws, row.id);
    const original = decodeRaster(new Uint8Array(readFileSync(join(KVASIR_IMAGES, name))));
    expect(rgb.width).toBe(original.width);
    expect(Buffer.compare(Buffer.from(rgb.data), Buffer.from(original.data))).toBe(0);
    const mask = loadMask(ws, row.id)!;
    const expected = decodeMaskFile(new Uint8Array(readFileSync(join(KVASIR_MASKS, name))));
    expect(mask.width).toBe(rgb.width);
    expect(mask.height).toBe(rgb.height);
    expect(Buffer.compare(Buffer.from(mask.data), Buffer.from(expected.data))).toBe(0);
    const area = mask.data.reduce((a, b) => a + b, 0);
    expect(area).toBeGreaterThan(0);
    expect(area).toBeLessThan(mask.data.length);
  });

  it('splits reproducibly by seed, hiding unlabeled labels from training', () => {
    const a = createSplit(ws, { labeled: 0.5, val: 0.1, test: 0.1, seed: 7 });
    const b = createSplit(ws, { labeled: 0.5, val: 0.1, test: 0.1, seed: 7 });
    const c = createSplit(ws, { labeled: 0.5, val: 0.1, test: 0.1, seed: 8 });
    expect(a.counts).toEqual({ val: 90, test: 90, labeled: 360, unlabeled: 360 });
    for (const subset of ['labeled', 'unlabeled', 'val', 'test'] as const) {
      expect(splitMembers(ws, b.id, subset)).toEqual(splitMembers(ws, a.id, subset));
    }
    expect(splitMembers(ws, c.id, 'test')).not.toEqual(splitMembers(ws, a.id, 'test'));
    expect(trainingMasksVisible('unlabeled')).toBe(false);
    expect(trainingMasksVisible('labeled')).toBe(true);
    // Labels of unlabeled images are kept in the store.
    const hidden = splitMembers(ws, a.id, 'unlabeled')[0]!;
    expect(loadMask(ws, hidden)).not.toBeNull();
  });
});
