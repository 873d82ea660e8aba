import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicomInfo } from '../../src/main/imaging/dicom';
import { imageDetail, imageRecord } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { seriesTree } from '../../src/main/workspace/series';
import { Workspace } from '../../src/main/workspace/workspace';
import type { SeriesNode } from '../../src/shared/contract';
import { DICOM_DIR, KVASIR_IMAGES, SHARED_DATA, tempDir } from '../helpers/data';
import { readFileSync, readdirSync } from 'node:fs';

const CT2 = join(SHARED_DATA, 'dicom-seg/source-ct2');
const KVASIR = readdirSync(KVASIR_IMAGES).sort().slice(0, 2);

describe('series tree: patient → study → series, slices by position', () => {
  let ws: Workspace;
  let series: SeriesNode[];
  beforeAll(async () => {
    ws = Workspace.open(join(tempDir('series'), 'ws'), { create: true });
    await importImages(ws, { paths: [CT2, DICOM_DIR, ...KVASIR.map((f) => join(KVASIR_IMAGES, f))] });
    series = seriesTree(ws).flatMap((p) => p.studies.flatMap((s) => s.series));
  }, 600_000);
  afterAll(() => ws.close());

  it('puts every image in exactly one series, counts matching', () => {
    const ids = series.flatMap((s) => s.imageIds);
    const total = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
    for (const s of series) {
      expect(s.count).toBe(s.imageIds.length);
      expect(s.slicePositions.length).toBe(s.count);
    }
    // Far fewer series than frames: files of one acquisition are grouped, not listed flat.
    expect(series.length).toBeLessThan(total / 2);
  });

  it('orders the 4-slice CT by ImagePositionPatient along the slice normal', () => {
    const files = readdirSync(CT2).map((f) => join(CT2, f));
    const uid = readDicomInfo(readFileSync(files[0]!)).seriesUid!;
    const ct = series.find((s) => s.key === uid)!;
    expect(ct.modality).toBe('CT');
    expect(ct.count).toBe(4);
    const positions = ct.slicePositions as number[];
    expect(positions.every((p) => p !== null)).toBe(true);
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
    // Each image's stored position agrees with the order the tree gives.
    const z = ct.imageIds.map((id) => imageDetail(ws, id).imagePosition);
    expect(z.every((p) => p !== null)).toBe(true);
    const detail = imageDetail(ws, ct.imageIds[0]!);
    expect(detail.instanceNumber).not.toBeNull();
    expect(detail.spacingSource).toBe('PixelSpacing');
    expect(detail.voiWindows.length).toBeGreaterThan(0);
  });

  it('keeps a multi-frame file in frame order inside its series', () => {
    const multi = ws.db.prepare('SELECT sha256 FROM images GROUP BY sha256 HAVING COUNT(*) > 2 LIMIT 1').get() as { sha256: string };
    const frames = (ws.db.prepare('SELECT id FROM images WHERE sha256 = ? ORDER BY frame_index').all(multi.sha256) as { id: number }[]).map((r) => r.id);
    const holder = series.find((s) => s.imageIds.includes(frames[0]!))!;
    const inSeries = holder.imageIds.filter((id) => frames.includes(id));
    expect(inSeries.length).toBe(frames.length);
    // Without per-frame positions the frames keep their order; with them, position decides (monotonic either way).
    const positions = inSeries.map((id) => holder.slicePositions[holder.imageIds.indexOf(id)]);
    if (positions.some((p) => p === null)) expect(inSeries).toEqual(frames);
    else for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThanOrEqual(positions[i - 1]!);
  });

  it('makes a PNG/JPEG folder one series under "image folders"', () => {
    const tree = seriesTree(ws);
    const folders = tree.find((p) => p.key === 'image folders')!;
    const kvasir = folders.studies[0]!.series.find((s) => s.key === `folder:${KVASIR_IMAGES}`)!;
    expect(kvasir.count).toBe(2);
    expect(kvasir.label).toBe('images');
    expect(imageRecord(ws, kvasir.imageIds[0]!).format).toBe('jpeg');
  });
});
