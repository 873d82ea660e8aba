import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMasks } from '../../src/main/export/export-masks';
import { decodeLabelMapPng } from '../../src/main/imaging/mask';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { openApp } from '../helpers/browser';
import { DICOM_DIR, outputDir, tempDir } from '../helpers/data';

// Several structures through the UI: a second structure added in the Labels tab, both painted on a
// CT slice with the structure picker (and an ignore stroke), saved, seen again in their own colours
// after a reload, counted in the Labels tab, and exported as a DICOM SEG of two segments.

const CT = join(DICOM_DIR, 'dicomParser/testImages/CT1_UNC.explicit_little_endian.dcm');
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Pixels of the Viewer's canvas where one channel dominates: green (Lesion, #00e676) and blue (the second structure, #2962ff). */
function colourPixels(page: Page): Promise<{ green: number; blue: number }> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let green = 0;
    let blue = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 1]! > d[i]! + 40 && d[i + 1]! > d[i + 2]! + 40) green++;
      if (d[i + 2]! > d[i]! + 40 && d[i + 2]! > d[i + 1]! + 40) blue++;
    }
    return { green, blue };
  });
}

/** The counts once the canvas stopped changing (cornerstone draws on the next animation frame). */
async function settled(page: Page): Promise<{ green: number; blue: number }> {
  let last = await colourPixels(page);
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(100);
    const n = await colourPixels(page);
    if (n.green === last.green && n.blue === last.blue) return n;
    last = n;
  }
  return last;
}

describe('several structures in the app: Labels tab, structure picker, save, reload, SEG', () => {
  let root: string;
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let id: number;
  let painted: { green: number; blue: number };
  const shots = outputDir('screenshots');

  async function drag(path: { x: number; y: number }[]): Promise<void> {
    await page.mouse.move(path[0]!.x, path[0]!.y);
    await page.mouse.down();
    for (const p of path.slice(1)) await page.mouse.move(p.x, p.y, { steps: 8 });
    await page.mouse.up();
  }

  async function openImage(): Promise<void> {
    await page.getByTestId('tab-images').click();
    await page.getByTestId(`image-${id}`).click();
    await page.waitForFunction((id) => document.querySelector('.title')?.textContent?.startsWith(`#${id} `), id);
    await page.getByTestId('label-status').waitFor();
  }

  beforeAll(async () => {
    root = join(tempDir('structures-e2e'), 'ws');
    const ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: [CT] });
    id = listImages(ws).images[0]!.id;
    ws.close();
    app = await openApp(root);
    page = app.page;
    await page.setViewportSize({ width: 1600, height: 1000 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('a binary project shows one structure, Lesion, and no picker; the Labels tab adds a second with its codes', async () => {
    await openImage();
    expect(await page.getByTestId('structure-tools').count()).toBe(0);
    await page.getByTestId('tab-labels').click();
    await page.getByTestId('structure-row-1').waitFor();
    expect(await page.getByTestId('structure-name-1').inputValue()).toBe('Lesion');
    expect(await page.getByTestId('structure-row-2').count()).toBe(0);
    await page.getByTestId('structure-new-name').fill('Tumour');
    await page.getByTestId('structure-new-term').selectOption({ label: 'Neoplasm (Morphologically Abnormal Structure)' });
    await page.getByTestId('structure-add').click();
    await page.getByTestId('structure-row-2').waitFor();
    expect(await page.getByTestId('labels-notice').textContent()).toContain('Added structure 2 “Tumour”');
    expect(await page.getByTestId('structure-name-2').inputValue()).toBe('Tumour');
    await page.screenshot({ path: join(shots, '70-labels-tab-1600.png') });
  });

  it('paints Lesion, Tumour and an ignore region with the picker, each in its colour, and saves the label map', async () => {
    await openImage();
    await page.getByTestId('structure-tools').waitFor();
    const box = (await page.getByTestId('viewport').boundingBox())!;
    const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await page.getByTestId('tool-brush').click();
    await page.getByTestId('structure-1').click();
    await drag([
      { x: c.x - 120, y: c.y - 80 },
      { x: c.x + 120, y: c.y - 80 },
    ]);
    await page.getByTestId('mask-opacity').fill('0.9'); // the overlay settings show once there is a label
    // Keys choose too (not while a field has the focus): 2 the second structure, 0 the ignore region.
    await page.getByTestId('tool-brush').click();
    await page.keyboard.press('2');
    expect(await page.getByTestId('structure-2').getAttribute('aria-checked')).toBe('true');
    await drag([
      { x: c.x - 120, y: c.y + 80 },
      { x: c.x + 120, y: c.y + 80 },
    ]);
    await page.keyboard.press('0');
    expect(await page.getByTestId('structure-255').getAttribute('aria-checked')).toBe('true');
    await drag([
      { x: c.x - 40, y: c.y },
      { x: c.x + 40, y: c.y },
    ]);
    await page.getByTestId('tool-lasso').click(); // the brush outline would be counted in the structure's colour
    painted = await settled(page);
    expect(painted.green).toBeGreaterThan(500);
    expect(painted.blue).toBeGreaterThan(500);
    expect(await page.getByTestId('structure-1').textContent()).not.toContain(' 0 px');
    expect(await page.getByTestId('structure-255').textContent()).not.toContain(' 0 px');
    await page.getByTestId('label-save').click();
    await page.getByTestId('label-notice').waitFor();
    expect(await page.getByTestId('label-notice').textContent()).toContain(`#${id}: Saved as ground truth v1 (drawn`);
    expect(await page.getByTestId('label-areas').textContent()).toMatch(/^Lesion \d+ px · Tumour \d+ px$/);
    await page.screenshot({ path: join(shots, '71-structures-painted-1600.png') });

    const ws = Workspace.open(root);
    try {
      const row = ws.db.prepare('SELECT provenance, areas, labelmap_blob FROM masks WHERE image_id = ? AND current = 1').get(id) as {
        provenance: string;
        areas: string;
        labelmap_blob: string | null;
      };
      expect(row.provenance).toBe('drawn');
      expect(Object.keys(JSON.parse(row.areas) as object)).toEqual(['1', '2']);
      const values = new Set(decodeLabelMapPng(ws.blobs.get(row.labelmap_blob!)).data);
      expect([...values].sort((a, b) => a - b)).toEqual([0, 1, 2, 255]);
    } finally {
      ws.close();
    }
  });

  it('after a reload the saved label map shows both structures in their colours; the Labels tab counts them', async () => {
    await page.reload();
    await page.getByTestId('workspace-summary').waitFor();
    await page.setViewportSize({ width: 1280, height: 720 });
    await openImage();
    await page.getByTestId('structure-tools').waitFor();
    let seen = await settled(page);
    for (let i = 0; i < 30 && (seen.green === 0 || seen.blue === 0); i++) seen = await settled(page);
    expect(seen.green).toBeGreaterThan(0);
    expect(seen.blue).toBeGreaterThan(0);
    expect(await page.getByTestId('label-status').textContent()).toContain('ground truth v1 · drawn');
    await page.screenshot({ path: join(shots, '72-structures-reloaded-1280.png') });
    await page.getByTestId('tab-labels').click();
    await page.getByTestId('structure-images-2').filter({ hasText: '1' }).waitFor();
    expect(await page.getByTestId('structure-images-1').textContent()).toBe('1');
    expect(Number((await page.getByTestId('structure-pixels-2').textContent())!.replace(/,/g, ''))).toBeGreaterThan(100);
    await page.screenshot({ path: join(shots, '73-labels-tab-counts-1280.png') });
  });

  it('exports the label as a DICOM SEG of two segments, read back with dcmjs', async () => {
    const ws = Workspace.open(root);
    try {
      const [written] = (await exportMasks(ws, { imageIds: [id], outDir: join(tempDir('structures-seg'), 'out'), format: 'dicom-seg' })).files;
      expect(written!.error).toBeNull();
      const bytes = readFileSync(written!.file!);
      const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
        dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict,
      ) as Record<string, any>;
      expect([seg.SegmentationType, seg.NumberOfFrames]).toEqual(['BINARY', 2]);
      expect(list(seg.SegmentSequence).map((s) => [s.SegmentNumber, s.SegmentLabel, list(s.SegmentedPropertyTypeCodeSequence)[0].CodeValue])).toEqual([
        [1, 'Lesion', '4147007'],
        [2, 'Tumour', '108369006'],
      ]);
    } finally {
      ws.close();
    }
  });
});
