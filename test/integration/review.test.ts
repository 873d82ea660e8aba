import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewImage, ReviewQueueItem, ReviewResult } from '../../src/shared/contract';
import { decodeMaskPng, type Mask } from '../../src/main/imaging/mask';
import { dice } from '../../src/main/metrics/metrics';
import { morph } from '../../src/main/mining/morphology';
import { pseudoLabelVersions, storePseudoLabel, type PseudoLabelProvenance } from '../../src/main/workspace/pseudo-labels';
import { maskToPngDataUrl } from '../../src/main/mining/review';
import { ApiService } from '../../src/main/services/api';
import { listImages, loadMask } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { createSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

// Real Kvasir-SEG pairs; pseudo-labels made the way an evaluation teacher would (the ground truth
// eroded), the "student" mask the ground truth dilated, agreement = Dice between the two.

const FILES = readdirSync(KVASIR_IMAGES).sort().slice(0, 8);

interface MaskRow {
  id: number;
  provenance: string;
  pseudo_label_id: number | null;
  current: number;
  blob: string;
}

function fromDataUrl(url: string): Mask {
  return decodeMaskPng(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
}

function sameMask(a: Mask, b: Mask): boolean {
  return a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
}

describe('review of pseudo-labels (Kvasir-SEG, 8 images)', () => {
  let root: string;
  let ws: Workspace;
  let api: ApiService;
  let unlabeled: number[];
  let labeledId: number;
  let valId: number;
  const call = <T>(name: string, input: unknown) => api.dispatch(name, input) as Promise<T>;
  const masksOf = (imageId: number) =>
    ws.db
      .prepare('SELECT id, provenance, pseudo_label_id, current, blob FROM masks WHERE image_id = ? ORDER BY id')
      .all(imageId) as MaskRow[];
  const statusOf = (id: number) => (ws.db.prepare('SELECT status FROM pseudo_labels WHERE id = ?').get(id) as { status: string }).status;

  function prov(over: Partial<PseudoLabelProvenance>): PseudoLabelProvenance {
    return {
      runId: null,
      epoch: 0,
      teacherModelId: null,
      teacherLabel: 'test teacher (ground truth eroded)',
      studentCheckpoint: 'a'.repeat(64),
      prompts: [{ points: [{ x: 10, y: 10, label: 1 }], box: null }],
      iouPrediction: 0.9,
      agreementDice: null,
      ...over,
    };
  }

  /** Teacher = truth eroded by `erode`; student = truth dilated by `dilate`; agreement = their Dice. */
  function makeVersion(imageId: number, erode: number, dilate: number, epoch = 0) {
    const truth = loadMask(ws, imageId)!;
    const teacher = morph(truth, erode, false);
    const student = morph(truth, dilate, true);
    return storePseudoLabel(ws, imageId, teacher, prov({ epoch, agreementDice: dice(teacher.data, student.data), studentMask: student }))
      .version;
  }

  beforeAll(async () => {
    root = join(tempDir('review'), 'ws');
    ws = Workspace.open(root, { create: true });
    const r = await importImages(ws, { paths: FILES.map((f) => join(KVASIR_IMAGES, f)), masks: KVASIR_MASKS });
    expect(r.imported).toBe(8);
    expect(r.masks).toBe(8);
    const split = createSplit(ws, { labeled: 0.25, val: 0.15, test: 0, seed: 11 });
    unlabeled = splitMembers(ws, split.id, 'unlabeled');
    labeledId = splitMembers(ws, split.id, 'labeled')[0]!;
    valId = splitMembers(ws, split.id, 'val')[0]!;
    expect(unlabeled.length).toBe(5);
    // Four unlabeled images with increasingly dilated "student" masks, the first with two versions;
    // the fifth without a recorded agreement; the labeled and validation images get one each too
    // (they must never enter the queue).
    makeVersion(unlabeled[0]!, 3, 2, 0);
    makeVersion(unlabeled[0]!, 6, 4, 1);
    makeVersion(unlabeled[1]!, 6, 10);
    makeVersion(unlabeled[2]!, 6, 18);
    makeVersion(unlabeled[3]!, 6, 30);
    storePseudoLabel(ws, unlabeled[4]!, morph(loadMask(ws, unlabeled[4]!)!, 5, false), prov({}));
    makeVersion(labeledId, 4, 4);
    makeVersion(valId, 4, 4);
    api = new ApiService('websocket');
    api.openWorkspace(root);
  }, 300_000);

  afterAll(() => {
    api?.close();
    ws?.close();
  });

  it('queues unlabeled, undecided images by teacher–student disagreement, highest first', async () => {
    const q = await call<{ items: ReviewQueueItem[]; total: number }>('review.queue', {});
    expect(q.total).toBe(5);
    const ids = q.items.map((i) => i.imageId);
    expect(ids).not.toContain(labeledId);
    expect(ids).not.toContain(valId);
    // Independently: sort by 1 − agreement of each image's latest version, unknown agreement last.
    const latest = (id: number) => pseudoLabelVersions(ws, id).at(-1)!;
    const expected = [...unlabeled].sort((a, b) => {
      const da = latest(a).agreementDice,
        db = latest(b).agreementDice;
      if (da === null || db === null) return (da === null ? 1 : 0) - (db === null ? 1 : 0);
      return 1 - db - (1 - da);
    });
    expect(ids).toEqual(expected);
    expect(ids.at(-1)).toBe(unlabeled[4]);
    expect(q.items.at(-1)!.disagreement).toBeNull();
    const d = q.items.slice(0, 4).map((i) => i.disagreement!);
    for (let k = 1; k < d.length; k++) expect(d[k - 1]!).toBeGreaterThan(d[k]!);
    // The image with two versions is ranked by its latest one.
    const two = q.items.find((i) => i.imageId === unlabeled[0])!;
    expect(two.versions).toBe(2);
    expect(two.latestVersion).toBe(2);
    expect(two.agreementDice).toBeCloseTo(latest(unlabeled[0]!).agreementDice!, 12);
    // Paging.
    const page = await call<{ items: ReviewQueueItem[]; total: number }>('review.queue', { offset: 1, limit: 2 });
    expect(page.items.map((i) => i.imageId)).toEqual(ids.slice(1, 3));
    expect(page.total).toBe(5);
  });

  it('lists each image with its versions, provenance, masks and the student mask', async () => {
    const id = unlabeled[0]!;
    const r = await call<ReviewImage>('review.image', { imageId: id });
    expect(r.pending).toBe(true);
    expect(r.split).toBe('unlabeled');
    expect(r.versions.map((v) => v.version)).toEqual([1, 2]);
    const v2 = r.versions[1]!;
    expect(v2).toMatchObject({
      epoch: 1,
      teacher: 'test teacher (ground truth eroded)',
      studentCheckpoint: 'a'.repeat(64),
      iouPrediction: 0.9,
      decision: 'new',
    });
    const truth = loadMask(ws, id)!;
    expect(sameMask(fromDataUrl(v2.maskDataUrl), morph(truth, 6, false))).toBe(true);
    expect(sameMask(fromDataUrl(v2.studentMaskDataUrl!), morph(truth, 4, true))).toBe(true);
    expect(r.groundTruth).toMatchObject({ provenance: 'imported', pseudoLabelId: null });
    const row = (
      await call<{ images: { id: number; pseudoLabels: number; latestAgreement: number | null; reviewed: boolean; hasMask: boolean }[] }>(
        'images.list',
        {},
      )
    ).images.find((i) => i.id === id)!;
    expect(row).toMatchObject({ pseudoLabels: 2, reviewed: false, hasMask: true });
    expect(row.latestAgreement).toBeCloseTo(v2.agreementDice!, 12);
    // A version stored without a student mask says so.
    const plain = await call<ReviewImage>('review.image', { imageId: unlabeled[4]! });
    expect(plain.versions[0]!.studentMaskDataUrl).toBeNull();
  });

  it('accept promotes the version to ground truth (provenance promoted), keeping the old mask', async () => {
    const q = await call<{ items: ReviewQueueItem[] }>('review.queue', {});
    const top = q.items[0]!;
    const before = masksOf(top.imageId);
    expect(before).toHaveLength(1);
    const res = await call<ReviewResult>('review.accept', { pseudoLabelId: top.latestVersionId });
    expect(res).toMatchObject({ imageId: top.imageId, pseudoLabelId: top.latestVersionId, decision: 'accepted' });
    const after = masksOf(top.imageId);
    expect(after).toHaveLength(2);
    expect(after[0]).toMatchObject({ id: before[0]!.id, provenance: 'imported', current: 0, blob: before[0]!.blob });
    expect(after[1]).toMatchObject({ id: res.maskId, provenance: 'promoted', pseudo_label_id: top.latestVersionId, current: 1 });
    const version = pseudoLabelVersions(ws, top.imageId).find((v) => v.id === top.latestVersionId)!;
    expect(after[1]!.blob).toBe(version.maskBlob);
    expect(statusOf(top.latestVersionId)).toBe('accepted');
    expect(sameMask(loadMask(ws, top.imageId)!, decodeMaskPng(ws.blobs.get(version.maskBlob)))).toBe(true);
    // Out of the queue, reviewed in the dataset, and not accepted twice.
    const q2 = await call<{ items: ReviewQueueItem[]; total: number }>('review.queue', {});
    expect(q2.total).toBe(4);
    expect(q2.items.map((i) => i.imageId)).not.toContain(top.imageId);
    expect(listImages(ws).images.find((i) => i.id === top.imageId)!.reviewed).toBe(true);
    const r = await call<ReviewImage>('review.image', { imageId: top.imageId });
    expect(r.pending).toBe(false);
    expect(r.groundTruth).toMatchObject({ provenance: 'promoted', pseudoLabelId: top.latestVersionId });
    await expect(call('review.accept', { pseudoLabelId: top.latestVersionId })).rejects.toThrow(/already accepted/);
    await expect(call('review.reject', { pseudoLabelId: top.latestVersionId })).rejects.toThrow(/correct it/);
    expect(masksOf(top.imageId)).toHaveLength(2);
  });

  it('reject leaves ground truth alone; a newer version asks for review again', async () => {
    const id = unlabeled[0]!;
    const [v1, v2] = pseudoLabelVersions(ws, id);
    const res = await call<ReviewResult>('review.reject', { pseudoLabelId: v2!.id });
    expect(res).toMatchObject({ decision: 'rejected', maskId: null });
    expect(statusOf(v2!.id)).toBe('rejected');
    expect(statusOf(v1!.id)).toBe('new');
    expect(masksOf(id)).toMatchObject([{ provenance: 'imported', current: 1 }]);
    let q = await call<{ items: ReviewQueueItem[] }>('review.queue', {});
    expect(q.items.map((i) => i.imageId)).not.toContain(id);
    expect(listImages(ws).images.find((i) => i.id === id)!.reviewed).toBe(true);
    makeVersion(id, 8, 6, 2);
    q = await call<{ items: ReviewQueueItem[] }>('review.queue', {});
    expect(q.items.find((i) => i.imageId === id)).toMatchObject({ versions: 3, latestVersion: 3 });
    expect(listImages(ws).images.find((i) => i.id === id)!.reviewed).toBe(false);
  });

  it('correct stores the edited mask as drawn ground truth naming the version it started from', async () => {
    const q = await call<{ items: ReviewQueueItem[] }>('review.queue', {});
    const id = q.items.find((i) => i.imageId !== unlabeled[0] && i.imageId !== unlabeled[4])!.imageId;
    const v = pseudoLabelVersions(ws, id).at(-1)!;
    const edited = morph(decodeMaskPng(ws.blobs.get(v.maskBlob)), 3, true); // the radiologist grew it back
    const res = await call<ReviewResult>('review.correct', { pseudoLabelId: v.id, maskDataUrl: maskToPngDataUrl(edited) });
    expect(res).toMatchObject({ imageId: id, pseudoLabelId: v.id, decision: 'corrected' });
    expect(res.area).toBe(edited.data.reduce((a, b) => a + b, 0));
    expect(masksOf(id)).toMatchObject([
      { provenance: 'imported', current: 0 },
      { id: res.maskId, provenance: 'drawn', pseudo_label_id: v.id, current: 1 },
    ]);
    expect(sameMask(loadMask(ws, id)!, edited)).toBe(true);
    expect(statusOf(v.id)).toBe('accepted');
    const r = await call<ReviewImage>('review.image', { imageId: id });
    expect(r.versions.at(-1)!.decision).toBe('corrected');
    expect(r.groundTruth).toMatchObject({ provenance: 'drawn', pseudoLabelId: v.id });
    expect((await call<{ items: ReviewQueueItem[] }>('review.queue', {})).items.map((i) => i.imageId)).not.toContain(id);
  });

  it('refuses invalid corrections with a clear message, storing nothing', async () => {
    const id = unlabeled[4]!; // never decided above: no agreement, always last in the queue
    const v = pseudoLabelVersions(ws, id).at(-1)!;
    const truth = loadMask(ws, id)!;
    const masksBefore = (ws.db.prepare('SELECT COUNT(*) AS n FROM masks').get() as { n: number }).n;
    const blobsBefore = readdirSync(join(root, 'blobs')).flatMap((d) => readdirSync(join(root, 'blobs', d))).length;

    const small: Mask = { width: truth.width - 1, height: truth.height, data: new Uint8Array((truth.width - 1) * truth.height) };
    await expect(call('review.correct', { pseudoLabelId: v.id, maskDataUrl: maskToPngDataUrl(small) })).rejects.toThrow(
      `the corrected mask is ${truth.width - 1}×${truth.height} but image ${id} is ${truth.width}×${truth.height}; nothing was stored`,
    );
    const grey = new PNG({ width: truth.width, height: truth.height });
    grey.data.fill(255);
    grey.data[0] = grey.data[1] = grey.data[2] = 128;
    const greyUrl = `data:image/png;base64,${PNG.sync.write(grey).toString('base64')}`;
    await expect(call('review.correct', { pseudoLabelId: v.id, maskDataUrl: greyUrl })).rejects.toThrow(
      /black \(0\) and white \(255\) only; pixel \(0, 0\) is rgba\(128, 128, 128, 255\)/,
    );
    await expect(call('review.correct', { pseudoLabelId: v.id, maskDataUrl: 'data:image/jpeg;base64,AAAA' })).rejects.toThrow(
      /must be a PNG data URL/,
    );
    await expect(call('review.correct', { pseudoLabelId: v.id, maskDataUrl: 'data:image/png;base64,AAAA' })).rejects.toThrow(
      /not a readable PNG/,
    );
    await expect(call('review.correct', { pseudoLabelId: v.id })).rejects.toThrow(/invalid input for review.correct: maskDataUrl/);
    await expect(call('review.accept', { pseudoLabelId: 0 })).rejects.toThrow(/invalid input for review.accept: pseudoLabelId/);
    await expect(call('review.accept', { pseudoLabelId: 999_999 })).rejects.toThrow('no pseudo-label with id 999999');
    // Validation ground truth is never replaced by a pseudo-label.
    const valVersion = pseudoLabelVersions(ws, valId)[0]!;
    await expect(call('review.accept', { pseudoLabelId: valVersion.id })).rejects.toThrow(/validation set/);
    await expect(call('review.correct', { pseudoLabelId: valVersion.id, maskDataUrl: maskToPngDataUrl(truth) })).rejects.toThrow(
      /validation set/,
    );

    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM masks').get() as { n: number }).n).toBe(masksBefore);
    expect(readdirSync(join(root, 'blobs')).flatMap((d) => readdirSync(join(root, 'blobs', d)))).toHaveLength(blobsBefore);
    expect(statusOf(v.id)).toBe('new');
    expect(statusOf(valVersion.id)).toBe('new');
    expect(masksOf(id)).toMatchObject([{ provenance: 'imported', current: 1 }]);
  });
});
