import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../src/main/imaging/geometry/frames';
import type { Mask } from '../../src/main/imaging/mask';
import type { Rgb } from '../../src/main/imaging/raster';
import { resizeRgb } from '../../src/main/imaging/geometry/pil-resize';
import { teacherCommands } from '../../src/main/cli/teacher-commands';
import { EmbeddingCache } from '../../src/main/teacher/embeddings';
import { fromHalfBits, toHalfBits } from '../../src/main/teacher/half';
import { addTeacherModel, checkTeacherFiles, listTeacherModels, type TeacherModel } from '../../src/main/teacher/registry';
import { areaResize, IMAGENET_MEAN, IMAGENET_STD, preprocessEfficientSam, preprocessLiteMedSam, preprocessSam2 } from '../../src/main/teacher/preprocess';
import { imageEmbedding, releaseTeacherSessions, segmentFromMap, segmentImage } from '../../src/main/teacher/segment';
import { studentInferFrame } from '../../src/main/imaging/geometry/frames';
import { blobReferences } from '../../src/main/workspace/blob-release';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { POINT_RADIUS, writeExternalDataEncoder, writeFixturePair, writeLayoutPair, type FixturePair } from '../fixtures/sam-fixtures';
import { SHARED_DATA } from '../helpers/data';

const KVASIR = join(SHARED_DATA, 'kvasir-seg');

let dir: string;
let ws: Workspace;
let im: { id: number; width: number; height: number };
const pairs: Record<string, FixturePair> = {};
const models: Record<string, TeacherModel> = {};

/** Source pixels whose centre lies strictly inside the box. */
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

const boxFor = (w: number, h: number): Box => ({ x0: Math.round(w * 0.2), y0: Math.round(h * 0.3), x1: Math.round(w * 0.7), y1: Math.round(h * 0.8) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apprentice-teacher-exports-'));
  const fx = join(dir, 'fixtures');
  for (const layout of ['efficientsam', 'litemedsam', 'sam2'] as const) pairs[layout] = writeLayoutPair(join(fx, layout), layout);
  pairs.efficientsamHalf = writeLayoutPair(join(fx, 'efficientsam-fp16'), 'efficientsam', { half: true });
  pairs.sam2Half = writeLayoutPair(join(fx, 'sam2-fp16'), 'sam2', { half: true });
  pairs.sam = writeFixturePair(fx, 'sam');
  ws = Workspace.open(join(dir, 'ws'), { create: true });
  const file = readdirSync(join(KVASIR, 'images')).sort()[0]!;
  const r = await importImages(ws, { paths: [join(KVASIR, 'images', file)], masks: join(KVASIR, 'masks') });
  expect(r.failed).toEqual([]);
  const i = listImages(ws).images[0]!;
  im = { id: i.id, width: i.width, height: i.height };
  for (const k of ['efficientsam', 'litemedsam', 'sam2', 'efficientsamHalf', 'sam2Half']) models[k] = await addTeacherModel(ws, pairs[k]!);
});

afterAll(async () => {
  await releaseTeacherSessions();
  ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('EfficientSAM, LiteMedSAM and SAM 2 recognised from their graphs', () => {
  it('names each layout with its real tensor names', async () => {
    const eff = await checkTeacherFiles(pairs.efficientsam!);
    expect(eff).toMatchObject({ layout: 'efficientsam', encoder: { input: 'batched_images', inputShape: ['batch', 3, 'height', 'width'] }, decoder: { maskCount: 3, masksAtOriginalSize: true } });
    expect(Object.keys(eff.decoder.inputs)).toEqual(['image_embeddings', 'batched_point_coords', 'batched_point_labels', 'orig_im_size']);
    const lite = await checkTeacherFiles(pairs.litemedsam!);
    expect(lite).toMatchObject({ family: 'medsam', layout: 'litemedsam', encoder: { input: 'image', inputShape: [1, 3, 256, 256] }, decoder: { maskCount: 1, masksAtOriginalSize: false } });
    const sam2 = await checkTeacherFiles(pairs.sam2!);
    expect(sam2).toMatchObject({ layout: 'sam2', encoder: { input: 'image', output: 'image_embed' }, decoder: { maskCount: 3 } });
    expect(sam2.encoder.outputs).toEqual([
      { name: 'image_embed', shape: [1, 256, 64, 64] },
      { name: 'high_res_feats_0', shape: [1, 32, 256, 256] },
      { name: 'high_res_feats_1', shape: [1, 64, 128, 128] },
    ]);
  });

  it("an EfficientSAM encoder with another maker's decoder is refused, every layout tried listed by the real names", async () => {
    const msg = await checkTeacherFiles({ family: 'sam', encoder: pairs.efficientsam!.encoder, decoder: pairs.sam!.decoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/efficientsam: input batched_point_coords float32 \[1,1,N,2\] is missing/);
    expect(msg).toMatch(/Layouts tried: segment-anything: input batched_images \[batch,3,height,width\] has a symbolic height\/width/);
    expect(msg).toMatch(/efficientsam: the encoder fits; decoder: /);
    expect(msg).toContain(pairs.efficientsam!.encoder);
  });

  it('a LiteMedSAM pair given as SAM weights is refused with the family that fits', async () => {
    await expect(checkTeacherFiles({ ...pairs.litemedsam!, family: 'sam' })).rejects.toThrow(/The pair is a litemedsam export .*add it with --family medsam/);
  });

  it('models check --json names the layout and the preprocessing that will be applied', async () => {
    const cli = teacherCommands();
    const eff = (await cli.models!.run(['check'], { ...pairs.efficientsam! }, true)) as Record<string, unknown>;
    expect(eff).toMatchObject({ ok: true, layout: 'efficientsam', takesBox: true });
    expect(eff.preprocessing).toMatch(/0\.\.1 \(x \/ 255\), no resize/);
    const lite = (await cli.models!.run(['check'], { ...pairs.litemedsam! }, true)) as Record<string, unknown>;
    expect(lite).toMatchObject({ layout: 'litemedsam', takesBox: true });
    expect(lite.prompts).toMatch(/box only/);
  });
});

describe('each fed as its makers feed it, masks from the prompts', () => {
  it('EfficientSAM: prompts in source pixels, int64 orig_im_size, the best of 3 full-size masks; at most 6 points', async () => {
    const box = boxFor(im.width, im.height);
    const r = await segmentImage(ws, im.id, { box }, { modelId: models.efficientsam!.id });
    expect(r.layout).toBe('efficientsam');
    expect(iou(r.mask, boxMask(im.width, im.height, box))).toBe(1); // full-size, evaluated at each pixel centre
    expect(r.translations).toEqual([null]);
    // a positive point outside the box: a disc of POINT_RADIUS source pixels around it
    const p = { x: 30.5, y: 30.5, label: 1 as const };
    const withPoint = await segmentImage(ws, im.id, { box, points: [p] }, { modelId: models.efficientsam!.id });
    expect(withPoint.mask.data[30 * im.width + 30]).toBe(1);
    expect(withPoint.mask.data[30 * im.width + 30 + POINT_RADIUS + 2]).toBe(0);
    // 6 points with the box corners: 4 points kept, the rest dropped and recorded
    const many = Array.from({ length: 6 }, (_, i) => ({ x: 10.5 + 20 * i, y: im.height - 10.5, label: 0 as const }));
    const cut = await segmentImage(ws, im.id, { box, points: many }, { modelId: models.efficientsam!.id });
    expect(cut.translations[0]).toMatchObject({ points: many.slice(0, 4), box, note: expect.stringMatching(/2 point\(s\) dropped .* at most 6 points/) });
  });

  it('LiteMedSAM: the box in the 256 frame, points dropped (recorded), a box required', async () => {
    const box = boxFor(im.width, im.height);
    const r = await segmentImage(ws, im.id, { box }, { modelId: models.litemedsam!.id });
    expect(r.layout).toBe('litemedsam');
    expect(iou(r.mask, boxMask(im.width, im.height, box))).toBeGreaterThan(0.97);
    const p = { x: 30.5, y: 30.5, label: 1 as const };
    const withPoint = await segmentImage(ws, im.id, { box, points: [p] }, { modelId: models.litemedsam!.id });
    expect(withPoint.translations[0]).toMatchObject({ points: [], box, note: expect.stringMatching(/points dropped .*box only/) });
    expect(withPoint.mask.data[30 * im.width + 30]).toBe(0);
    await expect(segmentImage(ws, im.id, { points: [p] }, { modelId: models.litemedsam!.id })).rejects.toThrow(/needs a box prompt/);
    // mining's points + box: the pseudo-label records what the model was fed
    const S = 32;
    const data = new Float32Array(S * S);
    for (let y = 8; y < 20; y++) for (let x = 8; x < 24; x++) data[y * S + x] = 0.9;
    const map = { width: S, height: S, data, frame: studentInferFrame(im.width, im.height, S), sourceWidth: im.width, sourceHeight: im.height };
    const mined = await segmentFromMap(ws, im.id, map, {}, { modelId: models.litemedsam!.id });
    expect(mined!.prompts[0]!.points.length).toBeGreaterThan(0);
    expect(mined!.prompts[0]!.fedAs).toMatchObject({ points: [], note: expect.stringMatching(/box only/) });
  });

  it('SAM 2: the stretched 1024 frame, best of 3 low-resolution masks; all three encoder outputs cached', async () => {
    const box = boxFor(im.width, im.height);
    const cache = new EmbeddingCache();
    const r = await segmentImage(ws, im.id, { box }, { modelId: models.sam2!.id, cache });
    expect(r.layout).toBe('sam2');
    expect(iou(r.mask, boxMask(im.width, im.height, box))).toBeGreaterThan(0.97);
    const e = await imageEmbedding(ws, im.id, { modelId: models.sam2!.id, cache: new EmbeddingCache() });
    expect(e.embedding.source).toBe('disk');
    expect(e.embedding.data.length).toBe(256 * 64 * 64 + 32 * 256 * 256 + 64 * 128 * 128);
    expect(cache.stats.encoderRuns).toBe(1);
  });

  it('fp16 exports: float16 inputs and outputs converted at the boundary, the same masks as float32', async () => {
    const half = await checkTeacherFiles(pairs.efficientsamHalf!);
    expect(half.encoder.inputType).toBe('float16');
    expect(half.decoder.halfInputs).toEqual(['image_embeddings', 'batched_point_coords', 'batched_point_labels']);
    const box = boxFor(im.width, im.height);
    // full-size masks agree exactly; low-resolution logits rounded to float16 may move a pixel on the edge
    for (const [k, full, agree] of [['efficientsamHalf', 'efficientsam', 1], ['sam2Half', 'sam2', 0.999]] as const) {
      const a = await segmentImage(ws, im.id, { box }, { modelId: models[k]!.id });
      const b = await segmentImage(ws, im.id, { box }, { modelId: models[full]!.id });
      expect(iou(a.mask, b.mask)).toBeGreaterThanOrEqual(agree);
      expect(a.iouPrediction).toBeCloseTo(b.iouPrediction, 2);
    }
  });

  it('float16 conversion rounds to nearest even, with overflow to infinity', () => {
    expect([1, -2, 65504, 2 ** -24, 0.5].map(toHalfBits)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3800]);
    expect(toHalfBits(1 / 3)).toBe(0x3555);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie: to even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555].map(fromHalfBits)).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125]);
  });
});

describe('weights in an external data file (ViT-H exports)', () => {
  it('stores the .onnx and its data file, both checksummed, and runs them from the store', async () => {
    const encoder = writeExternalDataEncoder(join(dir, 'external'));
    const w2 = Workspace.open(join(dir, 'ws-external'), { create: true });
    try {
      const file = readdirSync(join(KVASIR, 'images')).sort()[0]!;
      await importImages(w2, { paths: [join(KVASIR, 'images', file)] });
      const m = await addTeacherModel(w2, { ...pairs.sam!, encoder });
      const enc = m.files.find((f) => f.part === 'encoder')!;
      const dataFile = join(dir, 'external', 'external.encoder-fixture.onnx.data');
      expect(enc.externalData).toEqual([
        { location: 'external.encoder-fixture.onnx.data', sha256: createHash('sha256').update(readFileSync(dataFile)).digest('hex'), bytes: readFileSync(dataFile).length },
      ]);
      expect(blobReferences(w2, enc.externalData![0]!.sha256)).toBe(1);
      const id = listImages(w2).images[0]!.id;
      const r = await segmentImage(w2, id, { box: { x0: 50, y0: 50, x1: 200, y1: 150 } }, { modelId: m.id, cache: new EmbeddingCache() });
      expect(r.area).toBeGreaterThan(0);
      // the same files again: the same model
      expect((await addTeacherModel(w2, { ...pairs.sam!, encoder })).existing).toBe(true);
      expect(listTeacherModels(w2)).toHaveLength(1);
    } finally {
      await releaseTeacherSessions();
      w2.close();
    }
  });
});

describe('preprocessing golden tests', () => {
  it('EfficientSAM: the whole image, RGB / 255, as [1,3,H,W]', () => {
    const img: Rgb = { width: 3, height: 2, data: Uint8Array.from([0, 10, 20, 255, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 51, 102, 204]) };
    const input = preprocessEfficientSam(img);
    expect(input.dims).toEqual([1, 3, 2, 3]);
    const expected = [0, 255, 2, 5, 8, 51, 10, 128, 3, 6, 9, 102, 20, 1, 4, 7, 10, 204].map((v) => Math.fround(v / 255));
    expect([...input.data]).toEqual(expected);
    expect(input.frame).toMatchObject({ sx: 1, sy: 1, tx: 0, ty: 0 });
  });

  it("LiteMedSAM: cv2 INTER_AREA to longest side 256, min–max to [0,1], zero padding to 256×256", () => {
    // 3 → 2 pixels: out0 = (p0 + p1/2) / 1.5, out1 = (p1/2 + p2) / 1.5 (INTER_AREA's overlap weights)
    const row: Rgb = { width: 3, height: 1, data: Uint8Array.from([0, 0, 0, 90, 90, 90, 180, 180, 180]) };
    expect([...areaResize(row, 2, 1).data]).toEqual([30, 30, 30, 150, 150, 150]);
    const w = 512, h = 256, data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(x < 256 ? 10 : 210, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const input = preprocessLiteMedSam({ width: w, height: h, data });
    expect(input.dims).toEqual([1, 3, 256, 256]);
    const P = 256 * 256;
    for (let c = 0; c < 3; c++) {
      expect(input.data[c * P + 5 * 256 + 100]).toBe(0); // 10 → min
      expect(input.data[c * P + 5 * 256 + 200]).toBe(1); // 210 → max
      expect(input.data[c * P + 127 * 256 + 255]).toBe(1);
      expect(input.data[c * P + 128 * 256 + 200]).toBe(0); // padding below the 256×128 image
    }
    expect(input.frame).toMatchObject({ width: 256, height: 256, sx: 0.5, sy: 0.5 });
  });

  it('SAM 2: stretch to 1024×1024, rescale 1/255, ImageNet mean/std, no padding', () => {
    const w = 300, h = 200, data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) data.set([200, 100, 50], i * 3);
    const input = preprocessSam2({ width: w, height: h, data });
    const P = 1024 * 1024;
    // float32 at each step, as torchvision's ToTensor and Normalize compute it (a double quotient
    // rounded once differs in the last bit for about half the byte values)
    const f = Math.fround;
    const normalised = (v: number, c: number) => f(f(f(v / 255) - f(IMAGENET_MEAN[c]!)) / f(IMAGENET_STD[c]!));
    for (const at of [0, 1023, 1023 * 1024 + 1023]) {
      [200, 100, 50].forEach((v, c) => expect(input.data[c * P + at]).toBe(normalised(v, c)));
    }
    expect(input.frame).toMatchObject({ sx: 1024 / 300, sy: 1024 / 200 });
    // a gradient follows the antialiased bilinear stretch of the bytes
    const g: Rgb = { width: 50, height: 40, data: Uint8Array.from({ length: 50 * 40 * 3 }, (_, i) => (i * 7) % 256) };
    const stretched = resizeRgb(g, 1024, 1024, 'bilinear');
    const gi = preprocessSam2(g);
    expect(gi.data[P + 300 * 1024 + 700]).toBe(normalised(stretched.data[(300 * 1024 + 700) * 3 + 1]!, 1));
  });
});
