import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teacherFrame, type Box } from '../../src/main/imaging/geometry/frames';
import type { Mask } from '../../src/main/imaging/mask';
import type { Rgb } from '../../src/main/imaging/raster';
import { resizeRgb } from '../../src/main/imaging/geometry/pil-resize';
import { samResizedSize } from '../../src/main/imaging/geometry/frames';
import { teacherCommands } from '../../src/main/cli/teacher-commands';
import { EmbeddingCache } from '../../src/main/teacher/embeddings';
import { addTeacherModel, checkTeacherFiles, type TeacherModel } from '../../src/main/teacher/registry';
import { preprocessForTeacher } from '../../src/main/teacher/preprocess';
import { imageEmbedding, releaseTeacherSessions, segmentFromMap, segmentImage } from '../../src/main/teacher/segment';
import { studentInferFrame } from '../../src/main/imaging/geometry/frames';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { POINT_RADIUS, TOKEN_OFFSETS, writeFixturePair, writeLayoutPair, writeSymbolicEncoder, type FixturePair } from '../fixtures/sam-fixtures';
import { SHARED_DATA } from '../helpers/data';

const KVASIR = join(SHARED_DATA, 'kvasir-seg');

let dir: string;
let ws: Workspace;
let im: { id: number; width: number; height: number };
const pairs: Record<string, FixturePair> = {};
const models: Record<string, TeacherModel> = {};

/** Source pixels whose centre lies strictly inside the box grown by `grow` source pixels (x) / `growY` (y). */
function boxMask(w: number, h: number, b: Box, grow = 0, growY = grow): Mask {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data[y * w + x] = x + 0.5 > b.x0 - grow && x + 0.5 < b.x1 + grow && y + 0.5 > b.y0 - growY && y + 0.5 < b.y1 + growY ? 1 : 0;
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
  dir = mkdtempSync(join(tmpdir(), 'apprentice-teacher-layouts-'));
  const fx = join(dir, 'fixtures');
  pairs.sam = writeFixturePair(fx, 'sam');
  pairs.samSelect = writeFixturePair(fx, 'sam', { tokens: 'select-1' });
  pairs.medsamSelect = writeFixturePair(fx, 'medsam', { tokens: 'select-1' });
  pairs.medsamAll4 = writeFixturePair(fx, 'medsam', { tokens: 'all-4' });
  pairs.medsamMulti3 = writeFixturePair(fx, 'medsam', { multimask: true });
  pairs.transformers = writeLayoutPair(join(fx, 'hf'), 'transformers-sam');
  pairs.edgesam = writeLayoutPair(join(fx, 'edge'), 'edgesam');
  ws = Workspace.open(join(dir, 'ws'), { create: true });
  const file = readdirSync(join(KVASIR, 'images')).sort()[0]!;
  const r = await importImages(ws, { paths: [join(KVASIR, 'images', file)], masks: join(KVASIR, 'masks') });
  expect(r.failed).toEqual([]);
  const i = listImages(ws).images[0]!;
  im = { id: i.id, width: i.width, height: i.height };
  for (const k of ['samSelect', 'medsamSelect', 'medsamAll4', 'transformers', 'edgesam']) models[k] = await addTeacherModel(ws, pairs[k]!);
});

afterAll(async () => {
  await releaseTeacherSessions();
  ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('layouts recognised from the graphs', () => {
  it('names the layout of each fixture pair, with its real input and output names', async () => {
    expect((await checkTeacherFiles(pairs.sam!)).layout).toBe('segment-anything');
    const hf = await checkTeacherFiles(pairs.transformers!);
    expect(hf.layout).toBe('transformers-sam');
    expect(hf.encoder.input).toBe('pixel_values');
    expect(hf.encoder.outputs!.map((o) => o.name)).toEqual(['image_embeddings', 'image_positional_embeddings']);
    expect(hf.decoder.maskCount).toBe(3);
    expect(hf.decoder.inputs.input_labels).toEqual(['batch_size', 'point_batch_size', 'nb_points_per_image']);
    const edge = await checkTeacherFiles(pairs.edgesam!);
    expect(edge.layout).toBe('edgesam');
    expect(edge.encoder.input).toBe('image');
    expect(edge.decoder.maskCount).toBe(4);
    expect(edge.decoder.masksAtOriginalSize).toBe(false);
  });

  it('refuses a [batch,3,height,width] encoder, listing each layout tried and why, by its real input name', async () => {
    const encoder = writeSymbolicEncoder(join(dir, 'symbolic'));
    const msg = await checkTeacherFiles({ ...pairs.sam!, encoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toContain(encoder);
    expect(msg).toMatch(/Layouts tried: segment-anything: input batched_images \[batch,3,height,width\] has a symbolic height\/width/);
    expect(msg).toMatch(/samexporter-hwc: input batched_images has shape \[batch,3,height,width\], not \[H,W,3\]/);
    expect(msg).toMatch(/transformers-sam: its input is batched_images, not pixel_values/);
    expect(msg).toMatch(/edgesam: input batched_images/);
  });

  it('refuses a decoder that fits no layout its encoder fits, listing them', async () => {
    const msg = await checkTeacherFiles({ family: 'sam', encoder: pairs.transformers!.encoder, decoder: pairs.edgesam!.encoder }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/decoder file .* does not fit the sam decoder interface of any layout its encoder fits: segment-anything: input image_embeddings float32 \[1,256,64,64\] is missing/);
    expect(msg).toMatch(/transformers-sam: input input_points float32 \[1,1,N,2\] is missing/);
    expect(msg).toMatch(/edgesam: /);
  });

  it('MedSAM: only segment-anything\'s layout, and a decoder that can return mask token 0', async () => {
    const msg = await checkTeacherFiles({ ...pairs.transformers!, family: 'medsam' }).then(
      () => '',
      (e: Error) => e.message,
    );
    // its encoder passes for segment-anything's (pixel_values is a fixed [batch,3,1024,1024]); its decoder does not
    expect(msg).toMatch(/does not fit the medsam decoder interface of any layout its encoder fits: segment-anything: input point_coords float32 \[1,N,2\] is missing/);
    expect(msg).toMatch(/samexporter-hwc, transformers-sam, edgesam not tried: medsam weights do not come in those layouts/);
    await expect(checkTeacherFiles(pairs.medsamMulti3!)).rejects.toThrow(/returns 3 masks: MedSAM runs with mask token 0/);
  });
});

describe('models check shows the layout and what it will be fed', () => {
  it('--json has a layout key naming it, the preprocessing and the prompt encoding', async () => {
    const cli = teacherCommands();
    const hf = (await cli.models!.run(['check'], { ...pairs.transformers! }, true)) as Record<string, unknown>;
    expect(hf).toMatchObject({ ok: true, layout: 'transformers-sam', takesBox: false });
    expect(hf.preprocessing).toMatch(/ImageNet mean 0\.485/);
    expect(hf.prompts).toMatch(/no box input/);
    const med = (await cli.models!.run(['check'], { ...pairs.medsamSelect! }, true)) as Record<string, unknown>;
    expect(med).toMatchObject({ layout: 'segment-anything', takesBox: true });
    expect(med.preprocessing).toMatch(/stretch to 1024×1024/);
    expect(med.prompts).toMatch(/mask token 0/);
    const listed = (await cli.models!.run(['list', ws.root], {}, true)) as { models: { layout: string }[] };
    expect(listed.models.map((m) => m.layout)).toEqual(['segment-anything', 'segment-anything', 'segment-anything', 'transformers-sam', 'edgesam']);
  });
});

describe('each layout fed as its makers feed it', () => {
  it('MedSAM box prompts get mask token 0, from the single-mask export (padding point added) and from the 4-mask one', async () => {
    const box = boxFor(im.width, im.height);
    const exact = boxMask(im.width, im.height, box);
    for (const k of ['medsamSelect', 'medsamAll4']) {
      const r = await segmentImage(ws, im.id, { box }, { modelId: models[k]!.id });
      expect(iou(r.mask, exact)).toBeGreaterThan(0.98);
    }
    // The same single-mask export under SAM's rule (box alone, no padding) keeps the best of tokens
    // 1–3, the box grown by TOKEN_OFFSETS[3]: the fixture tells the two apart.
    const sam = await segmentImage(ws, im.id, { box }, { modelId: models.samSelect!.id });
    const s = teacherFrame('sam', im.width, im.height);
    const grown = boxMask(im.width, im.height, box, TOKEN_OFFSETS[3] / s.sx, TOKEN_OFFSETS[3] / s.sy);
    expect(iou(sam.mask, grown)).toBeGreaterThan(0.98);
    expect(iou(sam.mask, exact)).toBeLessThan(0.9);
  });

  it('EdgeSAM: four low-resolution masks chosen by SAM\'s rule; no mask input', async () => {
    const box = boxFor(im.width, im.height);
    const s = teacherFrame('sam', im.width, im.height);
    const alone = await segmentImage(ws, im.id, { box }, { modelId: models.edgesam!.id });
    expect(alone.layout).toBe('edgesam');
    expect(iou(alone.mask, boxMask(im.width, im.height, box, TOKEN_OFFSETS[3] / s.sx, TOKEN_OFFSETS[3] / s.sy))).toBeGreaterThan(0.98);
    // a point inside the box makes 3 points fed: token 0, the exact box
    const c = { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2, label: 1 as const };
    const withPoint = await segmentImage(ws, im.id, { box, points: [c] }, { modelId: models.edgesam!.id });
    expect(iou(withPoint.mask, boxMask(im.width, im.height, box))).toBeGreaterThan(0.98);
    const map = { width: 4, height: 4, data: new Float32Array(16).fill(0.9), frame: studentInferFrame(im.width, im.height, 4), sourceWidth: im.width, sourceHeight: im.height };
    await expect(segmentImage(ws, im.id, { box, mask: { map } }, { modelId: models.edgesam!.id })).rejects.toThrow(/edgesam export has no mask input/);
  });

  it('transformers SAM: no box input — points kept, a box alone becomes its centre; the translation is recorded', async () => {
    const box = boxFor(im.width, im.height);
    const s = teacherFrame('sam', im.width, im.height).sx;
    const radius = POINT_RADIUS / s;
    const c = { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 };
    const alone = await segmentImage(ws, im.id, { box }, { modelId: models.transformers!.id, cache: new EmbeddingCache() });
    expect(alone.layout).toBe('transformers-sam');
    expect(alone.translations[0]!.note).toMatch(/box replaced by its centre/);
    expect(alone.area / (Math.PI * radius * radius)).toBeCloseTo(1, 1);
    expect(alone.mask.data[Math.floor(c.y) * im.width + Math.floor(c.x)]).toBe(1);
    const p = { x: box.x0 + 20.5, y: box.y0 + 20.5, label: 1 as const };
    const withPoint = await segmentImage(ws, im.id, { box, points: [p] }, { modelId: models.transformers!.id });
    expect(withPoint.translations[0]).toMatchObject({ box: null, points: [p] });
    expect(withPoint.mask.data[Math.floor(p.y) * im.width + Math.floor(p.x)]).toBe(1);
    expect(withPoint.mask.data[Math.floor(c.y) * im.width + Math.floor(c.x)]).toBe(0);
    // mining's prompts: the pseudo-label's provenance says what the model was fed
    const S = 32;
    const data = new Float32Array(S * S);
    for (let y = 8; y < 20; y++) for (let x = 8; x < 24; x++) data[y * S + x] = 0.9;
    const map = { width: S, height: S, data, frame: studentInferFrame(im.width, im.height, S), sourceWidth: im.width, sourceHeight: im.height };
    const mined = await segmentFromMap(ws, im.id, map, { points: 0 }, { modelId: models.transformers!.id });
    expect(mined!.prompts[0]!.box).not.toBeNull();
    expect(mined!.prompts[0]!.fedAs).toMatchObject({ box: null, note: expect.stringMatching(/no box input/) });
    // the positional embedding is cached with the image embedding
    const e = await imageEmbedding(ws, im.id, { modelId: models.transformers!.id });
    expect(e.embedding.data.length).toBe(2 * 256 * 64 * 64);
  });
});

describe('preprocessing golden tests: each layout against its documented rule', () => {
  const img: Rgb = (() => {
    const w = 300, h = 200, data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([(x * 7 + y) % 256, (y * 5) % 256, (x * y) % 256], (y * w + x) * 3);
    return { width: w, height: h, data };
  })();

  it("transformers' SamProcessor: longest side 1024, rescale 1/255, ImageNet mean/std, zero padding", () => {
    const input = preprocessForTeacher(img, 'sam', 'nchw');
    const size = samResizedSize(img.width, img.height);
    const resized = resizeRgb(img, size.width, size.height, 'bilinear');
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const P = 1024 * 1024;
    let worst = 0;
    for (const [x, y] of [[0, 0], [1023, 0], [500, 300], [1023, 682], [17, 600]] as const) {
      for (let c = 0; c < 3; c++) {
        const expected = (resized.data[(y * size.width + x) * 3 + c]! / 255 - mean[c]!) / std[c]!;
        worst = Math.max(worst, Math.abs(input.data[c * P + y * 1024 + x]! - expected));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    expect(size).toEqual({ width: 1024, height: 683 });
    for (let c = 0; c < 3; c++) expect(input.data[c * P + 683 * 1024 + 5]).toBe(0); // padding below the image
  });
});
