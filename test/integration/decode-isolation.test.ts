import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_HOOK_MARKERS, TEST_HOOKS_ENV } from '../../src/main/imaging/decode-protocol';
import { encodePngRgb } from '../../src/main/imaging/raster';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import type { ImportResult } from '../../src/shared/contract';
import { KVASIR_IMAGES, SHARED_DATA, tempDir } from '../helpers/data';

// Decoding runs in a child process: a codec that aborts the process, loops forever or exhausts the
// heap must cost that one file, never the import or the process running it (the host, the CLI).
// The decode process misbehaves on files carrying a test marker, as a native codec bug would.

const TIMEOUT_S = 8;

/** A valid 4×4 PNG with a marker after IEND (decoders ignore trailing bytes; the test hook does not). */
function markedPng(marker: string): Buffer {
  const png = encodePngRgb({ width: 4, height: 4, data: new Uint8Array(48).fill(128) });
  return Buffer.concat([png, Buffer.from(marker, 'latin1')]);
}

describe('a decoder that dies or hangs fails one file; the import and its process go on', () => {
  let ws: Workspace;
  let result: ImportResult;
  let dir: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const [k, v] of Object.entries({
      [TEST_HOOKS_ENV]: '1',
      APPRENTICE_DECODE_TIMEOUT_S: String(TIMEOUT_S),
      APPRENTICE_DECODE_HEAP_MB: '128',
    })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const root = tempDir('decode-isolation');
    dir = join(root, 'images');
    const masks = join(root, 'masks');
    mkdirSync(dir);
    mkdirSync(masks);
    const good = readdirSync(KVASIR_IMAGES).sort().slice(0, 4);
    ['a', 'c', 'e', 'g'].forEach((p, i) => copyFileSync(join(KVASIR_IMAGES, good[i]!), join(dir, `${p}-good.jpg`)));
    writeFileSync(join(dir, 'b-abort.png'), markedPng(TEST_HOOK_MARKERS.abort));
    writeFileSync(join(dir, 'd-hang.png'), markedPng(TEST_HOOK_MARKERS.hang));
    writeFileSync(join(dir, 'f-oom.png'), markedPng(TEST_HOOK_MARKERS.oom));
    copyFileSync(join(SHARED_DATA, 'dicom-seg/CT_small.dcm'), join(dir, 'h-good.dcm'));
    // The mask of a good image kills the decoder: the image still imports, the mask is reported.
    writeFileSync(join(masks, 'c-good.png'), markedPng(TEST_HOOK_MARKERS.abort));
    ws = Workspace.open(join(root, 'ws'), { create: true });
    result = await importImages(ws, { paths: [dir], masks });
  }, 120_000);

  afterAll(() => {
    ws.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('imports every good file, before and after each failure, DICOM included', () => {
    expect(result.imported).toBe(5);
    const names = listImages(ws).images.map((i) => i.sourcePath.split('/').pop());
    expect(names.sort()).toEqual(['a-good.jpg', 'c-good.jpg', 'e-good.jpg', 'g-good.jpg', 'h-good.dcm']);
    expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('names each file the decoder could not survive, with what happened to it', () => {
    const byName = new Map(result.failed.map((f) => [f.file.split('/').slice(-2).join('/'), f.error]));
    expect(byName.get('images/b-abort.png')).toBe('cannot decode PNG: the decoder crashed on this file (signal SIGABRT)');
    expect(byName.get('images/d-hang.png')).toBe(
      `cannot decode PNG: the decoder took longer than ${TIMEOUT_S} s on this file and was stopped (APPRENTICE_DECODE_TIMEOUT_S)`,
    );
    expect(byName.get('images/f-oom.png')).toMatch(/^cannot decode PNG: the decoder ran out of memory on this file \(heap limit 128 MB/);
    expect(byName.get('masks/c-good.png')).toBe('cannot read mask: the decoder crashed on this file (signal SIGABRT)');
    expect(byName.size).toBe(4);
  });

  it('a failed file fails again on a re-run, and nothing else changes', async () => {
    const again = await importImages(ws, { paths: [join(dir, 'b-abort.png'), join(dir, 'a-good.jpg')] });
    expect(again.imported).toBe(0);
    expect(again.duplicates).toBe(1);
    expect(again.failed.map((f) => f.error)).toEqual(['cannot decode PNG: the decoder crashed on this file (signal SIGABRT)']);
    expect(listImages(ws).total).toBe(5);
  });
});
