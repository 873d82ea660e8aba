import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingCache, flushEmbeddingWrites } from '../../src/main/teacher/embeddings';
import { addTeacherModel, TeacherModelError, type TeacherModel } from '../../src/main/teacher/registry';
import { imageEmbedding, releaseTeacherSessions } from '../../src/main/teacher/segment';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeHeavyEncoderFixture } from '../fixtures/heavy-encoder-fixture';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES, KVASIR_MASKS } from '../helpers/data';

let dir: string;
let ws: Workspace;
let imageId: number;
let heavy: TeacherModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apprentice-encoder-thread-'));
  ws = Workspace.open(join(dir, 'ws'), { create: true });
  const file = join(KVASIR_IMAGES, readdirSync(KVASIR_IMAGES).sort()[0]!);
  expect((await importImages(ws, { paths: [file], masks: KVASIR_MASKS })).failed).toEqual([]);
  imageId = listImages(ws).images[0]!.id;
  // The plain conv encoder fixture (tens of ms a run here): long enough to see the thread stay free.
  const encoder = writeHeavyEncoderFixture(join(dir, 'models')).path;
  heavy = await addTeacherModel(ws, { encoder, decoder: writeFixturePair(join(dir, 'fixtures'), 'sam').decoder, family: 'sam' });
});

/** An encoder run, not a cache hit: a fresh memory cache and no stored embeddings. */
async function encode(rgb?: { width: number; height: number; data: Uint8Array }) {
  await flushEmbeddingWrites();
  rmSync(join(ws.root, 'blobs', 'teacher-embeddings'), { recursive: true, force: true });
  return imageEmbedding(ws, imageId, { modelId: heavy.id, cache: new EmbeddingCache(), ...(rgb ? { rgb } : {}) });
}

afterAll(async () => {
  await releaseTeacherSessions();
  ws.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('encoder thread', () => {
  it('runs the encoder beside the JavaScript thread: timers keep firing during the run', async () => {
    await encode(); // opens the session
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    try {
      const start = performance.now();
      const p = await encode();
      const end = performance.now();
      expect(p.embedding.source).toBe('encoder');
      expect(p.embedding.dims).toEqual([1, 256, 64, 64]);
      // On this thread the run would hold every timer until it returned: a gap as long as the run.
      const marks = [start, ...ticks.filter((t) => t > start && t < end), end];
      const longestGap = Math.max(...marks.slice(1).map((t, i) => t - marks[i]!));
      expect(p.encoder!.runMs).toBeGreaterThan(20);
      expect(longestGap).toBeLessThan(p.encoder!.runMs / 2);
    } finally {
      clearInterval(timer);
    }
  });

  it('gives the same embedding after the thread is ended and started again', async () => {
    const a = await encode();
    await releaseTeacherSessions(); // ends the thread; the next run starts a new one
    const b = await encode();
    expect(b.embedding.source).toBe('encoder');
    expect(Buffer.compare(Buffer.from(a.embedding.data.buffer), Buffer.from(b.embedding.data.buffer))).toBe(0);
  });

  it('ending the thread waits for the run in flight, which completes; the next run starts a new thread', async () => {
    await flushEmbeddingWrites();
    rmSync(join(ws.root, 'blobs', 'teacher-embeddings'), { recursive: true, force: true });
    const inFlight = imageEmbedding(ws, imageId, { modelId: heavy.id, cache: new EmbeddingCache() });
    await new Promise((r) => setTimeout(r, 5)); // posted to the thread, running
    // Ending a thread inside onnxruntime's native run aborts the process: release must wait for it.
    await releaseTeacherSessions();
    expect((await inFlight).embedding.source).toBe('encoder');
    expect((await encode()).embedding.source).toBe('encoder');
  });

  it("brings the thread's failures back as the app's errors, and keeps working afterwards", async () => {
    // Pixels of the wrong size for the image, or too few bytes for their size: refused before the thread is asked.
    await expect(encode({ width: 2, height: 2, data: new Uint8Array(12) })).rejects.toThrow(/the pixels given for image \d+ are 2×2/);
    const rec = listImages(ws).images[0]!;
    await expect(encode({ width: rec.width, height: rec.height, data: new Uint8Array(3) })).rejects.toThrow(/3 bytes/);
    // An interface naming an output the encoder does not have (a damaged row): the thread's
    // TeacherModelError comes back as one, with its message.
    const row = ws.db.prepare('SELECT interface FROM models WHERE id = ?').get(heavy.id) as { interface: string };
    const broken = JSON.parse(row.interface);
    broken.encoder.output = 'no_such_output';
    delete broken.encoder.outputs;
    ws.db.prepare('UPDATE models SET interface = ? WHERE id = ?').run(JSON.stringify(broken), heavy.id);
    try {
      const failed = encode();
      await expect(failed).rejects.toBeInstanceOf(TeacherModelError);
      await expect(failed).rejects.toThrow(`teacher model ${heavy.id}: the encoder gave no no_such_output output`);
    } finally {
      ws.db.prepare('UPDATE models SET interface = ? WHERE id = ?').run(row.interface, heavy.id);
    }
    const again = await encode();
    expect(again.embedding.source).toBe('encoder');
  });
});
