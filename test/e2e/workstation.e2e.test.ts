import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeBrokenFixtures, writeFixturePair } from '../fixtures/sam-fixtures';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, KVASIR_MASKS, outputDir, tempDir } from '../helpers/data';

const KVASIR = ['cju0qkwl35piu0993l0dewei2.jpg', 'cju0qoxqj9q6s0835b43399p4.jpg'];

function magentaPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! > 150 && d[i + 2]! > 120 && d[i + 1]! < 120) n++;
    return n;
  });
}

describe('workstation in the browser: teacher install and interactive prompting (fixture teacher)', () => {
  let host: Awaited<ReturnType<typeof openApp>>['host'];
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let fixtures: ReturnType<typeof writeFixturePair>;
  let broken: ReturnType<typeof writeBrokenFixtures>;
  let kvasirId: number;
  const shots = outputDir('screenshots');
  let requests: string[] = [];

  beforeAll(async () => {
    const dir = tempDir('workstation');
    const ws = Workspace.open(join(dir, 'ws'), { create: true });
    await importImages(ws, { paths: KVASIR.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    kvasirId = listImages(ws).images.find((i) => i.sourcePath.endsWith(KVASIR[0]!))!.id;
    ws.close();
    fixtures = writeFixturePair(join(dir, 'models'), 'mobilesam');
    broken = writeBrokenFixtures(join(dir, 'broken'));
    app = await openApp(join(dir, 'ws'));
    ({ host, page } = app);
    requests = app.requests;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('refuses a broken model file with a message naming it, then installs the fixture pair', async () => {
    await page.getByTestId('tab-models').click();
    await page.getByTestId('model-encoder').fill(broken.truncated);
    await page.getByTestId('model-decoder').fill(fixtures.decoder);
    await page.getByTestId('model-add').click();
    await page.getByTestId('model-error').waitFor();
    expect(await page.getByTestId('model-error').textContent()).toContain(broken.truncated);
    await page.screenshot({ path: join(shots, '10-models-refused.png') });
    await page.getByTestId('model-encoder').fill(fixtures.encoder);
    await page.getByTestId('model-add').click();
    await page.getByTestId('model-added').waitFor();
    expect(await page.getByTestId('models').textContent()).toContain('mobilesam');
    await page.screenshot({ path: join(shots, '11-models-installed.png') });
  });

  it('prompts the teacher with a box and a point; the second answer reuses the cached embedding', async () => {
    await page.getByTestId('tab-images').click();
    await page.getByTestId(`image-${kvasirId}`).click();
    await page.getByTestId('prompt-tools').waitFor();
    await page.waitForTimeout(300);
    await page.getByTestId('mask-toggle').uncheck();
    await page.getByTestId('tool-prompt').click();
    const box = (await page.getByTestId('viewport').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx - 120, cy - 100);
    await page.mouse.down();
    await page.mouse.move(cx + 80, cy + 60, { steps: 6 });
    await page.mouse.up();
    await page.getByTestId('sam-info').waitFor();
    const first = await page.getByTestId('sam-info').textContent();
    expect(first).toMatch(/encoder \d+ ms/);
    await page.waitForTimeout(200);
    expect(await magentaPixels(page)).toBeGreaterThan(5000);
    await page.screenshot({ path: join(shots, '12-sam-box-prompt.png') });
    await page.mouse.click(cx + 200, cy + 150);
    await page.waitForFunction(() => document.querySelector('[data-testid="sam-info"]')?.textContent?.includes('cached embedding'));
    await page.screenshot({ path: join(shots, '13-sam-box-and-point.png') });
  });

  it('made no request outside the loopback host', () => {
    expect(requests.filter((u) => !u.startsWith(`http://127.0.0.1:${host.port}/`) && !u.startsWith('data:'))).toEqual([]);
  });
});
