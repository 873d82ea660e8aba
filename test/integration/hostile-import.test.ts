import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importImages } from '../../src/main/workspace/import';
import { listImages } from '../../src/main/workspace/images';
import { Workspace } from '../../src/main/workspace/workspace';
import type { ImportResult } from '../../src/shared/contract';
import { nativeDicom, pngWithHeader } from '../fixtures/hostile-files';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

const NON_UTF8 = Buffer.from([0x70, 0x6f, 0x6c, 0x79, 0x70, 0xe9, 0xff, 0x2e, 0x6a, 0x70, 0x67]); // "polyp\xe9\xff.jpg"

/** A folder with two good images among every kind of entry that used to stop, hang or crash an import. */
function hostileFolder(): { dir: string; good: string[] } {
  const root = tempDir('hostile');
  const dir = join(root, 'images');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const good = readdirSync(KVASIR_IMAGES).sort().slice(0, 2);
  copyFileSync(join(KVASIR_IMAGES, good[0]!), join(dir, good[0]!));
  copyFileSync(join(KVASIR_IMAGES, good[1]!), Buffer.concat([Buffer.from(join(dir, 'sub') + '/'), NON_UTF8]));
  execFileSync('mkfifo', [join(dir, 'a-fifo.dcm')]);
  symlinkSync('/dev/zero', join(dir, 'zeros.png'));
  symlinkSync(join(dir, 'nowhere.png'), join(dir, 'dangling.png'));
  symlinkSync(dir, join(dir, 'sub', 'loop'));
  writeFileSync(join(dir, 'huge-header.png'), pngWithHeader(0x7fffffff, 1));
  writeFileSync(join(dir, 'bomb-header.png'), pngWithHeader(30000, 30000));
  writeFileSync(join(dir, 'many-frames.dcm'), nativeDicom(1, 1, 100_000));
  return { dir, good };
}

describe('an import meets hostile files and goes on, per file', () => {
  let ws: Workspace;
  let result: ImportResult;
  let folder: { dir: string; good: string[] };

  beforeAll(async () => {
    folder = hostileFolder();
    ws = Workspace.open(join(tempDir('hostile-ws'), 'ws'), { create: true });
    result = await importImages(ws, { paths: [folder.dir] });
  }, 60_000);
  afterAll(() => ws.close());

  it('imports both good images, one of them under a name that is not UTF-8', () => {
    expect(result.imported).toBe(2);
    const paths = listImages(ws).images.map((i) => i.sourcePath);
    expect(paths.some((p) => p.endsWith(folder.good[0]!))).toBe(true);
    expect(paths.some((p) => p.endsWith('sub/polyp\\xe9\\xff.jpg'))).toBe(true);
  });

  it('reports every bad entry by name with a reason, and nothing else', () => {
    const byName = new Map(result.failed.map((f) => [f.file.slice(folder.dir.length + 1), f.error]));
    expect(byName.get('a-fifo.dcm')).toMatch(/named pipe \(FIFO\): skipped/);
    expect(byName.get('zeros.png')).toMatch(/character device: skipped/);
    expect(byName.get('dangling.png')).toMatch(/symbolic link whose target does not exist/);
    expect(byName.get('sub/loop')).toMatch(/already walked/);
    expect(byName.get('huge-header.png')).toMatch(/2147483647×1 .*above the limit/);
    expect(byName.get('bomb-header.png')).toMatch(/30000×30000 is 900 megapixels/);
    expect(byName.get('many-frames.dcm')).toMatch(/100000 frames, above the limit/);
    expect(byName.size).toBe(7);
    expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('a non-UTF-8 file named directly (its name decoded lossily, as argv does) is found and counted as the duplicate it is', async () => {
    const lossy = join(folder.dir, 'sub', NON_UTF8.toString('utf8'));
    const again = await importImages(ws, { paths: [lossy] });
    expect(again).toEqual({ imported: 0, duplicates: 1, masks: 0, failed: [] });
  });

  it('a path that does not exist is one failure naming it', async () => {
    const missing = join(folder.dir, 'no-such-folder');
    const r = await importImages(ws, { paths: [missing] });
    expect(r.failed).toEqual([{ file: missing, error: 'does not exist' }]);
  });
});

describe('concurrent imports of one folder into one workspace', () => {
  it('each counts what the other stored as duplicates: no false failures, every file stored once', async () => {
    const root = join(tempDir('concurrent'), 'ws');
    const a = Workspace.open(root, { create: true });
    const b = Workspace.open(root);
    const dir = join(DICOM_DIR, 'dicomParser/testImages');
    try {
      const [ra, rb] = await Promise.all([importImages(a, { paths: [dir] }), importImages(b, { paths: [dir] })]);
      const unique = (r: ImportResult) => r.failed.filter((f) => /UNIQUE/.test(f.error));
      expect(unique(ra)).toEqual([]);
      expect(unique(rb)).toEqual([]);
      const alone = await importImages(Workspace.open(join(tempDir('alone'), 'ws'), { create: true }), { paths: [dir] });
      expect(ra.imported + rb.imported).toBe(alone.imported);
      expect(ra.failed.length).toBe(alone.failed.length);
      expect(listImages(a).total).toBe(alone.imported);
    } finally {
      a.close();
      b.close();
    }
  }, 120_000);
});

describe('masks folder with a bad entry', () => {
  it('still attaches the masks it can read', async () => {
    const dir = join(tempDir('maskdir'), 'masks');
    mkdirSync(dir);
    const name = readdirSync(KVASIR_IMAGES).sort()[0]!;
    copyFileSync(join(KVASIR_MASKS, name), join(dir, name));
    execFileSync('mkfifo', [join(dir, 'zz-fifo.jpg')]);
    const ws = Workspace.open(join(tempDir('maskws'), 'ws'), { create: true });
    try {
      const r = await importImages(ws, { paths: [join(KVASIR_IMAGES, name)], masks: dir });
      expect(r.imported).toBe(1);
      expect(r.masks).toBe(1);
      expect(r.failed.map((f) => f.error)).toEqual([expect.stringMatching(/mask skipped: a named pipe/)]);
    } finally {
      ws.close();
    }
  });
});
