/**
 * `npm run -s bench -- interactive [--json] [--clicks N] [--encoder E.onnx --decoder D.onnx --family F] [--keep]`
 *
 * SAM at the speed of a click, as a radiologist gets it: the real `apprentice serve` on a workspace
 * with one Kvasir-SEG image, Debian's Chromium (playwright-core) on the Viewer with the prompt tool,
 * one click to compute the embedding, then --clicks (default 20) point prompts on the cached
 * embedding. For each, the Viewer's own time from the click's handler to the overlay drawn
 * (`data-click-ms` of the SAM line: request, decoder, compact mask, painting, redraw).
 *
 *   decoder_raw_ms           a bare onnxruntime run of the same decoder on the same cached embedding
 *                            and a one-point prompt, in this process, alternating with the clicks
 *   click_to_overlay_ms_p50  / _p95 over the clicks
 *   goal_ms                  max(150, 1.5 × decoder_raw_ms); goal_met: p50 ≤ goal_ms
 *
 * Without --encoder/--decoder the teacher is a fixture pair: the small encoder fixture (its cost is
 * not measured here) and the real-size decoder fixture (test/fixtures/heavy-decoder-fixture.ts:
 * segment-anything's decoder, ~4 M parameters) — fixtures, not SAM.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toFrame } from '../../src/main/imaging/geometry/frames';
import { loadOrt } from '../../src/main/onnx/runtime';
import { sessionOptions } from '../../src/main/onnx/session-options';
import { embeddingParts, decoderFeeds } from '../../src/main/teacher/decoder-io';
import { addTeacherModel, teacherPartPath } from '../../src/main/teacher/registry';
import { imageEmbedding, releaseTeacherSessions } from '../../src/main/teacher/segment';
import { storedLayout } from '../../src/main/teacher/layouts';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeHeavyDecoderFixture } from '../fixtures/heavy-decoder-fixture';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { launchBrowser } from '../helpers/browser';
import { KVASIR_IMAGES, tempDir } from '../helpers/data';
import { serve } from '../helpers/serve';

const median = (xs: number[]) => percentile(xs, 50);
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: { clicks: { type: 'string' }, encoder: { type: 'string' }, decoder: { type: 'string' }, family: { type: 'string' }, keep: { type: 'boolean' } },
  });
  const clicks = Number(values.clicks ?? 20);
  if (!(Number.isInteger(clicks) && clicks >= 1 && clicks <= 60)) throw new Error('--clicks takes a whole number in 1…60');
  if (!!values.encoder !== !!values.decoder) throw new Error('give both --encoder and --decoder, or neither (fixture teacher)');

  const root = tempDir('bench-interactive');
  const wsPath = join(root, 'ws');
  const ws = Workspace.open(wsPath, { create: true });
  const image = join(KVASIR_IMAGES, readdirSync(KVASIR_IMAGES).sort()[0]!);
  await importImages(ws, { paths: [image] });
  const imageId = listImages(ws).images[0]!.id;
  const files = values.encoder
    ? { encoder: values.encoder, decoder: values.decoder!, family: values.family ?? 'sam' }
    : { encoder: writeFixturePair(join(root, 'models'), 'mobilesam').encoder, decoder: writeHeavyDecoderFixture(join(root, 'models')).path, family: 'mobilesam' };
  const model = await addTeacherModel(ws, files);

  // The bare decoder: its own session on the stored file, the app's session options, the cached embedding.
  const ort = await loadOrt();
  const prepared = await imageEmbedding(ws, imageId, { modelId: model.id });
  const session = await ort.InferenceSession.create(teacherPartPath(ws, model, 'decoder'), sessionOptions('cpu'));
  const layout = storedLayout(model.interface);
  const point = { x: prepared.width / 2, y: prepared.height / 2, label: 1 as const };
  const { feeds } = decoderFeeds(
    ort,
    layout,
    model.family,
    embeddingParts(model.interface.encoder, prepared.embedding.data, prepared.embedding.dims),
    { points: [{ ...toFrame(prepared.frame, point), label: 1 }], box: null },
    { width: prepared.width, height: prepared.height },
    null,
    new Float32Array(256 * 256),
  );
  const raw: number[] = [];
  const bare = async () => {
    const t0 = performance.now();
    await session.run(feeds);
    raw.push(performance.now() - t0);
  };
  for (let i = 0; i < 3; i++) await bare(); // warm-up
  raw.length = 0;
  await releaseTeacherSessions();
  ws.close();

  const host = await serve(wsPath);
  const browser = await launchBrowser();
  const perClick: number[] = [];
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(host.url);
    await page.getByTestId('tab-images').click();
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('tool-prompt').waitFor();
    await page.getByTestId('tool-prompt').click();
    const view = (await page.getByTestId('viewport').boundingBox())!;
    const answers = async () => Number((await page.getByTestId('sam-info').getAttribute('data-answer').catch(() => null)) ?? 0);
    const clickAt = async (i: number) => {
      const before = await answers();
      // Points spread over the middle of the image, none twice at one place.
      const a = (i * 2.399963) % (2 * Math.PI);
      const r = 0.05 + 0.25 * ((i * 0.618) % 1);
      await page.mouse.click(view.x + view.width * (0.5 + r * Math.cos(a)), view.y + view.height * (0.5 + r * Math.sin(a)));
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="sam-info"]')?.getAttribute('data-answer') ?? 0) > n, before);
      return Number(await page.getByTestId('sam-info').getAttribute('data-click-ms'));
    };
    await clickAt(0); // the embedding: from the cache on disk into memory
    await clickAt(1);
    for (let i = 2; i < clicks + 2; i++) {
      await bare();
      await page.waitForTimeout(50); // a radiologist does not click every millisecond
      perClick.push(await clickAt(i));
    }
  } finally {
    await browser.close();
    await host.stop();
    await session.release();
  }
  const decoderRaw = median(raw);
  const p50 = median(perClick);
  const goal = Math.max(150, 1.5 * decoderRaw);
  return {
    teacher: values.encoder ? { ...files } : 'fixture (small encoder, real-size decoder: test/fixtures/heavy-decoder-fixture.ts)',
    layout,
    image: { width: prepared.width, height: prepared.height },
    clicks,
    decoder_raw_ms: round(decoderRaw),
    click_to_overlay_ms_p50: round(p50),
    click_to_overlay_ms_p95: round(percentile(perClick, 95)),
    goal_ms: round(goal),
    goal_met: p50 <= goal,
    ...(values.keep ? { workspace: wsPath } : {}),
  };
}
