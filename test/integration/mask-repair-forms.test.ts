import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../../src/main/imaging/mask';
import { sha256 } from '../../src/main/workspace/blobs';
import { loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { checkWorkspace } from '../../src/main/workspace/verify';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

// Masks were stored as adaptively filtered PNGs before they were stored unfiltered: a workspace
// imported then still has its lost masks made again from their source files by the repair.

describe('repairing a mask stored by an earlier encoder', () => {
  it('a lost mask in its adaptively filtered form is made again from its source file', async () => {
    const ws = Workspace.open(join(tempDir('mask-forms'), 'ws'), { create: true });
    try {
      const file = join(KVASIR_IMAGES, readdirSync(KVASIR_IMAGES).sort()[80]!);
      expect((await importImages(ws, { paths: [file], masks: KVASIR_MASKS })).masks).toBe(1);
      const { image_id: id, blob: current } = ws.db.prepare('SELECT image_id, blob FROM masks').get() as { image_id: number; blob: string };
      // The row as an import before the change left it: the adaptive PNG of the same 0/255 mask.
      const mask = loadMask(ws, id)!;
      const legacy = encodeGreyPng({ ...mask, data: mask.data.map((v) => v * 255) }, 'adaptive');
      const old = sha256(legacy);
      expect(old).not.toBe(current);
      ws.db.prepare('UPDATE masks SET blob = ? WHERE image_id = ?').run(old, id);
      rmSync(ws.blobs.path(current));

      const fixed = await checkWorkspace(ws, { repair: true });
      expect(fixed.problems.map((p) => [p.blob, p.state, p.repaired])).toEqual([[old, 'missing', expect.stringMatching(/read again from .*masks/)]]);
      expect(Buffer.compare(ws.blobs.get(old), legacy)).toBe(0);
      expect((await checkWorkspace(ws)).problems).toEqual([]);
    } finally {
      ws.close();
    }
  }, 60_000);
});
