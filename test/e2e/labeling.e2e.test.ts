import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaskDetails } from '../../src/shared/contract';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, outputDir, tempDir } from '../helpers/data';

// A radiologist labels images in the Viewer with no mask imported: a brush stroke and a lasso,
// undo/redo from the keyboard (never reaching into a text field), Save, "Save and next
// unlabeled", and a label started from the fixture teacher's proposal, edited, then saved.

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(30, 33);

interface MaskRow {
  provenance: string;
  current: number;
  area: number;
  details: string | null;
}

/** Pixels of the Viewer's canvas the ground-truth green dominates. */
function greenPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 1]! > d[i]! + 40 && d[i + 1]! > d[i + 2]! + 40) n++;
    return n;
  });
}

/** cornerstone draws on the next animation frame: wait until the green count satisfies `ok`. */
async function green(page: Page, ok: (n: number) => boolean): Promise<number> {
  let n = await greenPixels(page);
  for (let i = 0; i < 60 && !ok(n); i++) {
    await page.waitForTimeout(50);
    n = await greenPixels(page);
  }
  return n;
}

/** The green count once the canvas stopped changing (a setting changed just before redraws on the next frame). */
async function settledGreen(page: Page): Promise<number> {
  let last = await greenPixels(page);
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(100);
    const n = await greenPixels(page);
    if (n === last) return n;
    last = n;
  }
  return last;
}

describe('labeling in the Viewer: brush, lasso, undo/redo, save, SAM-assisted (fixture teacher)', () => {
  let root: string;
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let ids: number[];
  let teacherName: string;
  const shots = outputDir('screenshots');

  const masksOf = (imageId: number): MaskRow[] => {
    const ws = Workspace.open(root);
    try {
      return ws.db.prepare('SELECT provenance, current, area, details FROM masks WHERE image_id = ? ORDER BY id').all(imageId) as MaskRow[];
    } finally {
      ws.close();
    }
  };

  async function centre(): Promise<{ x: number; y: number }> {
    const box = (await page.getByTestId('viewport').boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  async function drag(path: { x: number; y: number }[]): Promise<void> {
    await page.mouse.move(path[0]!.x, path[0]!.y);
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(p.x, p.y, { steps: 8 });
    await page.mouse.up();
  }

  async function openImage(id: number): Promise<void> {
    await page.getByTestId(`image-${id}`).click();
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), id);
    await page.getByTestId('label-status').waitFor();
  }

  beforeAll(async () => {
    const dir = tempDir('labeling-e2e');
    root = join(dir, 'ws');
    const ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: FILES.map((f) => join(KVASIR_IMAGES, f)) }); // no masks: nothing is labeled
    ids = listImages(ws).images.map((i) => i.id);
    const files = writeFixturePair(join(dir, 'models'), 'mobilesam');
    teacherName = (await addTeacherModel(ws, { encoder: files.encoder, decoder: files.decoder, family: 'mobilesam' })).name;
    ws.close();
    app = await openApp(root);
    page = app.page;
    await page.setViewportSize({ width: 1600, height: 1000 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('brushes and lasso-fills a label; Ctrl+Z and Ctrl+Shift+Z step the canvas, never the text field', async () => {
    await openImage(ids[0]!);
    expect(await page.getByTestId('label-status').textContent()).toContain('no ground truth');
    expect(await page.getByTestId('label-save').isDisabled()).toBe(true);
    // Text typed into the workspace field first: the undo that follows must not touch it.
    const pathField = page.getByTestId('workspace-path');
    const path = await pathField.inputValue();
    await pathField.click();
    await page.keyboard.press('End');
    await page.keyboard.type('-typed');
    expect(await pathField.inputValue()).toBe(`${path}-typed`);

    const c = await centre();
    await page.getByTestId('tool-brush').click();
    expect(await page.getByTestId('tool-brush').getAttribute('title')).toContain('Alt+wheel');
    await drag([
      { x: c.x - 120, y: c.y - 60 },
      { x: c.x + 120, y: c.y - 60 },
    ]);
    await page.getByTestId('mask-opacity').fill('0.9');
    expect(await page.getByTestId('label-status').textContent()).toContain('unsaved drawn label');
    // Counted with the lasso chosen: the brush outline at the pointer is drawn in the label's green too.
    await page.getByTestId('tool-lasso').click();
    const brushed = await settledGreen(page);
    expect(brushed).toBeGreaterThan(500);
    await drag([
      { x: c.x - 90, y: c.y },
      { x: c.x + 90, y: c.y },
      { x: c.x, y: c.y + 140 },
    ]);
    await green(page, (n) => n > brushed * 1.5);
    const lassoed = await settledGreen(page);
    expect(lassoed).toBeGreaterThan(brushed * 1.5);
    await page.screenshot({ path: join(shots, '40-labeling-brush-lasso-1600.png') });

    // Focus is not in a text field (the last click was on the image): undo is the canvas's.
    await page.keyboard.press('Control+z');
    expect(await green(page, (n) => n < lassoed)).toBe(brushed);
    expect(await pathField.inputValue()).toBe(`${path}-typed`);
    await page.keyboard.press('Control+Shift+z');
    expect(await green(page, (n) => n > brushed)).toBe(lassoed);
    await page.keyboard.press('Control+z');
    await green(page, (n) => n < lassoed);
    await page.keyboard.press('Control+y');
    expect(await green(page, (n) => n > brushed)).toBe(lassoed);

    // In the text field, Ctrl+Z is the field's own undo, and the canvas keeps its state.
    await pathField.click();
    await page.keyboard.press('Control+z');
    const undone = await pathField.inputValue();
    expect(undone).not.toBe(`${path}-typed`);
    expect(`${path}-typed`.startsWith(undone)).toBe(true);
    expect(await greenPixels(page)).toBe(lassoed);
    expect(await page.getByTestId('label-undo').isEnabled()).toBe(true);
    expect(await page.getByTestId('label-redo').isEnabled()).toBe(false);
    await pathField.fill(path);
  });

  it('saves the label as drawn ground truth, then goes to the next unlabeled image', async () => {
    await page.getByTestId('label-save').click();
    await page.getByTestId('label-notice').waitFor();
    expect(await page.getByTestId('label-notice').textContent()).toContain(`#${ids[0]}: Saved as ground truth v1 (drawn`);
    expect(await page.getByTestId('label-status').textContent()).toContain('ground truth v1 · drawn');
    expect(await page.getByTestId('label-save').isDisabled()).toBe(true);
    const rows = masksOf(ids[0]!);
    expect(rows).toMatchObject([{ provenance: 'drawn', current: 1, details: null }]);
    expect(rows[0]!.area).toBeGreaterThan(1000);
    await page.getByTestId('label-save-next').click();
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), ids[1]!);
    expect(await page.getByTestId('label-status').textContent()).toContain('no ground truth');
    expect(await page.getByTestId('dataset').textContent()).toBeTruthy();
  });

  it('takes the fixture teacher’s proposal as the label, edits it, and saves it SAM-assisted with model and prompts', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(300);
    const c = await centre();
    await page.getByTestId('tool-prompt').click();
    await drag([
      { x: c.x - 70, y: c.y - 60 },
      { x: c.x + 70, y: c.y + 60 },
    ]);
    await page.getByTestId('sam-info').waitFor({ timeout: 60_000 });
    await page.getByTestId('sam-use').click();
    await page.getByTestId('mask-opacity').fill('0.9');
    const proposed = await green(page, (n) => n > 200);
    expect(proposed).toBeGreaterThan(200);
    expect(await page.getByTestId('label-status').textContent()).toContain('unsaved SAM-assisted label');
    await page.screenshot({ path: join(shots, '41-labeling-sam-proposal-1280.png') });

    // Edit the proposal with the eraser, then save it and go on.
    await page.getByTestId('tool-eraser').click();
    await page.keyboard.press(']');
    await drag([
      { x: c.x - 80, y: c.y },
      { x: c.x + 80, y: c.y },
    ]);
    expect(await green(page, (n) => n < proposed)).toBeLessThan(proposed);
    await page.getByTestId('label-save-next').click();
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), ids[2]!);
    const rows = masksOf(ids[1]!);
    expect(rows).toMatchObject([{ provenance: 'sam-assisted', current: 1 }]);
    const details = JSON.parse(rows[0]!.details!) as MaskDetails;
    expect(details.teacher).toMatchObject({ name: teacherName, family: 'mobilesam' });
    expect(details.edited).toBe(true);
    expect(details.prompts).toHaveLength(1);
    expect(details.prompts![0]!.box).not.toBeNull();
    expect(details.prompts![0]!.points).toEqual([]);
  });

  it('drawing over existing ground truth keeps the earlier one as a version and says so', async () => {
    await openImage(ids[1]!);
    expect(await page.getByTestId('label-status').textContent()).toContain(`ground truth v1 · SAM-assisted (mobilesam “${teacherName}”, 1 prompt, edited)`);
    const c = await centre();
    await page.getByTestId('tool-brush').click();
    await drag([
      { x: c.x - 40, y: c.y + 100 },
      { x: c.x + 40, y: c.y + 100 },
    ]);
    await page.getByTestId('label-save').click();
    await page.getByTestId('label-notice').filter({ hasText: 'v2' }).waitFor();
    expect(await page.getByTestId('label-notice').textContent()).toContain('Saved as ground truth v2 (SAM-assisted');
    expect(await page.getByTestId('label-notice').textContent()).toContain('it replaces v1 · SAM-assisted');
    expect(masksOf(ids[1]!).map((r) => [r.provenance, r.current])).toEqual([
      ['sam-assisted', 0],
      ['sam-assisted', 1],
    ]);
    await page.screenshot({ path: join(shots, '42-labeling-replaced-1280.png') });
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, '43-labeling-replaced-1600.png') });
  });

  it('never saves an empty label by a slip; "Save as no finding" stores it on purpose, recorded as such', async () => {
    await openImage(ids[2]!);
    expect(await page.getByTestId('label-status').textContent()).toContain('no ground truth');
    // A stroke erased again leaves the label empty: neither save button takes it.
    const c = await centre();
    await page.getByTestId('tool-brush').click();
    await drag([
      { x: c.x - 40, y: c.y },
      { x: c.x + 40, y: c.y },
    ]);
    await page.getByTestId('label-status').filter({ hasText: 'unsaved drawn label' }).waitFor();
    expect(await page.getByTestId('label-save').isDisabled()).toBe(false);
    await page.getByTestId('tool-eraser').click();
    await page.getByTestId('brush-size').fill('200');
    await drag([
      { x: c.x - 40, y: c.y },
      { x: c.x + 40, y: c.y },
    ]);
    await page.waitForFunction(() => (document.querySelector('[data-testid="label-save"]') as HTMLButtonElement).disabled);
    expect(await page.getByTestId('label-status').textContent()).toContain('unsaved drawn label');
    expect(await page.getByTestId('label-save').getAttribute('title')).toContain('the label is empty');
    expect(await page.getByTestId('label-save-next').isDisabled()).toBe(true);

    await page.getByTestId('label-no-finding').click();
    await page.getByTestId('label-status').filter({ hasText: 'ground truth v1 · drawn (no finding)' }).waitFor();
    expect(await page.getByTestId('label-no-finding').count()).toBe(0);
    const rows = masksOf(ids[2]!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provenance: 'drawn', current: 1, area: 0 });
    expect(JSON.parse(rows[0]!.details!)).toEqual({ noFinding: true });
  });
});
