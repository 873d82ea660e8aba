import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMaskFile, encodeGreyPng, IGNORE_LABEL, type LabelMap } from '../../src/main/imaging/mask';
import { listImages, loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { addStructure, labelSchema } from '../../src/main/workspace/labels';
import { currentStructureAreas, loadLabelMap } from '../../src/main/workspace/masks';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

// A few Kvasir-SEG pairs, their masks re-encoded the ways research datasets store labels.
const NAMES = readdirSync(KVASIR_IMAGES).sort().slice(0, 4);
const truth = (name: string) => decodeMaskFile(new Uint8Array(readFileSync(join(KVASIR_MASKS, name))));
const stem = (name: string) => name.replace(/\.[^.]+$/, '');

/** Writes each Kvasir mask as a PNG of values `encode(polyp, index)` into a fresh folder. */
function maskFolder(root: string, tag: string, encode: (polyp: number, i: number, width: number) => number): string {
  const dir = join(root, tag);
  mkdirSync(dir, { recursive: true });
  for (const name of NAMES) {
    const m = truth(name);
    const data = new Uint8Array(m.data.length);
    for (let i = 0; i < data.length; i++) data[i] = encode(m.data[i]!, i, m.width);
    writeFileSync(join(dir, `${stem(name)}.png`), encodeGreyPng({ width: m.width, height: m.height, data }));
  }
  return dir;
}

describe('mask import rules', () => {
  let root: string;
  let images: string;
  const opened: Workspace[] = [];
  const fresh = (tag: string) => {
    const ws = Workspace.open(join(root, `ws-${tag}`), { create: true });
    opened.push(ws);
    return ws;
  };
  const imageIdOf = (ws: Workspace, name: string) => listImages(ws).images.find((r) => r.sourcePath.endsWith(name))!.id;

  beforeAll(() => {
    root = tempDir('label-import');
    images = join(root, 'images');
    mkdirSync(images);
    for (const name of NAMES) copyFileSync(join(KVASIR_IMAGES, name), join(images, name));
  });
  afterAll(() => opened.forEach((ws) => ws.close()));

  it('reads 0/1 masks (nnU-Net, Decathlon) as the structure, exactly like the 0/255 originals', async () => {
    const ws = fresh('01');
    const r = await importImages(ws, { paths: [images], masks: maskFolder(root, 'zero-one', (p) => p) });
    expect(r.failed).toEqual([]);
    expect(r.masks).toBe(NAMES.length);
    expect(r.maskFiles!.map((f) => [f.rule, f.values, f.stored])).toEqual(NAMES.map(() => ['binary-1', [0, 1], true]));
    for (const name of NAMES) {
      const id = imageIdOf(ws, name);
      const expected = truth(name);
      expect(Buffer.compare(Buffer.from(loadMask(ws, id)!.data), Buffer.from(expected.data))).toBe(0);
      const area = expected.data.reduce((a, b) => a + b, 0);
      expect(area).toBeGreaterThan(0);
      const report = r.maskFiles!.find((f) => f.file.includes(stem(name)))!;
      expect(report.fractions).toEqual({ '1': area / expected.data.length });
    }
  });

  it('reports the Kvasir JPEG masks as 0/255 with their foreground fraction', async () => {
    const ws = fresh('255');
    const r = await importImages(ws, { paths: [images], masks: KVASIR_MASKS });
    expect(r.failed).toEqual([]);
    expect(r.masks).toBe(NAMES.length);
    for (const f of r.maskFiles!) {
      expect(f.rule).toBe('binary-255');
      expect(f.values).toEqual([0, 255]);
      expect(f.fractions['1']).toBeGreaterThan(0);
    }
  });

  // 0 background, 1 the polyp, 2 a band of the top rows that is not polyp: a 3-value label map.
  const threeValues = (p: number, i: number, width: number) => (p ? 1 : i < width * 20 ? 2 : 0);

  it('a 0..K label map with a value outside the schema is an error for each file, nothing stored', async () => {
    const ws = fresh('unknown');
    const r = await importImages(ws, { paths: [images], masks: maskFolder(root, 'three', threeValues) });
    expect(r.imported).toBe(NAMES.length);
    expect(r.masks).toBe(0);
    expect(r.failed).toHaveLength(NAMES.length);
    for (const f of r.failed) expect(f.error).toMatch(/label value 2 \(.+ %\) not in the label schema.*--new-structures/);
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM masks').get()).toEqual({ n: 0 });
  });

  it('maps a 3-value label map onto the schema: known structures, or new ones when asked', async () => {
    const known = fresh('known');
    addStructure(known, { name: 'Top band' });
    const a = await importImages(known, { paths: [images], masks: join(root, 'three') });
    expect(a.failed).toEqual([]);
    expect(a.masks).toBe(NAMES.length);

    const asked = fresh('new');
    const b = await importImages(asked, { paths: [images], masks: join(root, 'three'), newStructures: true });
    expect(b.failed).toEqual([]);
    expect(b.newStructures!.map((s) => [s.value, s.name])).toEqual([[2, 'Structure 2']]);
    expect(labelSchema(asked).map((s) => s.value)).toEqual([1, 2]);

    for (const [ws, r] of [[known, a], [asked, b]] as const) {
      const name = NAMES[0]!;
      const id = imageIdOf(ws, name);
      const map = loadLabelMap(ws, id)!;
      const m = truth(name);
      const expected = m.data.map((p, i) => threeValues(p, i, m.width));
      expect(Buffer.compare(Buffer.from(map.data), Buffer.from(expected))).toBe(0);
      // The binary readers keep seeing structure 1 alone.
      expect(Buffer.compare(Buffer.from(loadMask(ws, id)!.data), Buffer.from(m.data))).toBe(0);
      const areas = currentStructureAreas(ws, id);
      expect(areas[2]).toBeGreaterThan(0);
      expect(r.maskFiles![0]!.rule).toBe('label-map');
      expect(r.maskFiles![0]!.values).toEqual([0, 1, 2]);
      expect(r.maskFiles![0]!.fractions['2']).toBeCloseTo(areas[2]! / map.data.length, 10);
    }
  });

  it('stores the ignore value chosen at import as 255, outside every structure', async () => {
    const ws = fresh('ignore');
    // 127 over the left 10 columns (tubes and markup in lung masks are marked so).
    const withIgnore = (p: number, i: number, width: number) => (i % width < 10 ? 127 : p ? 255 : 0);
    const r = await importImages(ws, { paths: [images], masks: maskFolder(root, 'ignore', withIgnore), ignore: 127 });
    expect(r.failed).toEqual([]);
    expect(r.ignoreValue).toBe(127);
    const name = NAMES[1]!;
    const map: LabelMap = loadLabelMap(ws, imageIdOf(ws, name))!;
    const m = truth(name);
    for (let i = 0; i < map.data.length; i += 97) expect(map.data[i]).toBe(i % m.width < 10 ? IGNORE_LABEL : m.data[i]);
    const report = r.maskFiles!.find((f) => f.file.includes(stem(name)))!;
    expect(report.values).toEqual([0, 127, 255]);
    expect(report.ignoredFraction).toBeCloseTo(10 / m.width, 10);
  });

  it('without --ignore, 0/1/2 beside 255 in a lossless file fits no rule and says how to read it', async () => {
    const ws = fresh('no-rule');
    const r = await importImages(ws, { paths: [images], masks: maskFolder(root, 'mixed', (p, i, w) => (i % w < 10 ? 255 : p)) });
    expect(r.masks).toBe(0);
    expect(r.failed).toHaveLength(NAMES.length);
    for (const f of r.failed) expect(f.error).toMatch(/values 0, 1, 255: neither .* --ignore 255/);
  });

  it('a folder whose masks are all empty is reported and no image counts as labeled', async () => {
    const ws = fresh('empty');
    const dir = maskFolder(root, 'empty', () => 0);
    const r = await importImages(ws, { paths: [images], masks: dir });
    expect(r.imported).toBe(NAMES.length);
    expect(r.masks).toBe(0);
    expect(r.failed).toEqual([{ file: dir, error: expect.stringMatching(new RegExp(`all ${NAMES.length} masks are empty`)) }]);
    expect(r.maskFiles!.every((f) => f.rule === 'empty' && !f.stored)).toBe(true);
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM masks').get()).toEqual({ n: 0 });
  });

  it('empty masks before the first labeled one are stored once it comes: an image may show no structure', async () => {
    const dir = maskFolder(root, 'one-empty', () => 0);
    writeFileSync(join(dir, `${stem(NAMES[2]!)}.png`), readFileSync(join(root, 'zero-one', `${stem(NAMES[2]!)}.png`)));
    const ws = fresh('one-empty');
    const r = await importImages(ws, { paths: [images], masks: dir });
    expect(r.failed).toEqual([]);
    expect(r.masks).toBe(NAMES.length);
    expect(r.maskFiles!.map((f) => f.rule)).toEqual(['empty', 'empty', 'binary-1', 'empty']);
    expect(r.maskFiles!.every((f) => f.stored)).toBe(true);
    expect(loadMask(ws, imageIdOf(ws, NAMES[0]!))!.data.every((v) => v === 0)).toBe(true);
  });

  it('a mask whose size differs from its image names both sizes', async () => {
    const ws = fresh('size');
    const dir = join(root, 'small');
    mkdirSync(dir);
    writeFileSync(join(dir, `${stem(NAMES[0]!)}.png`), encodeGreyPng({ width: 3, height: 2, data: new Uint8Array([0, 1, 1, 0, 0, 1]) }));
    const r = await importImages(ws, { paths: [images], masks: dir });
    const { width, height } = truth(NAMES[0]!);
    expect(r.failed).toEqual([{ file: expect.stringContaining(stem(NAMES[0]!)), error: `mask is 3×2 but its image is ${width}×${height}; mask skipped` }]);
    expect(r.masks).toBe(0);
  });
});
