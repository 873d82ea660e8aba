import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/workspace/workspace';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, REPO, tempDir } from '../helpers/data';

const BIN = join(REPO, 'bin/apprentice.mjs');

function cli(...args: string[]): { code: number; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  const lines = r.stdout.trim().split('\n');
  expect(lines.length, `exactly one JSON object on stdout, got: ${r.stdout}`).toBe(1);
  return { code: r.status ?? -1, json: JSON.parse(lines[0]!), stderr: r.stderr };
}

describe('apprentice CLI', () => {
  it('prints help', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const c of ['init', 'import', 'split', 'status', 'list', 'serve', 'doctor']) expect(r.stdout).toContain(`  ${c}`);
  });

  it('init, import with a broken file, split, status and list, each one JSON object', () => {
    const dir = tempDir('cli');
    const ws = join(dir, 'ws');
    expect(cli('init', ws)).toMatchObject({ code: 0, json: { created: true } });
    const broken = join(dir, 'broken.jpg');
    writeFileSync(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    const files = ['cju0qkwl35piu0993l0dewei2.jpg', 'cju0qoxqj9q6s0835b43399p4.jpg'].map((f) => join(KVASIR_IMAGES, f));
    const ct = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
    const imp = cli('import', ws, ...files, ct, broken, '--masks', KVASIR_MASKS);
    expect(imp.code).toBe(0);
    expect(imp.json).toMatchObject({ imported: 3, duplicates: 0, masks: 2 });
    expect(imp.json.failed).toEqual([{ file: broken, error: expect.stringMatching(/cannot decode JPEG/) }]);
    const again = cli('import', ws, ...files, ct, '--masks', KVASIR_MASKS);
    expect(again.json).toEqual({ imported: 0, duplicates: 3, masks: 0, failed: [] });

    expect(cli('split', ws, '--labeled', '0.5', '--val', '0', '--test', '0', '--seed', '1').json).toMatchObject({
      counts: { labeled: 1, unlabeled: 2, val: 0, test: 0 },
    });
    const status = cli('status', ws).json;
    expect(status).toMatchObject({ images: 3, masks: 2, byFormat: { jpeg: 2, dicom: 1 } });
    const list = cli('list', ws).json.images as {
      id: number;
      sourcePath: string;
      format: string;
      width: number;
      split: string;
      hasMask: boolean;
    }[];
    expect(list).toHaveLength(3);
    expect(list.find((i) => i.sourcePath === ct)).toMatchObject({ format: 'dicom', width: 512, hasMask: false, split: 'unlabeled' });
  });

  it('reports errors as one JSON object with a non-zero exit', () => {
    const r = cli('status', join(tempDir('cli'), 'nope'));
    expect(r.code).toBe(1);
    expect(r.json.error).toMatch(/not an Apprentice workspace/);
    expect(cli('split', join(tempDir('cli'), 'x'), '--labeled', 'lots').code).toBe(2);
  });

  it('doctor reports versions, backends and providers', () => {
    const d = cli('doctor').json as { node: string; student: { usable: string[] }; teacher: { usable: string[] } };
    expect(d.node).toBe(process.versions.node);
    expect(d.student.usable).toContain('cpu');
    expect(d.teacher.usable).toContain('cpu');
  });

  it('a killed import leaves a consistent store and a re-run completes it', async () => {
    // 120 pairs copied to a temporary folder (never into the repo) keep the test quick.
    const dir = tempDir('kill');
    const [images, masks] = [join(dir, 'images'), join(dir, 'masks')];
    mkdirSync(images);
    mkdirSync(masks);
    const TOTAL = 120;
    for (const f of readdirSync(KVASIR_IMAGES).sort().slice(0, TOTAL)) {
      copyFileSync(join(KVASIR_IMAGES, f), join(images, f));
      copyFileSync(join(KVASIR_MASKS, f), join(masks, f));
    }
    const ws = join(dir, 'ws');
    cli('init', ws);
    const child = spawn(process.execPath, [BIN, 'import', ws, images, '--masks', masks, '--json'], { cwd: REPO, stdio: 'ignore' });
    // Kill it mid-way, once some images are in.
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const w = Workspace.open(ws);
      const n = (w.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
      w.close();
      if (n >= 10) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const w = Workspace.open(ws);
    expect(w.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const partial = w.db.prepare('SELECT COUNT(*) AS images, (SELECT COUNT(*) FROM masks) AS masks FROM images').get() as {
      images: number;
      masks: number;
    };
    w.close();
    expect(partial.images).toBeGreaterThanOrEqual(10);
    expect(partial.images).toBeLessThan(TOTAL);
    expect(partial.masks).toBe(partial.images); // image and its mask land together or not at all
    const rerun = cli('import', ws, images, '--masks', masks).json;
    expect(rerun).toMatchObject({ imported: TOTAL - partial.images, duplicates: partial.images, failed: [] });
    expect(cli('status', ws).json).toMatchObject({ images: TOTAL, masks: TOTAL });
  }, 300_000);

  it('a mining run killed mid-epoch resumes from its checkpoint with no half-written pseudo-label', async () => {
    const dir = tempDir('kill-mine');
    const [images, masks] = [join(dir, 'images'), join(dir, 'masks')];
    mkdirSync(images);
    mkdirSync(masks);
    for (const f of readdirSync(KVASIR_IMAGES).sort().slice(200, 224)) {
      copyFileSync(join(KVASIR_IMAGES, f), join(images, f));
      copyFileSync(join(KVASIR_MASKS, f), join(masks, f));
    }
    const ws = join(dir, 'ws');
    cli('init', ws);
    cli('import', ws, images, '--masks', masks);
    cli('split', ws, '--labeled', '0.5', '--val', '0.2', '--test', '0.2', '--seed', '1');
    const tiny = ['--size', '64', '--batch', '4', '--lr', '0.001', '--width', '8', '--blocks', '1,1,1,1', '--decoder', '32,16,8,8,4'];
    const base = cli('train', ws, ...tiny, '--epochs', '1');
    expect(base.code).toBe(0);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'mine',
        ws,
        '--schedule',
        'continuous',
        '--teacher',
        'oracle',
        '--base',
        String(base.json.runId),
        '--threshold',
        '0.3',
        ...tiny,
        '--epochs',
        '4',
        '--json',
      ],
      { cwd: REPO, stdio: 'ignore' },
    );
    // Kill it once the mining run has finished an epoch: the next one is under way.
    let runId = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const w = Workspace.open(ws);
      const row = w.db
        .prepare(`SELECT r.id FROM runs r JOIN metrics m ON m.run_id = r.id WHERE r.kind = 'mining-continuous' LIMIT 1`)
        .get() as { id: number } | undefined;
      w.close();
      if (row) {
        runId = row.id;
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const w = Workspace.open(ws);
    expect(w.db.pragma('integrity_check', { simple: true })).toBe('ok');
    for (const v of w.db.prepare('SELECT mask_blob FROM pseudo_labels').all() as { mask_blob: string }[])
      expect(w.blobs.has(v.mask_blob)).toBe(true);
    const epochsBefore = (w.db.prepare('SELECT MAX(epoch) AS e FROM metrics WHERE run_id = ?').get(runId) as { e: number }).e;
    w.close();
    expect(epochsBefore).toBeLessThan(4);
    const resumed = cli('mine', ws, '--resume', String(runId));
    expect(resumed.code).toBe(0);
    expect(resumed.json).toMatchObject({ runId, epochs: 4 });
  }, 300_000);
});
