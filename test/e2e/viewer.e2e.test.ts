import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDetail } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { seriesTree } from '../../src/main/workspace/series';
import { Workspace } from '../../src/main/workspace/workspace';
import type { ImageDetail, SeriesNode } from '../../src/shared/contract';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, SHARED_DATA, outputDir, tempDir } from '../helpers/data';

// A radiologist opens a CT series from the series browser, wheels through its slices (the window
// set on the first slice stays), reads HU under the cursor and measures a distance in mm.

const CT2 = join(SHARED_DATA, 'dicom-seg/source-ct2');
const KVASIR = readdirSync(KVASIR_IMAGES).sort().slice(0, 2);

describe('the Viewer as a stack viewer: series, wheel, W/L kept, HU readout, distance in mm', () => {
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let ct: SeriesNode;
  let first: ImageDetail;
  const shots = outputDir('screenshots');

  beforeAll(async () => {
    const root = join(tempDir('viewer-e2e'), 'ws');
    const ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: [CT2, ...KVASIR.map((f) => join(KVASIR_IMAGES, f))] });
    ct = seriesTree(ws)
      .flatMap((p) => p.studies.flatMap((s) => s.series))
      .find((s) => s.modality === 'CT')!;
    first = imageDetail(ws, ct.imageIds[0]!);
    ws.close();
    app = await openApp(root);
    page = app.page;
    await page.setViewportSize({ width: 1280, height: 720 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  const text = async (id: string) => (await page.getByTestId(id).textContent()) ?? '';

  async function centre(): Promise<{ x: number; y: number }> {
    const box = (await page.getByTestId('viewport').boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  /** Image pixel under a screen point, read back from the Viewer's own readout. */
  async function pixelAt(x: number, y: number): Promise<{ x: number; y: number; readout: string }> {
    await page.mouse.move(x, y);
    await page.waitForFunction(() => /^\(\d+, \d+\)/.test(document.querySelector('[data-testid="pixel-readout"]')?.textContent ?? ''));
    const readout = await text('pixel-readout');
    const m = /^\((\d+), (\d+)\)/.exec(readout)!;
    return { x: Number(m[1]), y: Number(m[2]), readout };
  }

  it('opens the CT series from patient → study → series and wheels through it with W/L kept', async () => {
    expect(ct.count).toBe(4);
    await page.getByTestId('browse-series').click();
    await page.getByTestId(`series-${ct.imageIds[0]}`).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="slice-position"]')?.textContent?.startsWith('slice 1/4'));
    await page.getByRole('button', { name: 'Lung' }).click();
    expect(await text('voi')).toContain('C -600 / W 1500');
    const viewportBefore = await page.getByTestId('viewport').boundingBox();

    const c = await centre();
    await page.mouse.move(c.x, c.y);
    await page.mouse.wheel(0, 120);
    await page.waitForFunction(() => document.querySelector('[data-testid="slice-position"]')?.textContent?.startsWith('slice 2/4'));
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), ct.imageIds[1]);
    expect(await text('voi')).toContain('C -600 / W 1500');
    await page.mouse.wheel(0, 120);
    await page.waitForFunction(() => document.querySelector('[data-testid="slice-position"]')?.textContent?.startsWith('slice 3/4'));
    expect(await text('voi')).toContain('C -600 / W 1500');
    // Slices are ordered along the normal: the positions shown increase.
    const mm = /· (-?[\d.]+) mm/.exec(await text('slice-position'));
    expect(mm).not.toBeNull();
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.querySelector('[data-testid="slice-position"]')?.textContent?.startsWith('slice 2/4'));
    // Nothing that changed moved the image.
    expect(await page.getByTestId('viewport').boundingBox()).toEqual(viewportBefore);
  });

  it('reads the stored value and HU under the cursor', async () => {
    const c = await centre();
    const p = await pixelAt(c.x, c.y);
    expect(p.readout).toMatch(/stored -?\d+ · HU -?\d+/);
    expect(p.x).toBeGreaterThan(0);
  });

  it('measures a distance in mm from PixelSpacing', async () => {
    expect(first.pixelSpacing).not.toBeNull();
    const c = await centre();
    const a = await pixelAt(c.x - 100, c.y);
    const b = await pixelAt(c.x + 100, c.y);
    await page.getByTestId('tool-line').click();
    await page.mouse.move(c.x - 100, c.y);
    await page.mouse.down();
    await page.mouse.move(c.x + 100, c.y, { steps: 6 });
    await page.mouse.up();
    const shown = await text('measurement');
    const value = Number(/([\d.]+) mm/.exec(shown)![1]);
    // The readout floors to whole pixels: allow one pixel either way.
    const expected = (b.x - a.x) * first.pixelSpacing![1];
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(first.pixelSpacing![1] * 1.5);
    expect(shown).not.toContain('px');
    await page.mouse.move(c.x, c.y + 60);
    await page.screenshot({ path: join(shots, 'viewer-ct-1280x720.png') });

    // An ellipse ROI in HU, then Esc clears it.
    await page.getByTestId('tool-ellipse').click();
    await page.mouse.move(c.x - 40, c.y - 40);
    await page.mouse.down();
    await page.mouse.move(c.x + 40, c.y + 40, { steps: 4 });
    await page.mouse.up();
    expect(await text('measurement')).toMatch(/mean -?[\d.]+ HU · SD [\d.]+ .* area [\d.]+ mm²/);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('[data-testid="measurement"]'));
  });

  it('keeps the toolbars small and the layout whole at 1280×720 and 1920×1080', async () => {
    for (const [width, height] of [
      [1280, 720],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(300);
      const bars = await page.locator('.viewer .bar').evaluateAll((els) => els.reduce((h, e) => h + e.getBoundingClientRect().height, 0));
      expect(bars / height, `${width}×${height}`).toBeLessThanOrEqual(0.12);
      const vp = (await page.getByTestId('viewport').boundingBox())!;
      expect(vp.height / height, `${width}×${height}`).toBeGreaterThan(0.6);
      // The tab row stays one line.
      const tabs = await page.locator('header nav button').evaluateAll((els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
      expect(tabs).toBe(1);
      // The header is one line that nothing overflows, its counts read whole.
      const header = await page.locator('header').evaluate((h) => ({ height: h.getBoundingClientRect().height, overflows: h.scrollWidth > h.clientWidth }));
      expect(header, `${width}×${height}`).toEqual({ height: expect.any(Number), overflows: false });
      expect(header.height, `${width}×${height}`).toBeLessThan(48);
      expect(await page.getByTestId('workspace-summary').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
      // No toolbar button is cut off at the end of its bar.
      const cut = await page
        .locator('.viewer .bar')
        .evaluateAll((bars) =>
          bars.flatMap((b) => [...b.querySelectorAll('button')].filter((x) => x.getBoundingClientRect().right > b.getBoundingClientRect().right + 0.5).map((x) => x.textContent)),
        );
      expect(cut, `${width}×${height}`).toEqual([]);
      await page.screenshot({ path: join(shots, `viewer-series-${width}x${height}.png`) });
    }
  });
});
