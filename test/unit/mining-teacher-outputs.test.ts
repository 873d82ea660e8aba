import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTeacher } from '../../src/main/mining/teachers';
import { addTeacherModel, type TeacherModel } from '../../src/main/teacher/registry';
import { imageEmbedding, releaseTeacherSessions, segmentImage } from '../../src/main/teacher/segment';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES } from '../helpers/data';

// Mining keeps one mask per prompt and upsamples it from the decoder's low-resolution logits: a
// SAM export's `masks` output (all four masks upscaled to the image) is work it would throw away.

let dir: string;
let ws: Workspace;
let model: TeacherModel;
let imageId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apprentice-mining-outputs-'));
  ws = Workspace.open(join(dir, 'ws'), { create: true });
  await importImages(ws, { paths: [join(KVASIR_IMAGES, readdirSync(KVASIR_IMAGES).sort()[0]!)] });
  imageId = listImages(ws).images[0]!.id;
  model = await addTeacherModel(ws, writeFixturePair(join(dir, 'fixtures'), 'sam'));
});

afterAll(async () => {
  await releaseTeacherSessions();
  ws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the mining teacher asks the decoder for the smallest output', () => {
  it('fetches only the IoU and the low-resolution masks; an interactive segment fetches everything', async () => {
    const session = (await (await imageEmbedding(ws, imageId, { modelId: model.id })).runtime.decoderSession()).session;
    const fetched: (string[] | 'all')[] = [];
    const run = session.run.bind(session) as (...a: unknown[]) => ReturnType<typeof session.run>;
    (session as { run: unknown }).run = (feeds: unknown, fetches?: unknown, ...rest: unknown[]) => {
      fetched.push(Array.isArray(fetches) ? [...(fetches as string[])].sort() : 'all');
      return run(feeds, fetches, ...rest);
    };
    const box = { x0: 100, y0: 120, x1: 300, y1: 320 };
    const teacher = makeTeacher(ws, { kind: 'sam', modelId: model.id });
    const answer = await teacher.answer(imageId, [{ box, points: [{ x: 200, y: 220, label: 1 }] }]);
    expect(fetched).toEqual([['iou_predictions', 'low_res_masks']]);
    expect(answer.decoderMs).toBeGreaterThan(0);

    const full = await segmentImage(ws, imageId, { box, points: [{ x: 200, y: 220, label: 1 }] }, { modelId: model.id });
    expect(fetched[1]).toBe('all');
    // The same mask but on boundary pixels, where one bilinear step replaces the export's two.
    let differ = 0;
    for (let i = 0; i < full.mask.data.length; i++) if (full.mask.data[i] !== answer.mask.data[i]) differ++;
    expect(differ / full.area).toBeLessThan(0.05);
  });
});
