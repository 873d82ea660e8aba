import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { latestSplitId, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, KVASIR_MASKS, outputDir, tempDir } from '../helpers/data';

/** Both window sizes the app is looked at in. */
async function shoot(page: Page, dir: string, name: string): Promise<void> {
  for (const [w, h] of [
    [1600, 1000],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: join(dir, `${name}-${w}x${h}.png`) });
  }
}

/** Opens an image and waits until the Viewer's header shows it (its split picker then acts on it). */
async function openInViewer(page: Page, id: number): Promise<void> {
  await page.getByTestId(`image-${id}`).click();
  await page.waitForFunction(
    (id) => document.querySelector('[data-testid="viewer-split"]')?.getAttribute('data-image') === String(id),
    id,
  );
}

describe('splits, settings and an experiment from the UI alone', () => {
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let ws: Workspace;
  let dir: string;
  const shots = outputDir('screenshots');

  beforeAll(async () => {
    dir = tempDir('settings-e2e');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(100, 124)
      .map((f) => join(KVASIR_IMAGES, f));
    // The last 4 without masks: unlabeled images with no hidden ground truth (oracle mining skips them).
    await importImages(ws, { paths: files.slice(0, 20), masks: KVASIR_MASKS });
    await importImages(ws, { paths: files.slice(20) });
    app = await openApp(join(dir, 'ws'));
    page = app.page;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    ws?.close();
  });

  it('makes a split with ratios and seed, and overrides it for several images and for one', async () => {
    await expect(page.getByTestId('split-summary').textContent()).resolves.toMatch(/No split yet/);
    await page.getByTestId('split-labeled').fill('50');
    await page.getByTestId('split-val').fill('20');
    await page.getByTestId('split-test').fill('20');
    await page.getByTestId('split-seed').fill('7');
    await page.getByTestId('split-make').click();
    await page.waitForFunction(() => /Split #1/.test(document.querySelector('[data-testid="split-summary"]')?.textContent ?? ''));
    expect(await page.getByTestId('split-summary').textContent()).toMatch(/4 validation · 4 test/);

    // Multi-select: two labeled training images → validation.
    const labeled = splitMembers(ws, 1, 'labeled');
    await page.getByTestId(`image-${labeled[0]}`).click();
    await page.getByTestId(`image-${labeled[1]}`).click({ modifiers: ['Control'] });
    await page.getByTestId('split-assign-subset').selectOption('val');
    await page.getByTestId('split-assign-apply').click();
    await page.waitForFunction(() => /6 validation/.test(document.querySelector('[data-testid="split-summary"]')?.textContent ?? ''));
    // The summary and the Dataset list refresh from separate requests: wait for the list as well.
    await page.waitForFunction((id) => document.querySelector(`[data-testid="split-${id}"]`)?.textContent === 'validation', labeled[1], { timeout: 5_000 });
    expect(await page.getByTestId(`split-${labeled[1]}`).textContent()).toBe('validation');
    expect(await page.getByTestId(`status-${labeled[1]}`).textContent()).toBe('validation');

    // Per image, from the Viewer's header: the Dataset list follows at once.
    await openInViewer(page, labeled[2]!);
    await page.getByTestId('viewer-split-subset').selectOption('test');
    await page.waitForFunction((id) => document.querySelector(`[data-testid="split-${id}"]`)?.textContent === 'test', labeled[2]);
    expect(splitMembers(ws, latestSplitId(ws)!, 'test')).toContain(labeled[2]);
    // An image without ground truth cannot be validation: the reason is shown.
    const noTruth = listImages(ws).images.find((i) => !i.hasMask)!.id;
    await openInViewer(page, noTruth);
    await page.getByTestId('viewer-split-subset').selectOption('val');
    await page.getByTestId('viewer-split-error').waitFor();
    expect(await page.getByTestId('viewer-split-error').textContent()).toBe(`image ${noTruth} has no ground truth, so it can only be unlabeled: label it first`);
    await shoot(page, shots, '60-split-overrides');
  }, 60_000);

  it('reports an import path that does not exist in the panel and stays usable', async () => {
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByTestId('import-paths').fill(join(dir, 'no-such-folder'));
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-failures').waitFor();
    expect(await page.getByTestId('import-failures').textContent()).toMatch(/no-such-folder.*does not exist/);
    expect(await page.getByTestId('import-start').isEnabled()).toBe(true);
    await shoot(page, shots, '61-import-missing-path');
    await page.getByRole('button', { name: 'Import…' }).click();
  }, 30_000);

  it('shows every mining setting in Training', async () => {
    await page.getByTestId('tab-training').click();
    await page.getByTestId('train-method').selectOption('one-time');
    for (const id of ['train-teacher', 'train-weight', 'train-points', 'train-threshold', 'train-box', 'train-per-component', 'train-mask-prompt', 'train-lr', 'train-init-scheme', 'train-device'])
      await page.getByTestId(id).waitFor();
    await shoot(page, shots, '62-training-settings');
  }, 30_000);

  it('runs a 2-cell experiment (small preset, oracle teacher) and shows its table and plot', async () => {
    await page.getByTestId('tab-experiments').click();
    await page.getByTestId('exp-name').fill('ui-grid');
    await page.getByTestId('exp-ratios').fill('50');
    await page.getByTestId('exp-seeds').fill('1');
    await page.getByTestId('exp-method-continuous').uncheck();
    await page.getByTestId('exp-teacher').selectOption('oracle');
    await page.getByTestId('exp-threshold').fill('0.3');
    await page.getByTestId('exp-model').selectOption('small');
    await page.getByTestId('exp-epochs').fill('2');
    await page.getByTestId('exp-size').fill('64');
    await page.getByTestId('exp-batch').fill('4');
    await page.getByTestId('exp-lr').fill('0.001');
    await page.getByTestId('exp-init-scheme').selectOption('smp');
    expect(await page.getByTestId('exp-start').textContent()).toMatch(/2 runs/);
    await page.getByTestId('exp-start').click();
    await page.getByTestId('exp-progress').waitFor();
    await page.waitForFunction(() => /elapsed \d/.test(document.querySelector('[data-testid="exp-progress"]')?.textContent ?? ''));
    await shoot(page, shots, '63-experiment-running');
    await page.getByTestId('exp-table').waitFor({ timeout: 300_000 });
    const rows = await page.locator('[data-testid="exp-table"] tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/50 %\s*supervised\s*1\s*0\.\d{3}/);
    expect(rows[1]).toMatch(/50 %\s*one-time\s*1\s*0\.\d{3}/);
    await page.getByTestId('exp-plot').waitFor();
    expect(await page.getByTestId('exp-plot').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    for (const f of ['results.md', 'results.csv', 'val-dice.svg']) expect(existsSync(join(dir, 'ws', 'experiments', 'ui-grid', f))).toBe(true);
    expect(await page.getByTestId('exp-error').count()).toBe(0);
    const configs = (ws.db.prepare("SELECT config FROM runs WHERE kind != 'pretrain'").all() as { config: string }[]).map((r) => JSON.parse(r.config));
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const c of configs) expect(c.initScheme).toBe('smp');
    await shoot(page, shots, '64-experiment-table');
  }, 360_000);
});
