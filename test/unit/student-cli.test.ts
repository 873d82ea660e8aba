import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studentCommands } from '../../src/main/cli/student-commands';
import { decodeMaskPng } from '../../src/main/imaging/mask';
import { initStudentBackend } from '../../src/main/student/backend';
import { imageRecord } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { getRun } from '../../src/main/workspace/runs';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { SHARED_DATA } from '../helpers/data';

const DATA = join(SHARED_DATA, 'kvasir-seg');
const cmds = studentCommands();
let dir: string;
let wsPath: string;

beforeAll(async () => {
  await initStudentBackend({ prefer: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'apprentice-student-cli-'));
  wsPath = join(dir, 'ws');
  const ws = Workspace.open(wsPath, { create: true });
  const files = readdirSync(join(DATA, 'images'))
    .sort()
    .slice(40, 60)
    .map((f) => join(DATA, 'images', f));
  await importImages(ws, { paths: files, masks: join(DATA, 'masks') });
  createSplit(ws, { labeled: 1, val: 0.2, test: 0.2, seed: 2 });
  ws.close();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('student CLI', () => {
  let run: number;

  it('train --json prints one object: run, backend, epochs, best val Dice, test IoU/Dice mean and std', async () => {
    const flags = { epochs: '2', size: '64', batch: '4', lr: '1e-3', width: '8', blocks: '1,1,1,1', decoder: '32,16,8,8,4', seed: '3' };
    const r = (await cmds.train!.run([wsPath], flags, true)) as Record<string, unknown>;
    run = r.runId as number;
    expect(r).toMatchObject({ backend: 'onnxruntime-cpu', epochs: 2, stopped: 'max-epochs', test_std_kind: 'sample (n-1)' });
    for (const k of ['best_val_dice', 'test_iou_mean', 'test_iou_std', 'test_dice_mean', 'test_dice_std']) expect(typeof r[k]).toBe('number');
    expect(r.test_n).toBe(4);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON
  }, 120_000);

  it('--init-scheme chooses how fresh weights are drawn, and the run records it (PyTorch\'s by default)', async () => {
    const flags = { epochs: '1', size: '64', batch: '4', width: '8', blocks: '1,1,1,1', decoder: '32,16,8,8,4' };
    const smp = (await cmds.train!.run([wsPath], { ...flags, 'init-scheme': 'smp' }, true)) as Record<string, unknown>;
    const ws = Workspace.open(wsPath);
    try {
      expect(getRun(ws, run)!.config).toMatchObject({ initScheme: 'pytorch' });
      expect(getRun(ws, smp.runId as number)!.config).toMatchObject({ initScheme: 'smp' });
    } finally {
      ws.close();
    }
  }, 120_000);

  it('rejects bad settings as usage errors', async () => {
    await expect(cmds.train!.run([wsPath], { size: '100' }, true)).rejects.toThrow(/multiple of 32/);
    await expect(cmds.train!.run([wsPath], { blocks: '3,4' }, true)).rejects.toThrow(/blocks: four positive integers/);
    await expect(cmds.train!.run([wsPath], { engine: 'gpu' }, true)).rejects.toThrow(/--engine must be/);
    await expect(cmds.train!.run([wsPath], { 'init-scheme': 'xavier' }, true)).rejects.toThrow(/--init-scheme must be pytorch, smp, he \(got xavier\)/);
    await expect(cmds.train!.run([wsPath], { resume: String(run) }, true)).rejects.toThrow(/already done/);
  });

  it('pretrain --json prints the runId that train --init starts from', async () => {
    const model = { size: '64', width: '8', blocks: '1,1,1,1', decoder: '32,16,8,8,4', device: 'cpu' };
    const p = (await cmds.pretrain!.run([wsPath], { ...model, epochs: '1', batch: '4' }, true)) as Record<string, unknown>;
    expect(p).toMatchObject({ epochs: 1 });
    expect(typeof p.nt_xent).toBe('number');
    const t = (await cmds.train!.run([wsPath], { ...model, epochs: '1', batch: '4', init: String(p.runId) }, true)) as Record<string, unknown>;
    const ws = Workspace.open(wsPath);
    try {
      expect(getRun(ws, t.runId as number)!.config).toMatchObject({ initRun: p.runId, initRunKind: 'pretrain' });
    } finally {
      ws.close();
    }
    await expect(cmds.pretrain!.run([wsPath], { batch: '1' }, true)).rejects.toThrow(/at least 2 images/);
  }, 120_000);

  it('predict --mode fast writes masks at source resolution under <ws>/exports/', async () => {
    const r = (await cmds.predict!.run([wsPath], { mode: 'fast', run: String(run), images: '1,2' }, true)) as {
      dir: string;
      engine: string;
      images: { id: number; file: string; width: number; height: number }[];
    };
    expect(r.engine).toBe('onnx');
    expect(r.dir.startsWith(join(wsPath, 'exports'))).toBe(true);
    expect(r.images.map((i) => i.id)).toEqual([1, 2]);
    const ws = Workspace.open(wsPath);
    try {
      for (const im of r.images) {
        const rec = imageRecord(ws, im.id);
        const mask = decodeMaskPng(readFileSync(im.file));
        expect([mask.width, mask.height]).toEqual([rec.width, rec.height]);
      }
    } finally {
      ws.close();
    }
  }, 60_000);

  it('export-student writes an ONNX file that ONNX Runtime runs', async () => {
    const out = join(dir, 'student.onnx');
    const r = (await cmds['export-student']!.run([wsPath, out], { run: String(run) }, true)) as { file: string; bytes: number };
    expect(existsSync(out)).toBe(true);
    const session = await ort.InferenceSession.create(out);
    try {
      const res = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) });
      expect(res.probs!.dims).toEqual([1, 1, 64, 64]);
    } finally {
      await session.release();
    }
    expect(r.bytes).toBeGreaterThan(1000);
  });
});
