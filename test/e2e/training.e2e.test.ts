import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { listImages, loadModelRgb } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { saveMask } from '../../src/main/workspace/masks';
import { createSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { openApp } from '../helpers/browser';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, outputDir, tempDir } from '../helpers/data';

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');

/** Fills the Training form for a quick run of the small student. */
async function quickSettings(page: Page, epochs: number): Promise<void> {
  await page.getByTestId('train-model').selectOption('small');
  await page.getByTestId('train-epochs').fill(String(epochs));
  await page.getByTestId('train-size').fill('64');
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-lr').fill('0.001');
}

describe('training, mining, mode toggle and export in the browser (small student, fixture teacher)', () => {
  let host: Awaited<ReturnType<typeof openApp>>['host'];
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let ws: Workspace;
  let dir: string;
  let unlabeledId: number;
  let ctId: number;
  const shots = outputDir('screenshots');
  let requests: string[] = [];

  beforeAll(async () => {
    dir = tempDir('training-e2e');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(60, 84)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: [...files, CT], masks: KVASIR_MASKS });
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.2, seed: 1 });
    unlabeledId = splitMembers(ws, split.id, 'unlabeled').find((id) => listImages(ws).images.find((i) => i.id === id)!.format === 'jpeg')!;
    ctId = listImages(ws).images.find((i) => i.format === 'dicom')!.id;
    // A drawn mask on the CT, to export as DICOM SEG.
    const rgb = loadModelRgb(ws, ctId);
    const data = new Uint8Array(rgb.width * rgb.height).map((_, i) => (rgb.data[i * 3]! > 100 ? 1 : 0));
    saveMask(ws, ctId, { width: rgb.width, height: rgb.height, data }, 'drawn');
    await addTeacherModel(ws, { ...writeFixturePair(join(dir, 'models'), 'mobilesam'), family: 'mobilesam' });
    app = await openApp(join(dir, 'ws'));
    ({ host, page } = app);
    requests = app.requests;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    ws?.close();
  });

  it('runs a short supervised training with the live chart updating each epoch', async () => {
    await page.getByTestId('tab-training').click();
    await quickSettings(page, 3);
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-dice"]')?.getAttribute('data-points')) >= 2, null, {
      timeout: 120_000,
    });
    await page.screenshot({ path: join(shots, '30-training-live-chart.png') });
    await page.getByTestId('train-progress').waitFor({ state: 'detached', timeout: 120_000 });
    const row = page.locator('[data-testid="runs"] tbody tr').first();
    expect(await row.textContent()).toMatch(/supervised\s*done/);
    expect(await page.getByTestId('chart-dice').getAttribute('data-points')).toBe('3');
    await page.screenshot({ path: join(shots, '31-training-done.png') });
  }, 240_000);

  it('runs one-time mining from that run with the fixture teacher', async () => {
    await page.getByTestId('train-method').selectOption('one-time');
    await page.getByTestId('train-base').selectOption({ index: 1 });
    await quickSettings(page, 2);
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor();
    await page.getByTestId('train-progress').waitFor({ state: 'detached', timeout: 180_000 });
    expect(await page.locator('[data-testid="runs"] tbody tr').first().textContent()).toMatch(/mining-one-time\s*done/);
    const versions = ws.db.prepare('SELECT COUNT(*) AS n FROM pseudo_labels').get() as { n: number };
    expect(versions.n).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, '32-mining-done.png') });
  }, 240_000);

  it('switches between fast and SAM-refinement modes on an image, showing each latency', async () => {
    await page.getByTestId('tab-images').click();
    await page.getByTestId(`image-${unlabeledId}`).click();
    await page.getByTestId('student-tools').waitFor();
    await page.getByTestId('predict').click();
    await page.waitForFunction(() => /fast \d+ ms/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''));
    await page.getByTestId('heat-toggle').check();
    await page.screenshot({ path: join(shots, '33-mode-fast-heatmap.png') });
    await page.getByTestId('heat-toggle').uncheck();
    await page.getByTestId('mode-refine').click();
    await page.getByTestId('predict').click();
    await page.waitForFunction(() => /refine\s+\d+ ms/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''));
    expect(await page.getByTestId('latency').textContent()).toMatch(/teacher \d+ ms/);
    await page.screenshot({ path: join(shots, '34-mode-refine.png') });
  }, 120_000);

  it('exports a DICOM SEG that dcmjs reads back, and made no request outside the host', async () => {
    await page.getByTestId('tab-export').click();
    const out = join(dir, 'exports');
    await page.getByTestId('export-dir').fill(out);
    await page.getByTestId('export-masks').click();
    await page.getByTestId('export-written').waitFor();
    const seg = readdirSync(out).find((f) => f.endsWith('.seg.dcm'))!;
    const bytes = readFileSync(join(out, seg));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, unknown>;
    expect(ds.Modality).toBe('SEG');
    expect([ds.Rows, ds.Columns]).toEqual([512, 512]);
    await page.screenshot({ path: join(shots, '35-export.png') });
    expect(requests.filter((u) => !u.startsWith(`http://127.0.0.1:${host.port}/`) && !u.startsWith('data:'))).toEqual([]);
  }, 60_000);
});
