import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teacherCommands } from '../../src/main/cli/teacher-commands';
import { decodeMaskPng, type Mask } from '../../src/main/imaging/mask';
import { studentInferFrame, teacherFrame, type Box } from '../../src/main/imaging/geometry/frames';
import { EmbeddingCache, embeddingKeyId, flushEmbeddingWrites, type EmbeddingKey } from '../../src/main/teacher/embeddings';
import { DEFAULT_PROMPT_SETTINGS, promptsFromMap } from '../../src/main/teacher/prompts';
import { preprocessRecipe } from '../../src/main/teacher/preprocess';
import { addTeacherModel, type TeacherModel } from '../../src/main/teacher/registry';
import { imageEmbedding, releaseTeacherSessions, segmentFromMap, segmentImage, selectMask } from '../../src/main/teacher/segment';
import { imageRecord, listImages, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { POINT_RADIUS, writeFixturePair } from '../fixtures/sam-fixtures';
import { SHARED_DATA } from '../helpers/data';

const KVASIR = join(SHARED_DATA, 'kvasir-seg');

let dir: string;
let ws: Workspace;
let images: { id: number; width: number; height: number }[];
const models: Record<string, TeacherModel> = {};

/** The fixture's answer for a box prompt: source pixels whose centre lies strictly inside the box. */
function boxMask(w: number, h: number, b: Box): Mask {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x + 0.5 > b.x0 && x + 0.5 < b.x1 && y + 0.5 > b.y0 && y + 0.5 < b.y1 ? 1 : 0;
  return { width: w, height: h, data };
}

function iou(a: Mask, b: Mask): number {
  let inter = 0, union = 0;
  for (let i = 0; i < a.data.length; i++) {
    inter += a.data[i]! & b.data[i]!;
    union += a.data[i]! | b.data[i]!;
  }
  return union ? inter / union : 1;
}

function differing(a: Mask, b: Mask): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

/** Bitwise equal float arrays (a quick check; toEqual on a million values takes seconds). */
const sameValues = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

const boxFor = (im: { width: number; height: number }): Box => ({
  x0: Math.round(im.width * 0.2),
  y0: Math.round(im.height * 0.3),
  x1: Math.round(im.width * 0.7),
  y1: Math.round(im.height * 0.8),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apprentice-teacher-segment-'));
  ws = Workspace.open(join(dir, 'ws'), { create: true });
  const files = readdirSync(join(KVASIR, 'images')).sort().slice(0, 3).map((f) => join(KVASIR, 'images', f));
  const r = await importImages(ws, { paths: files, masks: join(KVASIR, 'masks') });
  expect(r.failed).toEqual([]);
  images = listImages(ws).images.map((i) => ({ id: i.id, width: i.width, height: i.height }));
  const fx = join(dir, 'fixtures');
  models.sam = await addTeacherModel(ws, writeFixturePair(fx, 'sam'));
  models.samHwc = await addTeacherModel(ws, writeFixturePair(fx, 'sam', { layout: 'hwc' }));
  models.samMulti = await addTeacherModel(ws, writeFixturePair(fx, 'sam', { multimask: true, tag: 'sam-multi' }));
  models.mobilesam = await addTeacherModel(ws, writeFixturePair(fx, 'mobilesam'));
  models.medsam = await addTeacherModel(ws, writeFixturePair(fx, 'medsam'));
});

afterAll(async () => {
  await releaseTeacherSessions();
  ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('teacher segment on Kvasir images (fixture teachers)', () => {
  it('returns the box prompt\'s mask at the source resolution, exactly', async () => {
    const cache = new EmbeddingCache();
    for (const im of images) {
      const box = boxFor(im);
      const r = await segmentImage(ws, im.id, { box }, { modelId: models.sam!.id, cache });
      expect(r.mask.width).toBe(im.width);
      expect(r.mask.height).toBe(im.height);
      expect(differing(r.mask, boxMask(im.width, im.height, box))).toBe(0);
      expect(r.area).toBe((box.x1 - box.x0) * (box.y1 - box.y0));
      expect(r.embedding).toBe('encoder');
      expect(r.encoderMs).toBeGreaterThan(0);
      expect(r.decoderMs).toBeGreaterThan(0);
      expect(r.iouPrediction).toBeGreaterThan(0.5);
      expect(r.iouPrediction).toBeLessThan(1);
      expect(r.device).toBe('cpu');
    }
    expect(cache.stats.encoderRuns).toBe(images.length);
  });

  it('caches the embedding: the second call does not run the encoder, a different encoder hash misses', async () => {
    const cache = new EmbeddingCache();
    const encoded: EmbeddingKey[] = [];
    cache.onEncode = (k) => encoded.push(k);
    const im = images[0]!;
    const first = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.sam!.id, cache });
    // the first test already stored this embedding on disk: found there, no encoder run
    expect(first.embedding).toBe('disk');
    expect(first.encoderMs).toBe(0);
    const second = await segmentImage(ws, im.id, { points: [{ x: im.width / 2, y: im.height / 2, label: 1 }] }, { modelId: models.sam!.id, cache });
    expect(second.embedding).toBe('memory');
    expect(second.encoderMs).toBe(0);
    expect(encoded).toEqual([]);
    expect(cache.stats).toMatchObject({ encoderRuns: 0, diskHits: 1, memoryHits: 1 });

    const other = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.mobilesam!.id, cache });
    expect(other.embedding).toBe('encoder');
    expect(encoded).toHaveLength(1);
    expect(encoded[0]!.encoderSha256).toBe(models.mobilesam!.files[0]!.sha256);
    expect(encoded[0]!.encoderSha256).not.toBe(models.sam!.files[0]!.sha256);
    // same answer from cached and fresh embeddings (iou depends on the embedding in the fixture)
    const fresh = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.sam!.id, cache: new EmbeddingCache() });
    expect(fresh.iouPrediction).toBe(first.iouPrediction);
  });

  it('a cached embedding needs no pixels: segmenting with it does not decode the image', async () => {
    const im = images[0]!;
    const box = boxFor(im);
    const source = ws.blobs.path(imageRecord(ws, im.id).source_blob);
    const cache = new EmbeddingCache();
    await imageEmbedding(ws, im.id, { modelId: models.sam!.id, cache }); // in memory and on disk
    const rgb = loadModelRgb(ws, im.id);
    renameSync(source, `${source}.away`);
    try {
      const fromMemory = await segmentImage(ws, im.id, { box }, { modelId: models.sam!.id, cache });
      expect(fromMemory.embedding).toBe('memory');
      const fromDisk = await segmentImage(ws, im.id, { box }, { modelId: models.sam!.id, cache: new EmbeddingCache() });
      expect(fromDisk.embedding).toBe('disk');
      expect(differing(fromDisk.mask, boxMask(im.width, im.height, box))).toBe(0);
      // A miss does need them — unless the caller hands them over.
      models.pixels = await addTeacherModel(ws, writeFixturePair(join(dir, 'pixels-fixtures'), 'sam', { seed: 40, tag: 'sam-pixels' }));
      await expect(segmentImage(ws, im.id, { box }, { modelId: models.pixels.id, cache: new EmbeddingCache() })).rejects.toThrow();
      const given = await segmentImage(ws, im.id, { box }, { modelId: models.pixels.id, cache: new EmbeddingCache(), rgb });
      expect(given.embedding).toBe('encoder');
      expect(differing(given.mask, boxMask(im.width, im.height, box))).toBe(0);
      const wrong = { width: rgb.width - 1, height: rgb.height, data: rgb.data };
      await expect(imageEmbedding(ws, im.id, { modelId: models.pixels.id, cache, rgb: wrong })).rejects.toThrow(/pixels given/);
    } finally {
      renameSync(`${source}.away`, source);
    }
  });

  it('stores a new embedding in the background (hash, blob, then index); lookups wait for it, a short blob is a miss', async () => {
    const im = images[1]!;
    // An encoder of its own, so the first lookup is a miss.
    const model = (models.store = await addTeacherModel(ws, writeFixturePair(join(dir, 'store-fixtures'), 'sam', { seed: 41, tag: 'sam-store' })));
    const key: EmbeddingKey = {
      imageSha256: imageRecord(ws, im.id).sha256,
      frameIndex: 0,
      encoderSha256: model.files.find((f) => f.part === 'encoder')!.sha256,
      recipe: preprocessRecipe('sam', 'nchw', 'float32'),
    };
    const first = await imageEmbedding(ws, im.id, { modelId: model.id, cache: new EmbeddingCache() });
    expect(first.embedding.source).toBe('encoder');
    expect(new EmbeddingCache().has(ws, key)).toBe(true); // known as stored from the moment the call returned
    // Another cache (its blob may still be on the way): found on disk, the same values.
    const again = await imageEmbedding(ws, im.id, { modelId: model.id, cache: new EmbeddingCache() });
    expect(again.embedding.source).toBe('disk');
    expect(sameValues(again.embedding.data, first.embedding.data)).toBe(true);
    await flushEmbeddingWrites();
    const indexDir = join(ws.blobs.root, 'teacher-embeddings');
    const blob = readdirSync(indexDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(indexDir, f), 'utf8')) as { blob: string; encoderSha256: string; imageSha256: string })
      .find((e) => e.encoderSha256 === key.encoderSha256 && e.imageSha256 === key.imageSha256)!.blob;
    const file = ws.blobs.path(blob);
    expect(statSync(file).size).toBe(256 * 64 * 64 * 4);
    expect(readdirSync(join(file, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // A blob cut short (a crash before its data reached the disk) reads as a miss and is rewritten.
    truncateSync(file, 1000);
    const cache = new EmbeddingCache();
    const redone = await imageEmbedding(ws, im.id, { modelId: model.id, cache });
    expect(redone.embedding.source).toBe('encoder');
    expect(sameValues(redone.embedding.data, first.embedding.data)).toBe(true);
    await flushEmbeddingWrites();
    expect(existsSync(file) && statSync(file).size).toBe(256 * 64 * 64 * 4);
    expect(cache.stats).toMatchObject({ encoderRuns: 1, diskHits: 0 });
  });

  it('an index entry never names a blob that is not fully on disk yet', async () => {
    const im = images[2]!;
    const model = models.sam!;
    const indexDir = join(ws.blobs.root, 'teacher-embeddings');
    await flushEmbeddingWrites();
    // Forget this image's embedding, if an earlier test stored it, so the call below runs the encoder.
    const key: EmbeddingKey = {
      imageSha256: imageRecord(ws, im.id).sha256,
      frameIndex: 0,
      encoderSha256: model.files.find((f) => f.part === 'encoder')!.sha256,
      recipe: preprocessRecipe('sam', 'nchw', 'float32'),
    };
    rmSync(join(indexDir, `${embeddingKeyId(key)}.json`), { force: true });
    const entries = () =>
      existsSync(indexDir)
        ? readdirSync(indexDir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => JSON.parse(readFileSync(join(indexDir, f), 'utf8')) as { blob: string; dims: number[] })
        : [];
    const complete = () =>
      entries().every((e) => existsSync(ws.blobs.path(e.blob)) && statSync(ws.blobs.path(e.blob)).size === e.dims.reduce((a, b) => a * b, 4));
    const before = entries().length;
    const e = await imageEmbedding(ws, im.id, { modelId: model.id, cache: new EmbeddingCache() });
    expect(e.embedding.source).toBe('encoder');
    // Right when the call returns, and while the write goes on, every entry's blob is complete.
    expect(complete()).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(complete()).toBe(true);
    await flushEmbeddingWrites();
    expect(complete()).toBe(true);
    expect(entries().length).toBe(before + 1);
  });

  it('a positive point gives the fixture\'s disc (radius 64 in the 1024 frame)', async () => {
    const im = images[1]!;
    const c = { x: Math.round(im.width / 2) + 0.5, y: Math.round(im.height / 2) + 0.5 };
    const r = await segmentImage(ws, im.id, { points: [{ ...c, label: 1 }] }, { modelId: models.sam!.id });
    const s = teacherFrame('sam', im.width, im.height).sx;
    const radius = POINT_RADIUS / s;
    expect(r.area / (Math.PI * radius * radius)).toBeCloseTo(1, 1);
    const at = (x: number, y: number) => r.mask.data[Math.floor(y) * im.width + Math.floor(x)];
    expect(at(c.x, c.y)).toBe(1);
    expect(at(c.x + radius * 0.9, c.y)).toBe(1);
    expect(at(c.x + radius * 1.1, c.y)).toBe(0);
  });

  it('picks the best of a multimask decoder by iou_predictions', async () => {
    const im = images[2]!;
    const single = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.sam!.id });
    const multi = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.samMulti!.id });
    expect(differing(multi.mask, single.mask)).toBe(0);
    expect(multi.iouPrediction).toBeCloseTo(single.iouPrediction, 6);
  });

  it('selects like SAM: 4-token decoders use token 0 for ≥3 points fed, else the best of 1–3', () => {
    expect(selectMask([0.9, 0.5, 0.8, 0.7], 2)).toBe(2); // one point + padding: token 0 is out
    expect(selectMask([0.1, 0.5, 0.8, 0.7], 3)).toBe(0); // box (2 corners) + a point
    expect(selectMask([0.5, 0.6, 0.9], 5)).toBe(2); // 3-mask export: best iou
    expect(selectMask([0.42], 1)).toBe(0);
  });

  it('an HWC encoder (normalising and padding inside) gives the same embedding as our NCHW preprocessing', async () => {
    const im = images[0]!;
    const cache = new EmbeddingCache();
    const a = await imageEmbedding(ws, im.id, { modelId: models.sam!.id, cache });
    const b = await imageEmbedding(ws, im.id, { modelId: models.samHwc!.id, cache });
    expect(b.embedding.dims).toEqual([1, 256, 64, 64]);
    let maxDiff = 0;
    for (let i = 0; i < a.embedding.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.embedding.data[i]! - b.embedding.data[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    const r = await segmentImage(ws, im.id, { box: boxFor(im) }, { modelId: models.samHwc!.id, cache });
    expect(differing(r.mask, boxMask(im.width, im.height, boxFor(im)))).toBe(0);
  });

  it('MedSAM: box prompts only, mask from low_res_masks resized to the image', async () => {
    const im = images[0]!;
    await expect(segmentImage(ws, im.id, { points: [{ x: 10, y: 10, label: 1 }] }, { modelId: models.medsam!.id })).rejects.toThrow(/needs a box prompt/);
    const box = boxFor(im);
    const r = await segmentImage(ws, im.id, { box }, { modelId: models.medsam!.id });
    expect(r.mask.width).toBe(im.width);
    expect(iou(r.mask, boxMask(im.width, im.height, box))).toBeGreaterThan(0.98);
  });

  it('from a student-frame probability map: one prompt per component, masks united', async () => {
    const im = images[1]!;
    const S = 224;
    const data = new Float32Array(S * S);
    for (let y = 20; y < 80; y++) for (let x = 20; x < 90; x++) data[y * S + x] = 0.9;
    for (let y = 130; y < 200; y++) for (let x = 120; x < 210; x++) data[y * S + x] = 0.8;
    const map = { width: S, height: S, data, frame: studentInferFrame(im.width, im.height, S), sourceWidth: im.width, sourceHeight: im.height };
    const prompts = promptsFromMap(map, { perComponent: true, points: 0 });
    expect(prompts).toHaveLength(2);
    const r = await segmentImage(ws, im.id, prompts, { modelId: models.sam!.id });
    const expected = boxMask(im.width, im.height, prompts[0]!.box!);
    const second = boxMask(im.width, im.height, prompts[1]!.box!);
    for (let i = 0; i < expected.data.length; i++) expected.data[i]! |= second.data[i]!;
    expect(differing(r.mask, expected)).toBe(0);
    // the single-box mode covers both lesions and the gap between them
    const merged = await segmentImage(ws, im.id, promptsFromMap(map, { points: 0 }), { modelId: models.sam!.id });
    expect(merged.area).toBeGreaterThan(r.area);
  });

  it('segmentFromMap: prompts from the map, recorded as JSON with their settings; nothing when the map is empty', async () => {
    const im = images[0]!;
    const S = 64;
    const data = new Float32Array(S * S);
    for (let y = 10; y < 30; y++) for (let x = 12; x < 40; x++) data[y * S + x] = 0.97;
    const map = { width: S, height: S, data, frame: studentInferFrame(im.width, im.height, S), sourceWidth: im.width, sourceHeight: im.height };
    const r = await segmentFromMap(ws, im.id, map, { seed: 5 }, { modelId: models.sam!.id });
    expect(r).not.toBeNull();
    expect(r!.settings).toEqual({ ...DEFAULT_PROMPT_SETTINGS, seed: 5 });
    expect(r!.prompts).toHaveLength(1);
    expect(r!.prompts[0]!.points).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(r!.prompts))).toEqual(r!.prompts);
    expect(r!.result.area).toBeGreaterThan(0);
    expect(await segmentFromMap(ws, im.id, { ...map, data: new Float32Array(S * S) }, {}, { modelId: models.sam!.id })).toBeNull();
  });

  it('refuses prompts outside the image and a workspace without a teacher', async () => {
    const im = images[0]!;
    await expect(segmentImage(ws, im.id, { points: [{ x: im.width + 5, y: 1, label: 1 }] }, { modelId: models.sam!.id })).rejects.toThrow(
      new RegExp(`outside the image \\(${im.width}×${im.height} pixels\\)`),
    );
    const empty = Workspace.open(join(dir, 'empty'), { create: true });
    try {
      await expect(segmentImage(empty, 1, { box: { x0: 0, y0: 0, x1: 1, y1: 1 } })).rejects.toThrow(/no teacher model in .*models add/);
    } finally {
      empty.close();
    }
  });
});

describe('teacher CLI commands', () => {
  const cli = teacherCommands();

  it('models list / add print ids', async () => {
    const listed = (await cli.models!.run(['list', ws.root], {}, true)) as { models: { id: number; family: string }[] };
    expect(listed.models.map((m) => m.id)).toEqual(Object.values(models).map((m) => m.id).sort((a, b) => a - b));
    const fx = writeFixturePair(join(dir, 'cli-fixtures'), 'mobilesam', { seed: 99 });
    const added = (await cli.models!.run(['add', ws.root], { encoder: fx.encoder, decoder: fx.decoder, family: 'mobilesam' }, true)) as { id: number; existing: boolean };
    expect(added.id).toBeGreaterThan(0);
    expect(added.existing).toBe(false);
    await expect(cli.models!.run(['add', ws.root], { encoder: fx.encoder, decoder: fx.decoder, family: 'sam3' }, true)).rejects.toThrow(/unknown teacher family/);
    await expect(cli.models!.run(['frobnicate', ws.root], {}, true)).rejects.toThrow(/add, list or check/);
  });

  it('segment prints area, iou_prediction, encoder_ms, decoder_ms and the mask PNG path', async () => {
    const im = images[2]!;
    const b = boxFor(im);
    const out = (await cli.segment!.run(
      [ws.root],
      { image: String(im.id), box: `${b.x0},${b.y0},${b.x1},${b.y1}`, point: [`${b.x0 + 10},${b.y0 + 10}`], model: String(models.sam!.id) },
      true,
    )) as { area: number; iou_prediction: number; encoder_ms: number; decoder_ms: number; mask: string };
    expect(out.area).toBeGreaterThanOrEqual((b.x1 - b.x0) * (b.y1 - b.y0));
    expect(out.iou_prediction).toBeGreaterThan(0.5);
    expect(typeof out.encoder_ms).toBe('number');
    expect(typeof out.decoder_ms).toBe('number');
    expect(out.mask.startsWith(join(ws.root, 'exports'))).toBe(true);
    const png = decodeMaskPng(readFileSync(out.mask));
    expect(png.width).toBe(im.width);
    expect(png.data.reduce((a, v) => a + v, 0)).toBe(out.area);
    await expect(cli.segment!.run([ws.root], { image: String(im.id), point: ['1,2,7'] }, true)).rejects.toThrow(/label must be 1/);
    await expect(cli.segment!.run([ws.root], { image: String(im.id) }, true)).rejects.toThrow(/at least one --point or a --box/);
    await expect(cli.segment!.run([ws.root], { image: String(im.id), box: '5,5,1,1' }, true)).rejects.toThrow(/x0 < x1/);
  });
});
