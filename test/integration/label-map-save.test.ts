import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCompactLabelMap, encodeCompactLabelMap, type CompactLabelMap } from '../../src/shared/compact-label-map';
import type { GroundTruthVersion, LabelStructure, SavedGroundTruth, StructureUsage } from '../../src/shared/contract';
import { ApiService } from '../../src/main/services/api';
import { imageRecord, listImages, loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, tempDir } from '../helpers/data';

// A label of several structures made in the Viewer reaches the store through the API as a label
// map and comes back for editing with the same values; its provenance is recorded as for a binary
// label, the versions list its pixels per structure, and a value outside the schema stores nothing.

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(40, 42);

describe('a label map saved through the API (Kvasir-SEG, 2 images, no masks)', () => {
  let root: string;
  let api: ApiService;
  let ids: number[];
  let size: { width: number; height: number }; // of ids[0]
  let size1: { width: number; height: number }; // of ids[1]
  const call = <T>(name: string, input: unknown) => api.dispatch(name, input) as Promise<T>;
  const versions = async (imageId: number) => (await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId })).versions;

  /** Band rows: structure 1 in the top third, structure 2 in the middle, the ignore region in a bottom strip. */
  function bands({ width, height } = size): Uint8Array {
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      const v = y < 30 ? 1 : y < 50 ? 2 : y >= height - 5 ? 255 : 0;
      data.fill(v, y * width, (y + 1) * width);
    }
    return data;
  }

  beforeAll(async () => {
    root = join(tempDir('label-map-save'), 'ws');
    const ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: FILES.map((f) => join(KVASIR_IMAGES, f)) });
    ids = listImages(ws).images.map((i) => i.id);
    const r = imageRecord(ws, ids[0]!);
    size = { width: r.width, height: r.height };
    const r1 = imageRecord(ws, ids[1]!);
    size1 = { width: r1.width, height: r1.height };
    ws.close();
    api = new ApiService('websocket');
    api.openWorkspace(root);
  }, 120_000);

  afterAll(() => api?.close());

  it('a binary project has one structure, Lesion; a second can be added with its value and codes, and renamed', async () => {
    expect((await call<{ structures: LabelStructure[] }>('labels.list', {})).structures.map((s) => [s.value, s.name])).toEqual([[1, 'Lesion']]);
    const added = await call<LabelStructure>('labels.add', {
      name: 'Tumor',
      value: 2,
      color: '#ff1744',
      category: { value: '49755003', scheme: 'SCT', meaning: 'Morphologically Abnormal Structure' },
      type: { value: '108369006', scheme: 'SCT', meaning: 'Neoplasm' },
    });
    expect(added).toMatchObject({ value: 2, name: 'Tumor' });
    await call('labels.update', { ...added, name: 'Tumour' });
    expect((await call<{ structures: LabelStructure[] }>('labels.list', {})).structures.map((s) => s.name)).toEqual(['Lesion', 'Tumour']);
  });

  it('stores the label map with its values and provenance, and hands the same map back for editing', async () => {
    const map = bands();
    const saved = await call<SavedGroundTruth>('masks.save', {
      imageId: ids[0],
      labelMap: encodeCompactLabelMap(map, size.width, size.height),
      source: { kind: 'drawn' },
      replaces: null,
    });
    expect(saved).toMatchObject({ version: 1, provenance: 'drawn', area: 30 * size.width, replaced: null });
    const back = (await call<{ labelMap: CompactLabelMap | null }>('masks.labelMap', { imageId: ids[0] })).labelMap!;
    expect(back.width).toBe(size.width);
    expect(decodeCompactLabelMap(back)).toEqual(map);
    const [v] = await versions(ids[0]!);
    expect(v).toMatchObject({ provenance: 'drawn', details: null, current: true, area: 30 * size.width });
    expect(v!.areas).toEqual({ '1': 30 * size.width, '2': 20 * size.width });
    // Binary readers keep seeing structure 1 only.
    const ws = Workspace.open(root);
    try {
      expect(loadMask(ws, ids[0]!)!.data.reduce((n, x) => n + x, 0)).toBe(30 * size.width);
    } finally {
      ws.close();
    }
    const usage = (await call<{ usage: StructureUsage[] }>('labels.usage', {})).usage;
    expect(usage).toEqual([
      { value: 1, images: 1, pixels: 30 * size.width },
      { value: 2, images: 1, pixels: 20 * size.width },
    ]);
  });

  it('a second save over it keeps the first as a version, each with its pixels per structure', async () => {
    const map = bands();
    map.fill(0, 0, 10 * size.width); // ten rows of structure 1 erased
    await call('masks.save', { imageId: ids[0], labelMap: encodeCompactLabelMap(map, size.width, size.height), source: { kind: 'drawn' }, replaces: (await versions(ids[0]!))[0]!.maskId });
    expect((await versions(ids[0]!)).map((v) => [v.version, v.current, v.areas])).toEqual([
      [1, false, { '1': 30 * size.width, '2': 20 * size.width }],
      [2, true, { '1': 20 * size.width, '2': 20 * size.width }],
    ]);
  });

  it('refuses a value outside the schema, a wrong size, or both forms at once, storing nothing', async () => {
    const map = bands(size1);
    map[0] = 7;
    const labelMap = encodeCompactLabelMap(map, size1.width, size1.height);
    await expect(call('masks.save', { imageId: ids[1], labelMap, source: { kind: 'drawn' }, replaces: null })).rejects.toThrow(/label value 7 not in the label schema \(1 Lesion, 2 Tumour\)/);
    await expect(
      call('masks.save', { imageId: ids[1], labelMap: encodeCompactLabelMap(new Uint8Array(4).fill(1), 2, 2), source: { kind: 'drawn' }, replaces: null }),
    ).rejects.toThrow(/the label map is 2×2 but image/);
    await expect(
      call('masks.save', { imageId: ids[1], labelMap: encodeCompactLabelMap(bands(size1), size1.width, size1.height), maskDataUrl: 'data:image/png;base64,', source: { kind: 'drawn' }, replaces: null }),
    ).rejects.toThrow(/exactly one of them/);
    expect(await versions(ids[1]!)).toEqual([]);
    expect((await call<{ labelMap: CompactLabelMap | null }>('masks.labelMap', { imageId: ids[1] })).labelMap).toBeNull();
  });

  it('an ignore region alone is no finding: refused as a label, stored when said so', async () => {
    const map = new Uint8Array(size1.width * size1.height);
    map.fill(255, 0, 5 * size1.width);
    const labelMap = encodeCompactLabelMap(map, size1.width, size1.height);
    await expect(call('masks.save', { imageId: ids[1], labelMap, source: { kind: 'drawn' }, replaces: null })).rejects.toThrow(/is empty/);
    const saved = await call<SavedGroundTruth>('masks.save', { imageId: ids[1], labelMap, source: { kind: 'drawn' }, replaces: null, noFinding: true });
    expect(saved.area).toBe(0);
    expect(decodeCompactLabelMap((await call<{ labelMap: CompactLabelMap }>('masks.labelMap', { imageId: ids[1] })).labelMap)).toEqual(map);
    expect((await versions(ids[1]!))[0]).toMatchObject({ details: { noFinding: true }, areas: {} });
  });
});
