import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractiveSegmentOutput, SegmentOutput } from '../../src/shared/contract';
import { decodeCompactMask } from '../../src/shared/compact-mask';
import { decodeMaskPng } from '../../src/main/imaging/mask';
import { ApiService } from '../../src/main/services/api';
import { embeddingCache } from '../../src/main/teacher/embeddings';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair, writeLayoutPair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES, tempDir } from '../helpers/data';

// The Viewer's prompt path: the same mask as `segment`, without a PNG or a data URL on the wire,
// and background precompute that never takes a prompt's place.

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(0, 3);

describe('interactive SAM prompts through the API (Kvasir-SEG, fixture teachers)', () => {
  let ws: Workspace;
  let api: ApiService;
  let ids: number[];
  const call = <T>(name: string, input: unknown) => api.dispatch(name, input) as Promise<T>;
  const pngOf = (r: SegmentOutput) => decodeMaskPng(Buffer.from(r.maskDataUrl.split(',')[1]!, 'base64'));
  const prompt = { points: [{ x: 200, y: 180, label: 1 }], box: { x0: 120, y0: 100, x1: 380, y1: 330 } };

  beforeAll(async () => {
    const root = join(tempDir('interactive'), 'ws');
    ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: FILES.map((f) => join(KVASIR_IMAGES, f)) });
    ws.close();
    api = new ApiService('websocket');
    await call('workspace.open', { path: root });
    ids = (await call<ReturnType<typeof listImages>>('images.list', {})).images.map((i) => i.id);
  });

  afterAll(() => api.close());

  it('a low-resolution layout: the compact answer decodes to exactly the full path\'s mask, and nothing on the wire is an image', async () => {
    const pair = writeLayoutPair(join(tempDir('interactive-models'), 'edgesam'), 'edgesam');
    const model = await call<{ id: number }>('models.add', { ...pair, family: 'sam' });
    const full = await call<SegmentOutput>('segment', { imageId: ids[0], ...prompt, modelId: model.id });
    const lean = await call<InteractiveSegmentOutput>('segment.interactive', { imageId: ids[0], ...prompt, modelId: model.id });
    const wire = JSON.stringify(lean);
    expect(wire).not.toMatch(/data:|image\/png|iVBORw0KGgo/); // no data URL, no PNG (its base64 signature)
    expect(wire.length).toBeLessThan(20_000);
    expect(lean.encoderMs).toBe(0); // the embedding was cached by the first call
    const png = pngOf(full);
    expect([lean.mask.width, lean.mask.height]).toEqual([png.width, png.height]);
    expect(decodeCompactMask(lean.mask)).toEqual(png.data);
    expect(lean.area).toBe(full.area);
    expect(lean.area).toBeGreaterThan(1000);
    expect(lean.teacher).toEqual(full.teacher);
  });

  it("SAM's layout: the decoder's full-size upscaling is left out; the mask differs from the full path only on its boundary", async () => {
    const pair = writeFixturePair(join(tempDir('interactive-models'), 'sam'), 'mobilesam', { tokens: 'all-4' });
    const model = await call<{ id: number }>('models.add', { ...pair, family: 'mobilesam' });
    const full = pngOf(await call<SegmentOutput>('segment', { imageId: ids[0], ...prompt, modelId: model.id }));
    const lean = await call<InteractiveSegmentOutput>('segment.interactive', { imageId: ids[0], ...prompt, modelId: model.id });
    expect(JSON.stringify(lean)).not.toMatch(/data:|image\/png|iVBORw0KGgo/);
    const mask = decodeCompactMask(lean.mask);
    const { width: w, height: h } = full;
    let differ = 0;
    let area = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        area += full.data[i]!;
        if (mask[i] === full.data[i]) continue;
        differ++;
        // a differing pixel has a neighbour within 2 pixels on the other side of the full path's boundary
        let nearEdge = false;
        for (let dy = -2; dy <= 2 && !nearEdge; dy++)
          for (let dx = -2; dx <= 2; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && xx >= 0 && yy < h && xx < w && full.data[yy * w + xx] !== full.data[i]) nearEdge = true;
          }
        expect(nearEdge).toBe(true);
      }
    }
    expect(area).toBeGreaterThan(1000);
    expect(differ / area).toBeLessThan(0.02);
  });

  it('a prompt goes first: queued background embeddings wait until prompts are quiet, and its own image leaves the queue', async () => {
    const pair = writeFixturePair(join(tempDir('interactive-models'), 'sam-bg'), 'sam', { seed: 11 });
    const model = await call<{ id: number }>('models.add', { ...pair, family: 'sam' });
    const encoded: string[] = [];
    embeddingCache.onEncode = (k) => encoded.push(`${k.imageSha256}:${k.frameIndex}`);
    try {
      expect(await call('segment.precompute', { imageIds: [ids[1], ids[2]], modelId: model.id })).toEqual({ queued: 2 });
      // Asked at once, before the queue's quiet period: the prompt on ids[1] runs in the foreground.
      const lean = await call<InteractiveSegmentOutput>('segment.interactive', { imageId: ids[1], ...prompt, modelId: model.id });
      expect(lean.encoderMs).toBeGreaterThan(0);
      expect(api.precompute.pending).toEqual([ids[2]]);
      await api.precompute.idle();
      expect(encoded).toHaveLength(2); // ids[1] by the prompt, ids[2] in the background — never ids[1] twice
      expect(api.precompute.stats).toMatchObject({ computed: 1, dropped: 1 });
      const again = await call<{ source: string; encoderMs: number }>('segment.embed', { imageId: ids[2], modelId: model.id });
      expect(again).toEqual({ source: 'memory', encoderMs: 0 });
      // Stepping away cancels what was not started.
      await call('segment.precompute', { imageIds: [ids[0]], modelId: model.id });
      await call('segment.precompute', { imageIds: [], modelId: model.id });
      await api.precompute.idle();
      expect(encoded).toHaveLength(2);
    } finally {
      embeddingCache.onEncode = null;
    }
  });
});
