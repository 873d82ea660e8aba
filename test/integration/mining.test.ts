import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMaskPng } from '../../src/main/imaging/mask';
import { ModeInference, writePredictionPng } from '../../src/main/mining/inference';
import { mineSettings, mineStudent, resumeMining } from '../../src/main/mining/mine';
import { pseudoLabelVersions } from '../../src/main/workspace/pseudo-labels';
import { TrainingInterrupted, trainStudent } from '../../src/main/student/train';
import { embeddingCache, embeddingKeyId, type EmbeddingKey } from '../../src/main/teacher/embeddings';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { imageDetail } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { createSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const TINY = TINY_STUDENT;

describe('knowledge mining (tiny student, fixture and oracle teachers)', () => {
  let ws: Workspace;
  let baseRunId: number;
  let teacherId: number;
  let unlabeled: number[];

  beforeAll(async () => {
    const dir = tempDir('mining');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    const files = readdirSync(KVASIR_IMAGES)
      .sort()
      .slice(0, 24)
      .map((f) => join(KVASIR_IMAGES, f));
    await importImages(ws, { paths: files, masks: KVASIR_MASKS });
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0.1, seed: 1 });
    unlabeled = splitMembers(ws, split.id, 'unlabeled');
    const pair = writeFixturePair(join(dir, 'models'), 'mobilesam');
    teacherId = (await addTeacherModel(ws, { ...pair, family: 'mobilesam' })).id;
    baseRunId = (await trainStudent(ws, TINY)).runId;
  }, 300_000);
  afterAll(() => ws.close());

  it('one-time: labels every unlabeled image once with provenance, then trains on labeled + pseudo-labeled', async () => {
    const r = await mineStudent(
      ws,
      mineSettings({
        schedule: 'one-time',
        teacher: { kind: 'sam', modelId: teacherId },
        baseRunId,
        train: TINY,
        prompts: { threshold: 0.3 },
      }),
    );
    expect(r.run.epochs).toBe(2);
    const run = ws.db.prepare('SELECT kind, status, config FROM runs WHERE id = ?').get(r.run.runId) as {
      kind: string;
      status: string;
      config: string;
    };
    expect(run).toMatchObject({ kind: 'mining-one-time', status: 'done' });
    expect(JSON.parse(run.config).mining).toMatchObject({
      schedule: 'one-time',
      pseudoWeight: 0.5,
      baseRunId,
      prompts: { points: 3, box: true, maskPrompt: false },
    });
    const versions = unlabeled.flatMap((id) => pseudoLabelVersions(ws, id).filter((v) => v.runId === r.run.runId));
    expect(versions.length).toBe(r.pseudoLabels.stored);
    for (const v of versions) {
      expect(v).toMatchObject({ epoch: 0, teacherModelId: teacherId, version: expect.any(Number) });
      expect(v.studentCheckpoint).toMatch(/^[0-9a-f]{64}$/);
      expect(v.iouPrediction).toBeGreaterThan(0);
      expect(v.agreementDice).toBeGreaterThanOrEqual(0);
      expect((v.prompts as { box: unknown }[])[0]!.box).not.toBeNull();
    }
    expect(r.teacherSeconds).toHaveLength(1);
    expect(r.pseudoLabels.stored).toBe(unlabeled.length);
  }, 300_000);

  it('continuous: targets remade every visit, one version per changed mask per epoch, and only the first epoch runs the encoder', async () => {
    // A teacher with its own encoder (another seed): none of its embeddings is cached yet.
    const fresh = (
      await addTeacherModel(ws, { ...writeFixturePair(join(tempDir('mining'), 'models'), 'mobilesam', { seed: 7 }), family: 'mobilesam' })
    ).id;
    // Each batch announces its unlabeled images: their stored embeddings are read ahead.
    const announced: EmbeddingKey[][] = [];
    const prefetch = embeddingCache.prefetch.bind(embeddingCache);
    embeddingCache.prefetch = (w, keys) => {
      announced.push(keys);
      prefetch(w, keys);
    };
    let r: Awaited<ReturnType<typeof mineStudent>>;
    try {
      r = await mineStudent(
        ws,
        mineSettings({
          schedule: 'continuous',
          teacher: { kind: 'sam', modelId: fresh },
          baseRunId,
          train: { ...TINY, maxEpochs: 3 },
          prompts: { threshold: 0.3 },
        }),
      );
    } finally {
      embeddingCache.prefetch = prefetch;
    }
    const unlabeledKeys = new Set(unlabeled.map((id) => imageDetail(ws, id).sha256));
    expect(announced.length).toBeGreaterThanOrEqual(3); // every epoch has batches with unlabeled images
    expect(announced.flat().every((k) => unlabeledKeys.has(k.imageSha256) && embeddingKeyId(k).length === 64)).toBe(true);
    expect(r.run.epochs).toBe(3);
    expect(r.teacherSeconds).toHaveLength(3);
    expect(r.pseudoLabels.images).toBe(unlabeled.length);
    expect(r.encoderCalls).toEqual([unlabeled.length, 0, 0]);
    const versions = unlabeled.flatMap((id) => pseudoLabelVersions(ws, id).filter((v) => v.runId === r.run.runId));
    expect(versions.length).toBeGreaterThan(0);
    const perImageEpoch = new Set(versions.map((v) => `${v.imageId}@${v.epoch}`));
    expect(perImageEpoch.size).toBe(versions.length);
    expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 300_000);

  it('predicts in fast and refine modes at source resolution, with per-image latency', async () => {
    const inference = await ModeInference.open(ws, {
      runId: baseRunId,
      engine: 'tfjs',
      teacher: { kind: 'sam', modelId: teacherId },
      prompts: { threshold: 0.3 },
    });
    try {
      const id = unlabeled[0]!;
      const { width, height } = imageDetail(ws, id);
      const fast = await inference.predict(id, 'fast');
      const refine = await inference.predict(id, 'refine');
      for (const p of [fast, refine]) {
        expect([p.mask.width, p.mask.height]).toEqual([width, height]);
        expect(p.latencyMs).toBeGreaterThan(0);
      }
      expect(fast.teacherMs).toBe(0);
      expect(refine.refined).toBe(true);
      // The fixture teacher answers a box prompt with exactly the box: refine's mask is a filled
      // rectangle inside the student's prompt box, unlike the student's own blob.
      const box = (refine.prompts as { box: { x0: number; y0: number; x1: number; y1: number } }[])[0]!.box;
      const inside = Math.round((box.x1 - box.x0) * (box.y1 - box.y0));
      expect(Math.abs(refine.area - inside) / inside).toBeLessThan(0.1);
      expect(refine.area).not.toBe(fast.area);
      const file = writePredictionPng(ws, join(ws.root, 'exports'), refine);
      expect(decodeMaskPng(readFileSync(file)).width).toBe(width);
    } finally {
      await inference.close();
    }
  }, 120_000);

  it('an interrupted mining run resumes as the same run', async () => {
    const controller = new AbortController();
    const settings = mineSettings({
      schedule: 'one-time',
      teacher: { kind: 'oracle' },
      baseRunId,
      train: { ...TINY, maxEpochs: 3 },
      prompts: { threshold: 0.3 },
    });
    let runId = 0;
    await expect(
      mineStudent(ws, settings, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'mining' && p.detail?.run_id) runId = Number(p.detail.run_id);
          if (p.phase === 'mining' && p.detail?.val_dice !== undefined && p.done === 1) controller.abort();
        },
      }),
    ).rejects.toThrow(TrainingInterrupted);
    const before = (ws.db.prepare('SELECT COUNT(*) AS n FROM pseudo_labels WHERE run_id = ?').get(runId) as { n: number }).n;
    expect(ws.db.prepare('SELECT status FROM runs WHERE id = ?').get(runId)).toEqual({ status: 'interrupted' });
    const resumed = await resumeMining(ws, runId);
    expect(resumed.run.runId).toBe(runId);
    expect(resumed.run.epochs).toBe(3);
    // The one-time labels of the interrupted attempt are reused, not asked again.
    expect((ws.db.prepare('SELECT COUNT(*) AS n FROM pseudo_labels WHERE run_id = ?').get(runId) as { n: number }).n).toBe(before);
    const epochs = ws.db.prepare('SELECT DISTINCT epoch FROM metrics WHERE run_id = ? ORDER BY epoch').all(runId) as { epoch: number }[];
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
  }, 300_000);
});
