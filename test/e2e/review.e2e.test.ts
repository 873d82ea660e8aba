import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dice } from '../../src/main/metrics/metrics';
import { morph } from '../../src/main/mining/morphology';
import { pseudoLabelVersions, storePseudoLabel } from '../../src/main/workspace/pseudo-labels';
import { loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { createSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { openApp } from '../helpers/browser';
import { KVASIR_IMAGES, KVASIR_MASKS, outputDir, tempDir } from '../helpers/data';

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(10, 16);

interface MaskRow {
  provenance: string;
  pseudo_label_id: number | null;
  current: number;
  area: number;
}

/**
 * Pixels of the review viewport's canvas in the latest version's colour (orange, the same in Viewer,
 * Review and the legend) or yellow (the correction).
 */
function colourPixels(page: Page, colour: 'latest' | 'yellow'): Promise<number> {
  return page.evaluate((colour) => {
    const c = document.querySelector('[data-testid="review-viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i]!,
        g = d[i + 1]!,
        b = d[i + 2]!;
      if (colour === 'latest' ? r > 200 && g > 90 && g < 170 && b < 80 : r > 170 && g > 170 && b < 90) n++;
    }
    return n;
  }, colour);
}
const LATEST = 'latest';
const YELLOW = 'yellow';

describe('review in the browser: queue, accept with A, correct with the brush (Kvasir-SEG)', () => {
  let root: string;
  let host: Awaited<ReturnType<typeof openApp>>['host'];
  let app: Awaited<ReturnType<typeof openApp>>;
  let page: Page;
  let order: number[] = []; // expected queue, most disagreement first
  let noStudent = 0; // the image whose version was stored without the student's mask
  const shots = outputDir('screenshots');
  let requests: string[] = [];

  const masksOf = (imageId: number): MaskRow[] => {
    const ws = Workspace.open(root);
    try {
      return ws.db
        .prepare('SELECT provenance, pseudo_label_id, current, area FROM masks WHERE image_id = ? ORDER BY id')
        .all(imageId) as MaskRow[];
    } finally {
      ws.close();
    }
  };
  const versionsOf = (imageId: number) => {
    const ws = Workspace.open(root);
    try {
      return pseudoLabelVersions(ws, imageId);
    } finally {
      ws.close();
    }
  };

  beforeAll(async () => {
    root = join(tempDir('review-e2e'), 'ws');
    const ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: FILES.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    const split = createSplit(ws, { labeled: 0.34, val: 0, test: 0, seed: 5 });
    const unlabeled = splitMembers(ws, split.id, 'unlabeled');
    expect(unlabeled).toHaveLength(4);
    // Teacher = ground truth eroded, student = ground truth dilated: the more dilated, the more they disagree.
    const agreement = new Map<number, number>();
    unlabeled.forEach((id, k) => {
      const truth = loadMask(ws, id)!;
      const dilate = [40, 6, 14, 24][k]!;
      const versions = k === 0 ? [4, 12] : [8];
      versions.forEach((erode, epoch) => {
        const teacher = morph(truth, erode, false);
        const student = morph(truth, dilate, true);
        const a = dice(teacher.data, student.data);
        agreement.set(id, a);
        storePseudoLabel(ws, id, teacher, {
          runId: null,
          epoch,
          teacherModelId: null,
          teacherLabel: `test teacher (truth eroded ${erode} px)`,
          studentCheckpoint: 'c0ffee'.padEnd(64, '0'),
          prompts: [],
          iouPrediction: 0.8 + epoch * 0.05,
          agreementDice: a,
          studentMask: k === 3 ? null : student, // one version without the student's mask
        });
      });
    });
    noStudent = unlabeled[3]!;
    order = [...unlabeled].sort((a, b) => agreement.get(a)! - agreement.get(b)!);
    ws.close();
    app = await openApp(root);
    ({ host, page } = app);
    requests = app.requests;
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('opens the queue, most disagreement first, with every version, the student and the ground truth', async () => {
    await page.getByTestId('tab-review').click();
    await page.getByTestId('review-cards').waitFor();
    expect(await page.getByTestId('review-position').textContent()).toContain('1 / 4');
    const queueText = await page.getByTestId('review-queue').textContent();
    const positions = order.map((id) => queueText!.indexOf(`#${id} `));
    expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))).toBe(true);
    const top = versionsOf(order[0]!);
    for (const v of top) await page.getByTestId(`version-${v.version}`).waitFor();
    expect(await page.getByTestId(`version-${top.at(-1)!.version}`).textContent()).toContain('test teacher');
    await page.getByTestId('student-card').waitFor();
    await page.getByTestId('truth-card').waitFor();
    expect(await page.getByTestId('review-keys').textContent()).toMatch(/A\s*accept.*R\s*reject/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, '20-review-queue.png') });
    // The latest version is overlaid in its colour; S hides the student's mask under it, and shows it again.
    await page.keyboard.press('s');
    await page.waitForTimeout(150);
    expect(await page.getByTestId('visible-student').isChecked()).toBe(false);
    // Colonoscopy has orange of its own: count what the latest version's layer adds.
    const shown = await colourPixels(page, LATEST);
    const latestLayer = page.getByTestId(`visible-${top.at(-1)!.version}`);
    await latestLayer.uncheck();
    await page.waitForTimeout(150);
    const hidden = await colourPixels(page, LATEST);
    await latestLayer.check();
    expect(shown - hidden).toBeGreaterThan(500);
    await page.keyboard.press('s');
  });

  it('A accepts the selected version: it becomes the ground truth (promoted) and the dataset says reviewed', async () => {
    const id = order[0]!;
    const latest = versionsOf(id).at(-1)!;
    // A slow workstation: the next image is still loading when the reader presses K, which must
    // still take them back (it was dropped while the accept's follow-up load held the page busy).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    await page.keyboard.press('a');
    await page.getByTestId('review-notice').waitFor();
    expect(await page.getByTestId('review-notice').textContent()).toContain(`Image #${id}: version ${latest.version} accepted`);
    expect(masksOf(id)).toMatchObject([
      { provenance: 'imported', current: 0 },
      { provenance: 'promoted', pseudo_label_id: latest.id, current: 1, area: latest.area },
    ]);
    expect(await page.getByTestId('review-position').textContent()).toContain('2 / 4');
    await page.keyboard.press('k'); // back to the decided image: the card shows the decision
    await page.waitForFunction(() => document.querySelector('[data-testid="review-position"]')?.textContent?.includes('1 / 4'), undefined, { timeout: 10_000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await cdp.detach();
    await page.getByTestId(`decision-${latest.version}`).filter({ hasText: 'accepted' }).waitFor();
    expect(await page.getByTestId('truth-info').textContent()).toContain(`promoted from pseudo-label #${latest.id}`);
    await page.screenshot({ path: join(shots, '21-review-accepted.png') });
    await page.keyboard.press('j');
    await page.waitForFunction(() => document.querySelector('[data-testid="review-position"]')?.textContent?.includes('2 / 4'));
  });

  it('B + drag paints a correction, Enter stores it as drawn ground truth naming its version', async () => {
    const id = order[1]!;
    const v = versionsOf(id).at(-1)!;
    await page.getByTestId(`version-${v.version}`).waitFor();
    await page.waitForTimeout(200);
    await page.keyboard.press('b');
    await page.getByTestId('editing').waitFor();
    for (let i = 0; i < 4; i++) await page.keyboard.press(']');
    expect(Number(await page.getByTestId('brush-px').textContent())).toBeGreaterThan(40);
    const box = (await page.getByTestId('review-viewport').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const before = await colourPixels(page, YELLOW);
    await page.mouse.move(cx - box.width * 0.3, cy - box.height * 0.35);
    await page.mouse.down();
    await page.mouse.move(cx + box.width * 0.05, cy - box.height * 0.35, { steps: 12 });
    await page.mouse.move(cx + box.width * 0.05, cy - box.height * 0.25, { steps: 4 });
    await page.mouse.up();
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.waitForTimeout(200);
    expect(await colourPixels(page, YELLOW)).toBeGreaterThan(before + 1000);
    expect(await page.getByTestId('editing').textContent()).toContain('changed');
    await page.screenshot({ path: join(shots, '22-review-brush.png') });
    await page.keyboard.press('Enter');
    await page
      .getByTestId('review-notice')
      .filter({ hasText: `Image #${id}` })
      .waitFor();
    expect(await page.getByTestId('review-notice').textContent()).toContain(`version ${v.version} corrected`);
    const rows = masksOf(id);
    expect(rows).toMatchObject([
      { provenance: 'imported', current: 0 },
      { provenance: 'drawn', pseudo_label_id: v.id, current: 1 },
    ]);
    expect(rows[1]!.area).toBeGreaterThan(v.area + 500);
    expect(versionsOf(id).at(-1)!.status).toBe('accepted');
  });

  it('R rejects; the dataset shows each status and sorts by disagreement', async () => {
    const id = order[2]!;
    await page.waitForFunction(() => document.querySelector('[data-testid="review-position"]')?.textContent?.includes('3 / 4'));
    await page.getByTestId('review-cards').waitFor();
    await page.waitForTimeout(200);
    await page.keyboard.press('r');
    await page
      .getByTestId('review-notice')
      .filter({ hasText: `Image #${id}` })
      .waitFor();
    expect(versionsOf(id).at(-1)!.status).toBe('rejected');
    expect(masksOf(id)).toMatchObject([{ provenance: 'imported', current: 1 }]);
    // One image's version was stored without the student's mask: the card says so.
    await page.getByTestId('review-queue').getByText(`#${noStudent} `).click();
    await page.getByTestId('student-missing').waitFor();
    await page.screenshot({ path: join(shots, '23-review-no-student-mask.png') });

    await page.getByTestId('tab-images').click();
    for (const [k, status] of [
      [0, 'reviewed'],
      [1, 'reviewed'],
      [2, 'reviewed'],
      [3, 'pseudo-labeled'],
    ] as const)
      await page.getByTestId(`status-${order[k]}`).filter({ hasText: status }).waitFor();
    await page.getByTestId('status-filter').selectOption('reviewed');
    expect(await page.locator('[data-testid^="status-"]:not([data-testid="status-filter"])').count()).toBe(3);
    await page.getByTestId('status-filter').selectOption('any');
    await page.getByTestId('sort').selectOption('disagreement');
    const ids = await page
      .locator('[data-testid="dataset"] button')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.slice(6))));
    expect(ids.slice(0, 4)).toEqual(order);
    await page.screenshot({ path: join(shots, '24-dataset-status.png') });
  });

  it('made no request outside the loopback host', () => {
    expect(requests.filter((u) => !u.startsWith(`http://127.0.0.1:${host.port}/`) && !u.startsWith('data:'))).toEqual([]);
  });
});
