import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModeInference } from '../../src/main/mining/inference';
import { mineSettings, mineStudent } from '../../src/main/mining/mine';
import { acceptPseudoLabel, correctPseudoLabel, reviewImage } from '../../src/main/mining/review';
import { mergeStructureAnswers } from '../../src/main/mining/structures';
import { initStudentBackend } from '../../src/main/student/backend';
import { trainStudent, type TrainConfig } from '../../src/main/student/train';
import { addTeacherModel } from '../../src/main/teacher/registry';
import { decodeLabelMapPng, encodeLabelMapPng } from '../../src/main/imaging/mask';
import { exportMasks } from '../../src/main/export/export-masks';
import { importImages } from '../../src/main/workspace/import';
import { addStructure } from '../../src/main/workspace/labels';
import { currentGroundTruth, loadLabelMap, saveLabelMap } from '../../src/main/workspace/masks';
import { pseudoLabelMap, pseudoLabelVersions } from '../../src/main/workspace/pseudo-labels';
import { createSplit, splitMembers } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { tempDir } from '../helpers/data';
import { writeTwoStructureImages } from '../helpers/structures-data';
import { TINY_STUDENT } from '../helpers/tiny-student';

// A disc (structure 1) and a square (structure 2) per image: the student learns both in a few
// epochs, so its channels prompt the teacher about each, and the oracle answers from each
// structure's hidden ground truth.
const SETTINGS: Partial<TrainConfig> = { ...TINY_STUDENT, seed: 1, engine: 'onnxruntime', lr: 3e-3 };

describe('knowledge mining with two structures (oracle and fixture teachers)', () => {
  let dir: string;
  let ws: Workspace;
  let baseRunId: number;
  let unlabeled: number[];
  let teacherId: number;

  beforeAll(async () => {
    await initStudentBackend({ prefer: 'wasm' });
    dir = tempDir('structures-mining');
    ws = Workspace.open(join(dir, 'ws'), { create: true });
    addStructure(ws, { name: 'Square' });
    const files = writeTwoStructureImages(join(dir, 'images'), 20);
    await importImages(ws, { paths: files.map((f) => f.file) });
    const ids = (ws.db.prepare('SELECT id FROM images ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    ids.forEach((id, i) => saveLabelMap(ws, id, { width: 80, height: 72, data: files[i]!.labels }, 'imported'));
    const split = createSplit(ws, { labeled: 0.5, val: 0.2, test: 0, seed: 1 });
    unlabeled = splitMembers(ws, split.id, 'unlabeled');
    teacherId = (await addTeacherModel(ws, { ...writeFixturePair(join(dir, 'models'), 'mobilesam'), family: 'mobilesam' })).id;
    baseRunId = (await trainStudent(ws, { ...SETTINGS, maxEpochs: 8 })).runId;
  }, 300_000);
  afterAll(() => {
    ws?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('one-time: a label-map pseudo-label per unlabeled image, prompts and agreement per structure; accept makes it a label-map ground truth', async () => {
    const r = await mineStudent(ws, mineSettings({ schedule: 'one-time', teacher: { kind: 'oracle' }, baseRunId, train: { ...SETTINGS, maxEpochs: 1 } }));
    expect(r.pseudoLabels.stored).toBeGreaterThan(0);
    const config = JSON.parse((ws.db.prepare('SELECT config FROM runs WHERE id = ?').get(r.run.runId) as { config: string }).config);
    expect(config.structures).toEqual([1, 2]);
    let bothSeen = 0;
    for (const id of unlabeled) {
      const [v] = pseudoLabelVersions(ws, id);
      if (!v) continue;
      expect(v.labelMap!.structures).toEqual([1, 2]);
      const map = pseudoLabelMap(ws, v);
      const truth = loadLabelMap(ws, id)!;
      // The oracle answers each structure with the truth of the components its prompts touch: every labelled pixel is that structure's.
      for (let i = 0; i < map.data.length; i++) if (map.data[i]) expect(map.data[i]).toBe(truth.data[i]);
      const prompted = new Set((v.prompts as { structure: number }[]).map((p) => p.structure));
      for (const s of prompted) expect([1, 2]).toContain(s);
      const defined = Object.values(v.labelMap!.agreements).filter((d): d is number => d !== null);
      expect(v.agreementDice).toBeCloseTo(defined.reduce((a, d) => a + d, 0) / defined.length, 10);
      if (prompted.size === 2) {
        bothSeen++;
        expect(v.labelMap!.areas[1]).toBeGreaterThan(0);
        expect(v.labelMap!.areas[2]).toBeGreaterThan(0);
      }
    }
    expect(bothSeen).toBeGreaterThan(0);

    // Review shows the version's structures; accepting promotes the label map itself.
    const id = unlabeled.find((i) => pseudoLabelVersions(ws, i).length > 0)!;
    const v = pseudoLabelVersions(ws, id)[0]!;
    const review = reviewImage(ws, id).versions[0]!;
    expect(review.structures!.values).toEqual([1, 2]);
    expect(review.structures!.labelMapDataUrl).toMatch(/^data:image\/png;base64,/);
    const accepted = acceptPseudoLabel(ws, v.id);
    expect(accepted.decision).toBe('accepted');
    expect(loadLabelMap(ws, id)!.data).toEqual(pseudoLabelMap(ws, v).data);
    expect(currentGroundTruth(ws, id)!).toMatchObject({ provenance: 'promoted', pseudoLabelId: v.id, areas: v.labelMap!.areas });
  }, 300_000);

  it('continuous: the current student asks per structure each visit; label-map versions only when the map changed', async () => {
    const r = await mineStudent(ws, mineSettings({ schedule: 'continuous', teacher: { kind: 'noisy-oracle', maxRadius: 1, dropProbability: 0, seed: 3 }, baseRunId, train: { ...SETTINGS, maxEpochs: 2 } }));
    expect(r.pseudoLabels.stored).toBeGreaterThan(0);
    const ofRun = (ws.db.prepare('SELECT id, image_id FROM pseudo_labels WHERE run_id = ?').all(r.run.runId) as { id: number; image_id: number }[]);
    expect(ofRun.length).toBe(r.pseudoLabels.stored);
    for (const row of ofRun) {
      const v = pseudoLabelVersions(ws, row.image_id).find((x) => x.id === row.id)!;
      expect(v.labelMap!.structures).toEqual([1, 2]);
      expect(v.epoch).toBeGreaterThanOrEqual(1);
      expect(v.studentMaskBlob).not.toBeNull();
      const values = new Set(pseudoLabelMap(ws, v).data);
      for (const x of values) expect([0, 1, 2]).toContain(x);
    }
    // two versions of one image in one run never hold the same map
    const byImage = new Map<number, string[]>();
    for (const row of ofRun) {
      const v = pseudoLabelVersions(ws, row.image_id).find((x) => x.id === row.id)!;
      byImage.set(row.image_id, [...(byImage.get(row.image_id) ?? []), v.labelMap!.blob]);
    }
    for (const blobs of byImage.values()) for (let i = 1; i < blobs.length; i++) expect(blobs[i]).not.toBe(blobs[i - 1]);

    // exported as its label map (PNG of the schema values), as a label-map ground truth is
    const imageId = ofRun.at(-1)!.image_id;
    const out = await exportMasks(ws, { imageIds: [imageId], outDir: join(dir, 'exported'), format: 'png', source: { kind: 'pseudo-label', versions: 'latest' } });
    expect(out.files[0]!.error).toBeNull();
    const latest = pseudoLabelVersions(ws, imageId).at(-1)!;
    expect(decodeLabelMapPng(readFileSync(out.files[0]!.file!)).data).toEqual(pseudoLabelMap(ws, latest).data);
  }, 300_000);

  it('refine mode asks the fixture teacher per structure and predicts a label map', async () => {
    const inference = await ModeInference.open(ws, { runId: baseRunId, engine: 'tfjs', teacher: { kind: 'sam', modelId: teacherId }, prompts: { threshold: 0.3 } });
    try {
      const id = unlabeled.at(-1)!;
      const p = await inference.predict(id, 'refine');
      expect(p.refined).toBe(true);
      const structures = new Set((p.prompts as { structure: number }[]).map((q) => q.structure));
      expect(structures).toEqual(new Set([1, 2]));
      expect(p.labelMap).toBeTruthy();
      const values = new Set(p.labelMap!.data);
      expect(values.has(1) || values.has(2)).toBe(true);
      for (const x of values) expect([0, 1, 2]).toContain(x);
      // the binary mask is every structure together
      expect(p.mask.data).toEqual(p.labelMap!.data.map((x) => (x ? 1 : 0)));
      expect(p.teacherMs).toBeGreaterThan(0);
    } finally {
      await inference.close();
    }
  }, 120_000);

  it('a correction of a label-map version is a label map of its structures; a value outside them is refused, storing nothing', () => {
    const id = unlabeled.find((i) => pseudoLabelVersions(ws, i).some((v) => v.status === 'new' && v.labelMap))!;
    const v = pseudoLabelVersions(ws, id).findLast((x) => x.status === 'new')!;
    const map = pseudoLabelMap(ws, v);
    const url = (data: Uint8Array) => `data:image/png;base64,${encodeLabelMapPng({ width: map.width, height: map.height, data }).toString('base64')}`;
    const bad = map.data.slice();
    bad[0] = 3;
    const before = currentGroundTruth(ws, id);
    expect(() => correctPseudoLabel(ws, v.id, url(bad))).toThrow(/grey levels 0, 1, 2, 255 only; pixel \(0, 0\) is rgba\(3, 3, 3, 255\); nothing was stored/);
    expect(currentGroundTruth(ws, id)).toEqual(before);
    const edited = map.data.slice();
    edited.fill(2, 0, 10);
    const r = correctPseudoLabel(ws, v.id, url(edited));
    expect(r.decision).toBe('corrected');
    expect(loadLabelMap(ws, id)!.data).toEqual(edited);
  });
});

describe('merging the structures’ answers', () => {
  const mask = (bits: number[]) => ({ width: bits.length, height: 1, data: Uint8Array.from(bits) });
  const answer = (value: number, bits: number[], iou: number | null) => ({ value, prompts: [], answer: { mask: mask(bits), iouPrediction: iou, encoderMs: 0, decoderMs: 0 } });

  it('gives an overlap to the better predicted IoU, or without one to the student’s more probable structure', () => {
    const prob = (v: number, i: number) => (v === 1 ? [0.9, 0.2, 0.6][i]! : [0.1, 0.8, 0.7][i]!);
    expect([...mergeStructureAnswers([answer(1, [1, 1, 0], 0.9), answer(2, [0, 1, 1], 0.5)], 3, 1, prob).data]).toEqual([1, 1, 2]);
    expect([...mergeStructureAnswers([answer(1, [1, 1, 1], null), answer(2, [0, 1, 1], null)], 3, 1, prob).data]).toEqual([1, 2, 2]);
  });
});
