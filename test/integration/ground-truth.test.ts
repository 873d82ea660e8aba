import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroundTruthVersion, ReviewResult, SavedGroundTruth, SegmentOutput } from '../../src/shared/contract';
import { decodeMaskPng, type Mask } from '../../src/main/imaging/mask';
import { morph } from '../../src/main/mining/morphology';
import { maskToPngDataUrl } from '../../src/main/mining/review';
import { ApiService } from '../../src/main/services/api';
import { imageRecord, listImages, loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { storePseudoLabel } from '../../src/main/workspace/pseudo-labels';
import { createSplit, splitMembers, trainingLabeledIds } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

// Ground truth made in the Viewer: every mask records how it was made, an earlier one is kept as a
// version and named in the result, and a mask the user did not draw over (an imported label hidden
// from training above all) is never replaced silently.

const WITH_MASKS = readdirSync(KVASIR_IMAGES).sort().slice(20, 24);
const WITHOUT_MASK = readdirSync(KVASIR_IMAGES).sort()[24]!;

function square(width: number, height: number, x0: number, y0: number, side: number): Mask {
  const data = new Uint8Array(width * height);
  for (let y = y0; y < Math.min(height, y0 + side); y++) for (let x = x0; x < Math.min(width, x0 + side); x++) data[y * width + x] = 1;
  return { width, height, data };
}

describe('ground truth with provenance and versions (Kvasir-SEG, 5 images)', () => {
  let root: string;
  let ws: Workspace;
  let api: ApiService;
  let blank: number; // imported without a mask
  let hiddenId: number; // unlabeled split, imported mask hidden from training
  let hiddenId2: number;
  let splitId: number;
  const call = <T>(name: string, input: unknown) => api.dispatch(name, input) as Promise<T>;
  const rowsOf = (imageId: number) =>
    ws.db.prepare('SELECT id, provenance, current, details FROM masks WHERE image_id = ? ORDER BY id').all(imageId) as {
      id: number;
      provenance: string;
      current: number;
      details: string | null;
    }[];
  const squareOf = (imageId: number, side: number) => {
    const r = imageRecord(ws, imageId);
    return square(r.width, r.height, 40, 50, side);
  };

  beforeAll(async () => {
    root = join(tempDir('ground-truth'), 'ws');
    ws = Workspace.open(root, { create: true });
    await importImages(ws, { paths: WITH_MASKS.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    await importImages(ws, { paths: [join(KVASIR_IMAGES, WITHOUT_MASK)] });
    blank = listImages(ws).images.find((i) => i.sourcePath.endsWith(WITHOUT_MASK))!.id;
    const split = createSplit(ws, { labeled: 0.5, val: 0, test: 0, seed: 3 });
    splitId = split.id;
    expect(splitMembers(ws, split.id, 'unlabeled')).toContain(blank);
    [hiddenId, hiddenId2] = splitMembers(ws, split.id, 'unlabeled').filter((id) => id !== blank) as [number, number];
    api = new ApiService('websocket');
    api.openWorkspace(root);
  }, 120_000);

  afterAll(() => {
    api?.close();
    ws?.close();
  });

  it('saves a drawn label as version 1, then keeps it as a version when a newer one replaces it', async () => {
    const first = await call<SavedGroundTruth>('masks.save', {
      imageId: blank,
      maskDataUrl: maskToPngDataUrl(squareOf(blank, 30)),
      source: { kind: 'drawn' },
      replaces: null,
    });
    expect(first).toMatchObject({ version: 1, provenance: 'drawn', area: 900, replaced: null });
    expect(loadMask(ws, blank)!.data).toEqual(squareOf(blank, 30).data);

    // Saved "over nothing" again, as a second window that never saw version 1 would: refused, nothing stored.
    await expect(
      call('masks.save', { imageId: blank, maskDataUrl: maskToPngDataUrl(squareOf(blank, 10)), source: { kind: 'drawn' }, replaces: null }),
    ).rejects.toThrow(/has ground truth you did not draw over \(version 1, drawn\).*nothing was stored/);
    expect(rowsOf(blank)).toHaveLength(1);

    const second = await call<SavedGroundTruth>('masks.save', {
      imageId: blank,
      maskDataUrl: maskToPngDataUrl(squareOf(blank, 20)),
      source: { kind: 'drawn' },
      replaces: first.maskId,
    });
    expect(second).toMatchObject({ version: 2, provenance: 'drawn', area: 400 });
    expect(second.replaced).toMatchObject({ maskId: first.maskId, version: 1, provenance: 'drawn', current: false, area: 900, hidden: false });
    const { versions } = await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: blank });
    expect(versions.map((v) => [v.version, v.provenance, v.current, v.area])).toEqual([
      [1, 'drawn', false, 900],
      [2, 'drawn', true, 400],
    ]);
    expect(loadMask(ws, blank)!.data).toEqual(squareOf(blank, 20).data);
  });

  it('never replaces an imported ground truth hidden from training unless the label was drawn over it, and then says so', async () => {
    const before = rowsOf(hiddenId);
    expect(before).toMatchObject([{ provenance: 'imported', current: 1 }]);
    const [hidden] = (await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: hiddenId })).versions;
    expect(hidden).toMatchObject({ version: 1, provenance: 'imported', hidden: true, current: true });

    await expect(
      call('masks.save', { imageId: hiddenId, maskDataUrl: maskToPngDataUrl(squareOf(hiddenId, 25)), source: { kind: 'drawn' }, replaces: null }),
    ).rejects.toThrow(/version 1, imported, hidden from training/);
    expect(rowsOf(hiddenId)).toEqual(before);

    const saved = await call<SavedGroundTruth>('masks.save', {
      imageId: hiddenId,
      maskDataUrl: maskToPngDataUrl(squareOf(hiddenId, 25)),
      source: { kind: 'drawn' },
      replaces: hidden!.maskId,
    });
    expect(saved.replaced).toMatchObject({ maskId: hidden!.maskId, provenance: 'imported', hidden: true });
    expect(rowsOf(hiddenId)).toMatchObject([
      { id: hidden!.maskId, provenance: 'imported', current: 0 },
      { id: saved.maskId, provenance: 'drawn', current: 1 },
    ]);
  });

  it('accepting or correcting a pseudo-label over hidden ground truth names the mask it replaced', async () => {
    const truth = loadMask(ws, hiddenId2)!;
    const { version } = storePseudoLabel(ws, hiddenId2, morph(truth, 4, false), {
      runId: null,
      epoch: 0,
      teacherModelId: null,
      teacherLabel: 'test teacher (ground truth eroded)',
      studentCheckpoint: null,
      prompts: [],
      iouPrediction: null,
      agreementDice: null,
    });
    const importedId = rowsOf(hiddenId2)[0]!.id;
    const r = await call<ReviewResult>('review.accept', { pseudoLabelId: version.id });
    expect(r.replaced).toMatchObject({ maskId: importedId, version: 1, provenance: 'imported', hidden: true });
    const { versions } = await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: hiddenId2 });
    expect(versions.at(-1)).toMatchObject({ provenance: 'promoted', pseudoLabelId: version.id, details: { pseudoLabelVersion: 1 } });

    const corrected = await call<ReviewResult>('review.correct', {
      pseudoLabelId: version.id,
      maskDataUrl: maskToPngDataUrl(squareOf(hiddenId2, 12)),
    });
    expect(corrected.replaced).toMatchObject({ version: 2, provenance: 'promoted', hidden: false });
    const rejected = await call<ReviewResult>('review.reject', {
      pseudoLabelId: storePseudoLabel(ws, hiddenId2, morph(truth, 6, false), {
        runId: null,
        epoch: 1,
        teacherModelId: null,
        teacherLabel: 't',
        studentCheckpoint: null,
        prompts: [],
        iouPrediction: null,
        agreementDice: null,
      }).version.id,
    });
    expect(rejected.replaced).toBeNull();
  });

  it('a SAM-assisted label records the teacher that proposed it and the prompts, and counts for training', async () => {
    const files = writeFixturePair(join(tempDir('ground-truth-models'), 'models'), 'mobilesam');
    const model = await call<{ id: number; name: string; family: string }>('models.add', { ...files, family: 'mobilesam' });
    const prompts = [{ points: [{ x: 120, y: 110, label: 1 }], box: { x0: 60, y0: 60, x1: 220, y1: 200 } }];
    const proposal = await call<SegmentOutput>('segment', { imageId: blank, ...prompts[0] });
    expect(proposal.teacher).toEqual({ id: model.id, name: model.name, family: 'mobilesam' });
    expect(proposal.area).toBeGreaterThan(0);
    const boxOnly = await call<SegmentOutput>('segment', { imageId: blank, box: prompts[0]!.box });
    expect(boxOnly.area).toBeGreaterThan(0);
    const current = (await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: blank })).versions.find((v) => v.current)!;

    const saved = await call<SavedGroundTruth>('masks.save', {
      imageId: blank,
      maskDataUrl: proposal.maskDataUrl,
      source: { kind: 'sam-assisted', modelId: proposal.teacher.id, prompts, edited: false },
      replaces: current.maskId,
    });
    expect(saved).toMatchObject({ version: 3, provenance: 'sam-assisted', area: proposal.area });
    expect(saved.replaced).toMatchObject({ version: 2, provenance: 'drawn' });
    const { versions } = await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: blank });
    expect(versions.at(-1)).toMatchObject({
      current: true,
      provenance: 'sam-assisted',
      details: { teacher: { id: model.id, name: model.name, family: 'mobilesam' }, prompts, edited: false },
    });
    expect(loadMask(ws, blank)!.data).toEqual(decodeMaskPng(Buffer.from(proposal.maskDataUrl.split(',')[1]!, 'base64')).data);

    // An unlabeled-split image labeled with SAM's help is training data like a drawn one.
    expect(trainingLabeledIds(ws, splitId)).toContain(blank);

    await expect(
      call('masks.save', {
        imageId: blank,
        maskDataUrl: proposal.maskDataUrl,
        source: { kind: 'sam-assisted', modelId: 999, prompts, edited: true },
        replaces: saved.maskId,
      }),
    ).rejects.toThrow(/no teacher model #999.*nothing was stored/);
    expect(rowsOf(blank)).toHaveLength(3);
  });

  it('refuses a mask of the wrong size before storing anything', async () => {
    await expect(
      call('masks.save', { imageId: blank, maskDataUrl: maskToPngDataUrl(square(8, 8, 0, 0, 4)), source: { kind: 'drawn' }, replaces: null }),
    ).rejects.toThrow(/8×8 but image .* nothing was stored/);
  });

  it('refuses an empty label unless it is saved as "no finding", and records that', async () => {
    const current = (await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: blank })).versions.find((v) => v.current)!;
    const empty = maskToPngDataUrl(squareOf(blank, 0));
    const before = rowsOf(blank).length;
    await expect(call('masks.save', { imageId: blank, maskDataUrl: empty, source: { kind: 'drawn' }, replaces: current.maskId })).rejects.toThrow(
      /label of image \d+ is empty — nothing was stored.*"Save as no finding"/,
    );
    await expect(
      call('masks.save', { imageId: blank, maskDataUrl: maskToPngDataUrl(squareOf(blank, 10)), source: { kind: 'drawn' }, replaces: current.maskId, noFinding: true }),
    ).rejects.toThrow(/has drawn pixels.*nothing was stored/);
    expect(rowsOf(blank)).toHaveLength(before);

    const saved = await call<SavedGroundTruth>('masks.save', { imageId: blank, maskDataUrl: empty, source: { kind: 'drawn' }, replaces: current.maskId, noFinding: true });
    expect(saved).toMatchObject({ version: current.version + 1, provenance: 'drawn', area: 0 });
    const { versions } = await call<{ versions: GroundTruthVersion[] }>('masks.versions', { imageId: blank });
    expect(versions.at(-1)).toMatchObject({ current: true, provenance: 'drawn', area: 0, details: { noFinding: true } });
  });
});
