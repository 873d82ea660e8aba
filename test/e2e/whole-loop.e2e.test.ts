import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../../src/main/workspace/images';
import { latestSplitId } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, outputDir, SHARED_DATA, tempDir } from '../helpers/data';

// The paper's loop from the app alone, as a radiologist-researcher would run it with a folder of
// images and no terminal: import (no masks) → label 10 (brush, and SAM-assisted with the fixture
// teacher) → split → train → one-time mining → a 2-cell experiment → review accept/correct →
// DICOM SEG of a labeled CT slice, read back. The test only clicks and types; it reads the
// workspace to check what the clicks did, never to do a step.

const KVASIR = readdirSync(KVASIR_IMAGES).sort().slice(200, 260);
const CT_SERIES = join(SHARED_DATA, 'dicom-seg/source-ct2');
const SIZES = [
  [1600, 1000],
  [1280, 720],
] as const;

describe('the whole loop through the UI only (small student, fixture teacher)', () => {
  let dir: string;
  let root: string;
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let fixtures: ReturnType<typeof writeFixturePair>;
  const shots = outputDir('screenshots');

  /** Both window sizes, then back to the large one the steps draw in. */
  async function shoot(name: string): Promise<void> {
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(250);
      await page.screenshot({ path: join(shots, `${name}-${width}x${height}.png`) });
    }
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.waitForTimeout(250);
  }

  /** What the workspace holds, read (never written) beside the app. */
  function inWorkspace<T>(read: (ws: Workspace) => T): T {
    const ws = Workspace.open(root);
    try {
      return read(ws);
    } finally {
      ws.close();
    }
  }

  async function openImage(id: number): Promise<void> {
    await page.getByTestId(`image-${id}`).click();
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), id);
    await page.getByTestId('label-status').waitFor();
  }

  async function drag(path: { x: number; y: number }[]): Promise<void> {
    await page.mouse.move(path[0]!.x, path[0]!.y);
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(p.x, p.y, { steps: 8 });
    await page.mouse.up();
  }

  async function centre(): Promise<{ x: number; y: number; w: number; h: number }> {
    const box = (await page.getByTestId('viewport').boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2, w: box.width, h: box.height };
  }

  /** The image the Viewer shows, by the id in its title. */
  async function shownId(): Promise<number> {
    return Number((await page.locator('.title').textContent())!.match(/^#(\d+)/)![1]);
  }

  /** Records every status line the Training view shows, so a fast phase cannot slip between two polls. */
  async function recordTrainingStatus(): Promise<void> {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statuses: string[] }).statuses = seen;
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid="train-progress-status"]')?.textContent;
        const row = document.querySelector('[data-testid="run-starting"]') ? 'starting-row' : '';
        if (t && seen.at(-1) !== t) seen.push(t);
        if (row && !seen.includes(row)) seen.push(row);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }

  const statuses = (): Promise<string[]> => page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);

  async function quickSettings(epochs: number): Promise<void> {
    await page.getByTestId('train-model').selectOption('small');
    await page.getByTestId('train-epochs').fill(String(epochs));
    await page.getByTestId('train-size').fill('64');
    await page.getByTestId('train-batch').fill('4');
    await page.getByTestId('train-lr').fill('0.001');
  }

  beforeAll(async () => {
    dir = tempDir('whole-loop');
    root = join(dir, 'ws'); // a new folder: `apprentice serve` makes it a workspace
    // The radiologist's folder of images (no masks) and the teacher's files as they would have them.
    const folder = join(dir, 'kvasir-60');
    mkdirSync(folder);
    for (const f of KVASIR) copyFileSync(join(KVASIR_IMAGES, f), join(folder, f));
    fixtures = writeFixturePair(join(dir, 'models'), 'mobilesam');
    app = await openApp(root);
    page = app.page;
    await page.setViewportSize({ width: 1600, height: 1000 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('imports 60 Kvasir images without masks and a 4-slice CT series from the Import panel', async () => {
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByTestId('import-paths').fill(`${join(dir, 'kvasir-60')}\n${CT_SERIES}`);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('import-result').textContent()).toMatch(/Imported 64 images, 0 masks; 0 already present; 0 failed/);
    await shoot('90-loop-imported');
    await page.getByRole('button', { name: 'Import…' }).click();
  }, 150_000);

  it('installs the fixture teacher from the Models view', async () => {
    await page.getByTestId('tab-models').click();
    await page.getByTestId('model-encoder').fill(fixtures.encoder);
    await page.getByTestId('model-decoder').fill(fixtures.decoder);
    await page.getByTestId('model-family').selectOption('mobilesam');
    await page.getByTestId('model-add').click();
    await page.getByTestId('model-added').waitFor();
    await shoot('91-loop-teacher');
  });

  it('labels 10 images (6 with the brush, 4 SAM-assisted) with Save and next unlabeled, and one CT slice', async () => {
    await page.getByTestId('tab-images').click();
    const images = inWorkspace((ws) => listImages(ws).images);
    const kvasirIds = images.filter((i) => i.format !== 'dicom').map((i) => i.id);
    await openImage(kvasirIds[0]!);
    const labeled: number[] = [];
    for (let k = 0; k < 10; k++) {
      const c = await centre();
      labeled.push(await shownId());
      if (k < 6) {
        await page.getByTestId('tool-brush').click();
        await page.getByTestId('brush-size').fill('50'); // image pixels: a polyp-sized stroke on a 600-pixel image
        await drag([
          { x: c.x - c.w * 0.15, y: c.y - c.h * 0.1 },
          { x: c.x + c.w * 0.15, y: c.y - c.h * 0.1 },
          { x: c.x + c.w * 0.1, y: c.y + c.h * 0.1 },
          { x: c.x - c.w * 0.1, y: c.y + c.h * 0.1 },
        ]);
        await page.getByTestId('label-status').filter({ hasText: 'unsaved drawn label' }).waitFor();
      } else {
        await page.getByTestId('tool-prompt').click();
        await drag([
          { x: c.x - c.w * 0.15, y: c.y - c.h * 0.15 },
          { x: c.x + c.w * 0.15, y: c.y + c.h * 0.15 },
        ]);
        await page.getByTestId('sam-info').waitFor({ timeout: 60_000 });
        await page.getByTestId('sam-use').click();
        await page.getByTestId('label-status').filter({ hasText: 'unsaved SAM-assisted label' }).waitFor();
      }
      if (k === 0) await shoot('92-loop-brush');
      if (k === 6) await shoot('93-loop-sam-assisted');
      await page.getByTestId('label-save-next').click();
      await page.waitForFunction((id) => !document.querySelector('.title')?.textContent?.startsWith(`#${id} `), labeled.at(-1)!);
    }
    const provenance = inWorkspace((ws) =>
      labeled.map((id) => (ws.db.prepare('SELECT provenance FROM masks WHERE image_id = ? AND current = 1').get(id) as { provenance: string }).provenance),
    );
    expect(provenance).toEqual([...Array(6).fill('drawn'), ...Array(4).fill('sam-assisted')]);

    // One CT slice, for the DICOM SEG at the end.
    const ct = images.find((i) => i.format === 'dicom')!.id;
    await openImage(ct);
    // The grey slice is on the canvas (a colour image shows no window): a stroke lands on it, not on
    // the previous image's geometry.
    await page.getByTestId('voi').waitFor();
    await page.waitForTimeout(300);
    const c = await centre();
    await page.getByTestId('tool-brush').click();
    await page.getByTestId('brush-size').fill('3'); // the slices are 16×16
    await drag([
      { x: c.x - c.w * 0.1, y: c.y },
      { x: c.x + c.w * 0.1, y: c.y },
    ]);
    await page.getByTestId('label-save').click();
    await page.getByTestId('label-notice').filter({ hasText: 'Saved as ground truth v1 (drawn' }).waitFor();
    const area = inWorkspace((ws) => (ws.db.prepare('SELECT area FROM masks WHERE image_id = ? AND current = 1').get(ct) as { area: number }).area);
    expect(area).toBeGreaterThan(0);
    expect(area).toBeLessThan(16 * 16); // a stroke, not the whole slice
    await shoot('94-loop-ct-labeled');
  }, 180_000);

  it('makes a split in the Images tab; validation and test images are not called labeled', async () => {
    await page.getByTestId('split-labeled').fill('100');
    await page.getByTestId('split-val').fill('20');
    await page.getByTestId('split-test').fill('20');
    await page.getByTestId('split-seed').fill('1');
    await page.getByTestId('split-make').click();
    await page.waitForFunction(() => /Split #1/.test(document.querySelector('[data-testid="split-summary"]')?.textContent ?? ''));
    const summary = await page.getByTestId('split-summary').textContent();
    expect(summary).toMatch(/validation/);
    expect(summary).toMatch(/test/);
    await shoot('95-loop-split');
  });

  it('trains the small student; the run is in the history while it trains, with elapsed time and ETA', async () => {
    await page.getByTestId('tab-training').click();
    await quickSettings(3);
    await recordTrainingStatus();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor();
    // The run's row appears on the worker's first event, long before the run ends.
    await page.locator('[data-testid^="run-row-"]').first().waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('train-progress').count()).toBe(1);
    await page.waitForFunction(() => /elapsed \d+ s/.test(document.querySelector('[data-testid="train-progress-status"]')?.textContent ?? ''));
    await shoot('96-loop-training');
    await page.getByTestId('train-progress').waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.locator('[data-testid="runs"] tbody tr').first().textContent()).toMatch(/supervised\s*done/);
    expect(await page.locator('[data-testid="runs"] thead').textContent()).toContain('best validation Dice (epoch)');
    expect(await page.locator('[data-testid="runs"] tbody tr').first().textContent()).toMatch(/0\.\d{3} \(epoch [1-3]\)/);
    const seen = await statuses();
    expect(seen[0]).toMatch(/^starting… · elapsed \d+ s$|^starting-row$/);
    expect(seen.some((s) => /^training \d+\/\d+ · elapsed \d+ s · about .* left in this phase$/.test(s))).toBe(true);
  }, 180_000);

  it('runs one-time mining with the fixture teacher; the teacher pass reports image by image', async () => {
    await page.getByTestId('train-method').selectOption('one-time');
    await page.getByTestId('train-base').selectOption({ index: 1 });
    await page.getByTestId('train-threshold').fill('0.1'); // a briefly trained student is unsure: prompt where it leans
    await quickSettings(2);
    await recordTrainingStatus();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor();
    await page.waitForFunction(() => /teacher pass \d+\//.test(document.querySelector('[data-testid="train-progress-status"]')?.textContent ?? ''), null, {
      timeout: 60_000,
    });
    await shoot('97-loop-mining-teacher-pass');
    await page.getByTestId('train-progress').waitFor({ state: 'detached', timeout: 180_000 });
    expect(await page.locator('[data-testid="runs"] tbody tr').first().textContent()).toMatch(/mining-one-time\s*done/);
    const pass = (await statuses()).filter((s) => s.startsWith('teacher pass'));
    expect(pass.length).toBeGreaterThan(3);
    // At 100 % labeled, the unlabeled images are the 53 without ground truth (50 Kvasir, 3 CT slices).
    expect(pass.every((s) => /^teacher pass \d+\/53 · elapsed \d+ s/.test(s))).toBe(true);
    expect(inWorkspace((ws) => (ws.db.prepare('SELECT COUNT(*) AS n FROM pseudo_labels').get() as { n: number }).n)).toBeGreaterThan(0);
    await shoot('98-loop-mining-done');
  }, 240_000);

  it('runs a 2-cell experiment with the fixture teacher and shows its table and plot', async () => {
    await page.getByTestId('tab-experiments').click();
    await page.getByTestId('exp-name').fill('loop');
    await page.getByTestId('exp-ratios').fill('50');
    await page.getByTestId('exp-seeds').fill('1');
    await page.getByTestId('exp-method-continuous').uncheck();
    await page.getByTestId('exp-threshold').fill('0.1');
    await page.getByTestId('exp-model').selectOption('small');
    await page.getByTestId('exp-epochs').fill('2');
    await page.getByTestId('exp-size').fill('64');
    await page.getByTestId('exp-batch').fill('4');
    await page.getByTestId('exp-lr').fill('0.001');
    expect(await page.getByTestId('exp-start').textContent()).toMatch(/2 runs/);
    const current = inWorkspace((ws) => latestSplitId(ws));
    expect(current).not.toBeNull();
    await page.getByTestId('exp-start').click();
    await page.getByTestId('exp-progress').waitFor();
    await page.waitForFunction(() => /elapsed \d/.test(document.querySelector('[data-testid="exp-progress"]')?.textContent ?? ''));
    await shoot('99-loop-experiment-running');
    await page.getByTestId('exp-table').waitFor({ timeout: 240_000 });
    const rows = await page.locator('[data-testid="exp-table"] tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/50 %\s*supervised\s*1\s*0\.\d{3}/);
    expect(rows[1]).toMatch(/50 %\s*one-time\s*1\s*0\.\d{3}/);
    await page.getByTestId('exp-plot').waitFor();
    for (const f of ['results.md', 'results.csv', 'val-dice.svg']) expect(existsSync(join(root, 'experiments', 'loop', f))).toBe(true);
    // The grid made its own split (50 % labeled); the workspace's current split is still the one made in the Images tab.
    expect(inWorkspace((ws) => latestSplitId(ws))).toBe(current);
    await shoot('100-loop-experiment-table');
  }, 300_000);

  it('reviews: A accepts a pseudo-label, B + brush + Enter corrects the next', async () => {
    await page.getByTestId('tab-review').click();
    await page.getByTestId('review-cards').waitFor();
    await page.waitForTimeout(300);
    await shoot('101-loop-review');
    await page.keyboard.press('a');
    await page.getByTestId('review-notice').filter({ hasText: 'accepted' }).waitFor();
    await page.waitForTimeout(300);
    await page.keyboard.press('b');
    await page.getByTestId('editing').waitFor();
    for (let i = 0; i < 4; i++) await page.keyboard.press(']');
    const box = (await page.getByTestId('review-viewport').boundingBox())!;
    await drag([
      { x: box.x + box.width * 0.3, y: box.y + box.height * 0.3 },
      { x: box.x + box.width * 0.6, y: box.y + box.height * 0.35 },
    ]);
    await shoot('102-loop-review-correcting');
    await page.keyboard.press('Enter');
    await page.getByTestId('review-notice').filter({ hasText: 'corrected' }).waitFor();
    const decided = inWorkspace((ws) => ws.db.prepare("SELECT provenance FROM masks WHERE pseudo_label_id IS NOT NULL AND current = 1 ORDER BY id").all() as { provenance: string }[]);
    expect(decided.map((r) => r.provenance)).toEqual(['promoted', 'drawn']);
  }, 60_000);

  it('exports the labeled CT slice as DICOM SEG from the Export tab, and dcmjs reads it back', async () => {
    const ct = inWorkspace((ws) => listImages(ws).images.find((i) => i.format === 'dicom' && i.hasMask)!);
    await page.getByTestId('tab-export').click();
    await page.getByTestId('export-source').selectOption('ground-truth');
    await page.getByTestId('export-which').selectOption('ids');
    await page.getByTestId('export-which-ids').fill(String(ct.id));
    await page.getByTestId('export-format').selectOption('dicom-seg');
    const out = join(dir, 'exports');
    await page.getByTestId('export-dir').fill(out);
    await page.getByTestId('export-masks').click();
    await page.getByTestId('export-written').waitFor();
    expect(await page.getByTestId('export-summary').textContent()).toMatch(/1 written, 0 failed/);
    await shoot('103-loop-export');
    const seg = readdirSync(out).find((f) => f.endsWith('.seg.dcm'))!;
    const bytes = readFileSync(join(out, seg));
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
    ) as Record<string, unknown>;
    expect(ds.Modality).toBe('SEG');
    expect([ds.Rows, ds.Columns]).toEqual([ct.height, ct.width]);
    const segment = (Array.isArray(ds.SegmentSequence) ? ds.SegmentSequence[0] : ds.SegmentSequence) as Record<string, unknown>;
    expect(segment.SegmentLabel).toBe('Lesion');
    expect(segment.SegmentAlgorithmType).toBe('MANUAL');
  }, 60_000);

  it('made no request outside the loopback host', () => {
    expect(app.requests.filter((u) => !u.startsWith(`http://127.0.0.1:${app.host.port}/`) && !u.startsWith('data:'))).toEqual([]);
  });
});
