import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importImages } from '../../src/main/workspace/import';
import { listImages } from '../../src/main/workspace/images';
import { Workspace } from '../../src/main/workspace/workspace';
import { launchBrowser } from '../helpers/browser';
import { DICOM_DIR, KVASIR_IMAGES, KVASIR_MASKS, outputDir, tempDir } from '../helpers/data';
import { serve } from '../helpers/serve';

const KVASIR = ['cju0qkwl35piu0993l0dewei2.jpg', 'cju0qoxqj9q6s0835b43399p4.jpg', 'cju0qx73cjw570799j4n5cjze.jpg'];
const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
const CR_MONO1 = join(DICOM_DIR, 'fo-dicom/Test Data/CR-MONO1-10-chest');

/** A cheap fingerprint of what the cornerstone canvas shows. */
function canvasSignature(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let lit = 0;
    let green = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i]! + d[i + 1]! + d[i + 2]!;
      if (d[i]! + d[i + 1]! + d[i + 2]! > 30) lit++;
      if (d[i + 1]! > d[i]! + 40 && d[i + 1]! > d[i + 2]! + 40) green++;
    }
    return [sum, lit, green];
  });
}

/** cornerstone renders on the next animation frame: wait until the canvas shows something new. */
async function nextSignature(page: Page, previous: number[]): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const now = await canvasSignature(page);
    if (now.some((v, k) => v !== previous[k])) return now;
    await page.waitForTimeout(50);
  }
  return canvasSignature(page);
}

describe('browser against `apprentice serve` (Debian Chromium)', () => {
  let wsPath: string;
  let host: Awaited<ReturnType<typeof serve>>;
  let browser: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const shots = outputDir('screenshots');
  let ids: { ct: number; cr: number; kvasir: number };

  beforeAll(async () => {
    wsPath = join(tempDir('e2e'), 'ws');
    const ws = Workspace.open(wsPath, { create: true });
    await importImages(ws, { paths: [...KVASIR.map((f) => join(KVASIR_IMAGES, f)), CT, CR_MONO1], masks: KVASIR_MASKS });
    const rows = listImages(ws).images;
    ids = {
      kvasir: rows.find((r) => r.sourcePath.endsWith(KVASIR[0]!))!.id,
      ct: rows.find((r) => r.sourcePath === CT)!.id,
      cr: rows.find((r) => r.sourcePath === CR_MONO1)!.id,
    };
    ws.close();
    host = await serve(wsPath);
    browser = await launchBrowser();
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('request', (r) => requests.push(r.url()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('opens the workspace and lists the dataset with thumbnails', async () => {
    await page.goto(host.url);
    await page.getByTestId('workspace-summary').waitFor();
    expect(await page.getByTestId('workspace-summary').textContent()).toContain('5 images · 3 masks');
    // Opening by path from the UI works too.
    await page.getByTestId('workspace-path').fill(wsPath);
    await page.getByTestId('workspace-open').click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="dataset"] img')].every((i) => (i as HTMLImageElement).src.startsWith('data:image/png')),
    );
    expect(await page.locator('[data-testid="dataset"] li').count()).toBe(5);
    await page.screenshot({ path: join(shots, '01-dataset.png') });
  });

  it('shows a DICOM CT and window/level by drag and presets changes the pixels', async () => {
    await page.getByTestId(`image-${ids.ct}`).click();
    await page.getByTestId('voi').waitFor();
    await page.waitForTimeout(300);
    const before = await canvasSignature(page);
    expect(before[1]).toBeGreaterThan(10_000); // a CT, not a black canvas
    await page.screenshot({ path: join(shots, '02-dicom-ct-file-window.png') });
    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 + 80, { steps: 8 });
    await page.mouse.up();
    const dragged = await nextSignature(page, before);
    expect(dragged[0]).not.toBe(before[0]);
    await page.getByRole('button', { name: 'Lung' }).click();
    expect(await page.getByTestId('voi').textContent()).toContain('C -600 / W 1500');
    const lung = await nextSignature(page, dragged);
    expect(lung[0]).not.toBe(dragged[0]);
    await page.screenshot({ path: join(shots, '03-dicom-ct-lung-window.png') });
  });

  it('shows a MONOCHROME1 radiograph the right way round', async () => {
    await page.getByTestId(`image-${ids.cr}`).click();
    await page.waitForFunction(() => document.querySelector('.title')?.textContent?.includes('CR-MONO1'));
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, '04-dicom-cr-monochrome1.png') });
  });

  it('shows a Kvasir image with its mask as an overlay whose visibility and opacity change the pixels', async () => {
    await page.getByTestId(`image-${ids.kvasir}`).click();
    await page.getByTestId('overlay-tools').waitFor();
    await page.waitForTimeout(300);
    const withMask = await canvasSignature(page);
    expect(withMask[2]).toBeGreaterThan(1000); // green overlay pixels
    await page.screenshot({ path: join(shots, '05-kvasir-mask-overlay.png') });
    await page.getByTestId('mask-opacity').fill('1');
    const opaque = await nextSignature(page, withMask);
    expect(opaque[2]).toBeGreaterThan(withMask[2]!);
    await page.getByTestId('mask-toggle').uncheck();
    const hidden = await nextSignature(page, opaque);
    expect(hidden[2]).toBeLessThan(withMask[2]! / 10);
    await page.screenshot({ path: join(shots, '06-kvasir-mask-hidden.png') });
  });

  it('imports through the UI with progress and a per-file error list, then steps through a multi-frame file', async () => {
    const multiFrame = join(DICOM_DIR, 'dicomParser/testImages/encapsulated/multi-frame');
    const notAnImage = join(DICOM_DIR, 'dicom_files.csv');
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByTestId('import-paths').fill(`${multiFrame}\n${notAnImage}`);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor({ timeout: 120_000 });
    const result = (await page.getByTestId('import-result').textContent())!;
    expect(result).toMatch(/Imported \d+ images/);
    expect(await page.locator('.failures').textContent()).toContain('dicom_files.csv: unrecognised format');
    await page.screenshot({ path: join(shots, '07-import-panel.png') });
    await page.getByRole('button', { name: 'Import…' }).click();
    // A two-frame CT: the viewer steps between its frames.
    await page.getByTestId('dataset').getByTitle(join(multiFrame, 'CT0012.explicit_little_endian.dcm')).first().click();
    await page.getByTestId('frame-stepper').waitFor();
    expect(await page.getByTestId('frame-stepper').textContent()).toContain('frame 1/2');
    await page.getByTestId('frame-next').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="frame-stepper"]')?.textContent?.includes('frame 2/2'));
    await page.screenshot({ path: join(shots, '08-multiframe-frame2.png') });
  }, 180_000);

  it('made no request outside the loopback host', () => {
    const foreign = requests.filter((u) => !u.startsWith(`http://127.0.0.1:${host.port}/`) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
  });
});
