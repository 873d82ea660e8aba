import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, deviceReport, probeDevices, resetDeviceMemory } from '../../src/main/onnx/device';
import { putFileStreaming } from '../../src/main/workspace/blob-stream';
import { addTeacherModel, checkTeacherFiles, getTeacherModel, listTeacherModels } from '../../src/main/teacher/registry';
import { libraryHasFile } from '../../src/main/workspace/model-library';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeBrokenFixtures, writeExternalDataEncoder, writeFixturePair, type FixturePair } from '../fixtures/sam-fixtures';

let dir: string;
let pairs: Record<string, FixturePair>;
let broken: ReturnType<typeof writeBrokenFixtures>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'apprentice-teacher-registry-'));
  pairs = {
    sam: writeFixturePair(dir, 'sam'),
    samHwc: writeFixturePair(dir, 'sam', { layout: 'hwc' }),
    samMulti: writeFixturePair(dir, 'sam', { multimask: true }),
    mobilesam: writeFixturePair(dir, 'mobilesam'),
    medsam: writeFixturePair(dir, 'medsam'),
  };
  broken = writeBrokenFixtures(join(dir, 'broken'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('teacher registry checks', () => {
  it('accepts each family\'s fixtures and records what it found', async () => {
    const sam = await checkTeacherFiles(pairs.sam!);
    expect(sam.family).toBe('sam');
    expect(sam.encoder).toMatchObject({ input: 'input_image', layout: 'nchw', inputType: 'float32', output: 'image_embeddings', outputShape: [1, 256, 64, 64] });
    expect(sam.decoder.maskCount).toBe(1);
    expect(sam.decoder.masksAtOriginalSize).toBe(true);
    expect(sam.decoder.inputs.point_coords).toEqual([1, 'num_points', 2]);
    expect(sam.checkedWith).toMatch(/^onnxruntime-node \d/);

    const hwc = await checkTeacherFiles(pairs.samHwc!);
    expect(hwc.encoder.layout).toBe('hwc');
    expect(hwc.encoder.inputShape).toEqual(['image_height', 'image_width', 3]);

    expect((await checkTeacherFiles(pairs.samMulti!)).decoder.maskCount).toBe(3);
    expect((await checkTeacherFiles(pairs.mobilesam!)).family).toBe('mobilesam');
    expect((await checkTeacherFiles(pairs.medsam!)).family).toBe('medsam');
  });

  it('refuses a wrong-shaped encoder, saying what was expected and found, naming the file', async () => {
    const err = await checkTeacherFiles({ ...pairs.sam!, encoder: broken.wrongEncoder }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain(broken.wrongEncoder);
    expect(msg).toMatch(/expected .*image_embeddings float32 \[1,256,64,64\]/i);
    expect(msg).toContain('found');
    expect(msg).toContain('[1,256,32,32]');
  });

  it('refuses a wrong-shaped decoder', async () => {
    const msg = await checkTeacherFiles({ ...pairs.sam!, decoder: broken.wrongDecoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toContain(broken.wrongDecoder);
    expect(msg).toContain('input image_embeddings should be float32 [1,256,64,64], found float32 [1,256,32,32]');
  });

  it('refuses the parts swapped', async () => {
    const msg = await checkTeacherFiles({ family: 'sam', encoder: pairs.sam!.decoder, decoder: pairs.sam!.encoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/encoder file .* does not fit the sam encoder interface: it has 6 inputs/);
  });

  it('refuses a truncated file', async () => {
    const msg = await checkTeacherFiles({ ...pairs.sam!, encoder: broken.truncated }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toContain(broken.truncated);
    expect(msg).toMatch(/damaged or truncated/);
  });

  it('refuses a non-ONNX file and a PyTorch checkpoint', async () => {
    const msg = await checkTeacherFiles({ ...pairs.sam!, decoder: broken.notOnnx }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toContain(`decoder file ${broken.notOnnx} is not an ONNX model (it is a text file)`);
    expect(msg).not.toContain('this is'); // the file's bytes are never echoed
    const pt = await checkTeacherFiles({ ...pairs.sam!, encoder: broken.pytorch }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(pt).toMatch(/PyTorch checkpoint/);
    const missing = await checkTeacherFiles({ ...pairs.sam!, encoder: join(dir, 'nope.onnx') }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(missing).toMatch(/nope\.onnx does not exist/);
  });

  it('refuses an encoder that does not fit the family (MedSAM takes a [1,3,1024,1024] image) and unknown families', async () => {
    const msg = await checkTeacherFiles({ family: 'medsam', encoder: pairs.samHwc!.encoder, decoder: pairs.medsam!.decoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/does not fit the medsam encoder interface/);
    await expect(checkTeacherFiles({ ...pairs.sam!, family: 'sam2' })).rejects.toThrow(/unknown teacher family "sam2"/);
    await expect(checkTeacherFiles({ ...pairs.sam!, encoder: broken.fixedHwcEncoder })).rejects.toThrow(/\[1024,1024,3\] has a fixed height\/width/);
  });
});

describe('teacher models in a workspace', () => {
  it('adds a model: files copied into the model library by SHA-256, recorded in models, idempotent', async () => {
    const wsDir = join(dir, 'ws');
    const ws = Workspace.open(wsDir, { create: true });
    try {
      const m = await addTeacherModel(ws, { ...pairs.sam!, name: 'fixture teacher' });
      expect(m.id).toBeGreaterThan(0);
      expect(m.existing).toBe(false);
      expect(m.files.map((f) => f.part)).toEqual(['encoder', 'decoder']);
      for (const f of m.files) {
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(libraryHasFile(f.sha256)).toBe(true); // the machine's model library holds the files now, not the workspace
        expect(f.bytes).toBeGreaterThan(0);
      }
      const again = await addTeacherModel(ws, pairs.sam!);
      expect(again.existing).toBe(true);
      expect(again.id).toBe(m.id);
      const med = await addTeacherModel(ws, pairs.medsam!);
      expect(med.name).toMatch(/^medsam /);
      expect(listTeacherModels(ws).map((x) => [x.id, x.family])).toEqual([
        [m.id, 'sam'],
        [med.id, 'medsam'],
      ]);
      expect(getTeacherModel(ws).id).toBe(med.id);
      expect(getTeacherModel(ws, m.id).interface.encoder.layout).toBe('nchw');
      expect(() => getTeacherModel(ws, 999)).toThrow(/no teacher model with id 999/);
      const row = ws.db.prepare('SELECT role, family, files, interface FROM models WHERE id = ?').get(m.id) as Record<string, string>;
      expect(row.role).toBe('teacher');
      expect(JSON.parse(row.files)[0]).toMatchObject({ part: 'encoder', path: pairs.sam!.encoder });
      // no temporary files left behind in the store
      expect(readdirSync(ws.blobs.root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // a refused model leaves no row
      await expect(addTeacherModel(ws, { ...pairs.sam!, encoder: broken.truncated })).rejects.toThrow(/truncated/);
      expect(listTeacherModels(ws)).toHaveLength(2);
    } finally {
      ws.close();
    }
    expect(existsSync(join(wsDir, 'project.sqlite'))).toBe(true);
  });
});

describe('big files', () => {
  it('streams a file into the blob store, hashing while copying, and spots a pattern across chunk edges', async () => {
    const ws = Workspace.open(join(dir, 'ws-stream'), { create: true });
    try {
      const big = Buffer.alloc((4 << 20) + 1000, 7);
      const mark = Buffer.from('\x0a\x08location', 'latin1');
      mark.copy(big, (4 << 20) - 4); // straddles the 4 MiB read boundary
      const file = join(dir, 'big.bin');
      writeFileSync(file, big);
      const r = await putFileStreaming(ws.blobs, file, { watch: mark });
      expect(r).toMatchObject({ sha256: createHash('sha256').update(big).digest('hex'), bytes: big.length, existed: false, watchFound: true });
      expect(readFileSync(ws.blobs.path(r.sha256)).equals(big)).toBe(true);
      const again = await putFileStreaming(ws.blobs, file);
      expect(again).toMatchObject({ existed: true, watchFound: false });
      expect(readdirSync(ws.blobs.root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('keeps a model with external-data weights together with its data file (both checksummed); a missing data file is refused', async () => {
    const encoder = writeExternalDataEncoder(join(dir, 'external'));
    expect((await checkTeacherFiles({ ...pairs.sam!, encoder })).encoder.layout).toBe('nchw');
    const ws = Workspace.open(join(dir, 'ws-external'), { create: true });
    try {
      const m = await addTeacherModel(ws, { ...pairs.sam!, encoder });
      expect(m.files.find((f) => f.part === 'encoder')!.externalData).toMatchObject([{ location: 'external.encoder-fixture.onnx.data' }]);
      const lonely = join(dir, 'external-lonely');
      mkdirSync(lonely, { recursive: true });
      copyFileSync(encoder, join(lonely, 'external.encoder-fixture.onnx'));
      const ws2 = Workspace.open(join(dir, 'ws-external-2'), { create: true });
      try {
        await expect(addTeacherModel(ws2, { ...pairs.sam!, encoder: join(lonely, 'external.encoder-fixture.onnx') })).rejects.toThrow(/external-data file .*beside it/);
        expect(listTeacherModels(ws2)).toEqual([]);
        // nothing left in the store but the folder itself
        expect(readdirSync(ws2.blobs.root).filter((f) => /^[0-9a-f]{2}$/.test(f)).flatMap((d) => readdirSync(join(ws2.blobs.root, d)))).toEqual([]);
      } finally {
        ws2.close();
      }
    } finally {
      ws.close();
    }
  });
});

describe('teacher devices', () => {
  it('reports CPU always, CUDA only when it really opens, and falls back to CPU', async () => {
    const fast = await deviceReport();
    expect(fast.usable).toContain('cpu');
    const probed = await probeDevices();
    expect(probed.usable).toContain('cpu');
    const s = await createSession(pairs.sam!.decoder, 'auto');
    expect(['cuda', 'cpu']).toContain(s.device);
    if (s.device === 'cpu' && !fast.usable.includes('cuda')) expect(fast.notes.join(' ')).toMatch(/cuda/);
    await s.session.release();
    if (!probed.usable.includes('cuda')) {
      await expect(createSession(pairs.sam!.decoder, 'cuda')).rejects.toThrow(/CUDA provider was requested but failed/);
      // the real attempt (no static shortcut): ORT throws, we catch it and open on CPU, saying why
      resetDeviceMemory();
      const fallback = await createSession(pairs.sam!.decoder, 'auto', { staticCheck: false });
      expect(fallback.device).toBe('cpu');
      expect(fallback.notes.join(' ')).toMatch(/^cuda: not used/);
      await fallback.session.release();
      // remembered: the next session does not try again
      const next = await createSession(pairs.sam!.decoder, 'auto', { staticCheck: false });
      expect(next.notes.join(' ')).toMatch(/cuda: not used/);
      await next.session.release();
      expect((await deviceReport()).notes.join(' ')).toMatch(/cuda/);
      resetDeviceMemory();
    }
  });
});
