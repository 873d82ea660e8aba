import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLabelMapPng, IGNORE_LABEL } from '../../src/main/imaging/mask';
import { ModeInference, predictSet } from '../../src/main/mining/inference';
import { scoreStructures } from '../../src/main/metrics/metrics';
import { initStudentBackend } from '../../src/main/student/backend';
import { channelTargets } from '../../src/main/student/data';
import { bceDiceFromLogits, bceDiceLoss } from '../../src/main/student/loss';
import { oihwToHwio, OrtTrainer } from '../../src/main/student/ort-engine';
import { createPredictor, loadStudentFromRun, predictImages } from '../../src/main/student/predict';
import { tf, type Scalar, type Tensor4D } from '../../src/main/student/tf';
import { forward, initWeights, paramSpecs, TINY_UNETPP, UnetWeights, type UnetConfig, type WeightArrays } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';
import { addStructure } from '../../src/main/workspace/labels';
import { trainStudent, type TrainConfig } from '../../src/main/student/train';
import { importImages } from '../../src/main/workspace/import';
import { loadLabelMap, saveLabelMap } from '../../src/main/workspace/masks';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { tempDir } from '../helpers/data';
import { writeTwoStructureImages } from '../helpers/structures-data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const SETTINGS: Partial<TrainConfig> = { ...TINY_STUDENT, seed: 1, engine: 'onnxruntime' };

let dir: string;
let binary: Workspace;

function curve(ws: Workspace, runId: number, name: string): number[] {
  return (ws.db.prepare('SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY epoch').all(runId, name) as { value: number }[]).map((r) => r.value);
}

/** Imports the synthetic images and saves each one's ground truth as `keep` makes it of its label map. */
async function workspaceOf(name: string, keep: (labels: Uint8Array) => Uint8Array, more: string[] = []): Promise<Workspace> {
  const ws = Workspace.open(join(dir, name), { create: true });
  for (const structure of more) addStructure(ws, { name: structure });
  const files = writeTwoStructureImages(join(dir, `${name}-images`), 16);
  await importImages(ws, { paths: files.map((f) => f.file) });
  const ids = (ws.db.prepare('SELECT id FROM images ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  ids.forEach((id, i) => saveLabelMap(ws, id, { width: 80, height: 72, data: keep(files[i]!.labels) }, 'imported'));
  createSplit(ws, { labeled: 1, val: 0.25, test: 0, seed: 1 });
  return ws;
}

beforeAll(async () => {
  await initStudentBackend({ prefer: 'wasm' });
  dir = tempDir('student-structures');
  binary = await workspaceOf('binary', (labels) => labels.map((v) => (v === 1 ? 1 : 0)));
});

afterAll(() => {
  binary?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('several structures', () => {
  it('binary path (one structure) gives the numbers it gave before channels per structure', async () => {
    const r = await trainStudent(binary, SETTINGS);
    const got = Object.fromEntries(['train_loss', 'val_loss', 'val_dice', 'val_iou'].map((n) => [n, curve(binary, r.runId, n)]));
    // Recorded from the one-channel student before the head had a channel per structure (commit 1bc5754).
    const before = {
      train_loss: [0.7854504585266113, 0.7406635483105978],
      val_loss: [0.6750462214666482, 0.65628941851732],
      val_dice: [0, 0.18808745689357084],
      val_iou: [0, 0.10430416362037706],
    };
    for (const [name, values] of Object.entries(before)) values.forEach((v, i) => expect(got[name]![i], `${name} epoch ${i + 1}`).toBeCloseTo(v, 6));
    expect(JSON.parse((binary.db.prepare('SELECT config FROM runs WHERE id = ?').get(r.runId) as { config: string }).config).structures).toEqual([1]);
  }, 120_000);

  it('tiny model with 3 structures and an ignore region: loss and every gradient equal tfjs autodiff', async () => {
    await initStudentBackend({ prefer: 'cpu' });
    const cfg = { ...TINY_UNETPP, classes: 3 };
    const size = 64;
    const b = 2;
    const plane = size * size;
    const r = seededRandom(11);
    const x = Float32Array.from({ length: b * plane * 3 }, () => r() * 2 - 1);
    const maps = [0, 1].map(() => Uint8Array.from({ length: plane }, () => (r() < 0.1 ? IGNORE_LABEL : Math.floor(r() * 4))));
    const { y, m } = channelTargets(maps, 3, plane);
    expect(m).not.toBeNull();
    const sw = Float32Array.from([1, 0.5]);
    const arrays = initWeights(cfg, 3, 'he'); // the 1e-4 tolerance was set on He weights (PyTorch's smaller start gives ~1e-3 at 8 channels)
    const ref = tfjsGradients(cfg, arrays, x, y, m!, b, size, sw);
    const ort = new OrtTrainer(cfg, arrays, { lr: 1e-3 });
    try {
      const got = await ort.gradients(x, y, b, size, 0.5, sw, m!);
      expect(got.loss).toBeCloseTo(ref.loss, 5);
      let num = 0;
      let den = 0;
      for (const s of paramSpecs(cfg).filter((p) => p.trainable)) {
        const g = oihwToHwio(got.grads.get(s.name)!, s.shape);
        const e = ref.grads.get(s.name)!;
        for (let i = 0; i < e.length; i++) {
          num += (g[i]! - e[i]!) ** 2;
          den += e[i]! ** 2;
        }
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
      expect(oihwToHwio(got.grads.get('head.weight')!, [3, 3, 4, 3]).some((v) => v !== 0)).toBe(true);

      // what the targets say on ignored pixels changes neither the loss nor a gradient
      const flipped = maps.map((map) => map.slice());
      const y2 = channelTargets(flipped, 3, plane).y;
      for (let k = 0; k < b; k++) for (let i = 0; i < plane; i++) if (maps[k]![i] === IGNORE_LABEL) for (let c = 0; c < 3; c++) y2[(k * 3 + c) * plane + i] = 1;
      const again = await ort.gradients(x, y2, b, size, 0.5, sw, m!);
      expect(again.loss).toBe(got.loss);
      expect(again.grads.get('head.bias')).toEqual(got.grads.get('head.bias'));
      const unmasked = await ort.gradients(x, y2, b, size, 0.5, sw);
      expect(Math.abs(unmasked.loss - got.loss)).toBeGreaterThan(1e-3);
    } finally {
      await ort.dispose();
    }
  });

  it('validation loss and scores leave the ignore region out', () => {
    const plane = 16;
    const map = Uint8Array.from({ length: plane }, (_, i) => (i < 4 ? IGNORE_LABEL : i < 10 ? 1 : 2));
    const { y, m } = channelTargets([map], 2, plane);
    const logits = Float32Array.from({ length: 2 * plane }, (_, i) => Math.sin(i));
    const changed = logits.slice();
    for (let i = 0; i < 4; i++) {
      changed[i] = 9;
      changed[plane + i] = -9;
    }
    expect(bceDiceFromLogits(changed, y, 1, 0.5, 1, 2, m!)).toBe(bceDiceFromLogits(logits, y, 1, 0.5, 1, 2, m!));
    const perfect = [0, 1].map((c) => Uint8Array.from(map, (v, i) => (i < 4 || v === c + 1 ? 1 : 0)));
    expect(scoreStructures(perfect, map)).toEqual([
      { iou: 1, dice: 1 },
      { iou: 1, dice: 1 },
    ]);
  });

  it('two structures: the student learns both, records the scores of each and predicts a label map', async () => {
    const ws = await workspaceOf('two', (labels) => labels, ['Square']);
    try {
      const r = await trainStudent(ws, { ...SETTINGS, maxEpochs: 8, lr: 3e-3 });
      const config = JSON.parse((ws.db.prepare('SELECT config FROM runs WHERE id = ?').get(r.runId) as { config: string }).config) as TrainConfig;
      expect(config.structures).toEqual([1, 2]);
      for (const v of [1, 2]) {
        const dice = curve(ws, r.runId, `val_dice/${v}`);
        expect(dice, `structure ${v}`).toHaveLength(r.epochs);
        expect(Math.max(...dice), `structure ${v}`).toBeGreaterThan(0.5);
      }
      const mean = curve(ws, r.runId, 'val_dice');
      const last = mean.length - 1;
      expect(mean[last]).toBeCloseTo((curve(ws, r.runId, 'val_dice/1')[last]! + curve(ws, r.runId, 'val_dice/2')[last]!) / 2, 10);

      const model = loadStudentFromRun(ws, r.runId);
      expect(model.config.classes).toBe(2);
      expect(model.structures).toEqual([1, 2]);
      const predictor = await createPredictor(model, 'onnx');
      try {
        const id = (ws.db.prepare('SELECT id FROM images ORDER BY id LIMIT 1').get() as { id: number }).id;
        const [p] = await predictImages(ws, predictor, [id]);
        const truth = loadLabelMap(ws, id)!;
        expect(p!.probs).toHaveLength(2);
        expect(new Set(p!.labelMap)).toEqual(new Set([0, 1, 2]));
        const scores = scoreStructures([1, 2].map((v) => Uint8Array.from(p!.labelMap, (l) => (l === v ? 1 : 0))), truth.data);
        for (const s of scores) expect(s.dice).toBeGreaterThan(0.5);
      } finally {
        await predictor.close();
      }

      // exported prediction: a label map PNG of schema values
      const inference = await ModeInference.open(ws, { runId: r.runId });
      try {
        const id = (ws.db.prepare('SELECT id FROM images ORDER BY id LIMIT 1').get() as { id: number }).id;
        const out = await predictSet(ws, inference, { imageIds: [id], mode: 'fast', outDir: join(dir, 'predicted'), format: 'png' });
        expect(out.images[0]!.error).toBeNull();
        const exported = decodeLabelMapPng(readFileSync(out.images[0]!.file!));
        expect(new Set(exported.data)).toEqual(new Set([0, 1, 2]));
        await expect(inference.predict(id, 'refine')).rejects.toThrow(/needs a teacher/);
      } finally {
        await inference.close();
      }
    } finally {
      ws.close();
    }
  }, 180_000);
});

function tfjsGradients(cfg: UnetConfig, arrays: WeightArrays, x: Float32Array, y: Float32Array, m: Float32Array, b: number, size: number, sw: Float32Array) {
  const w = new UnetWeights(cfg, arrays);
  const grads = new Map<string, Float32Array>();
  let loss = 0;
  tf.tidy(() => {
    const yt = tf.transpose(tf.tensor4d(y, [b, cfg.classes, size, size]), [0, 2, 3, 1]) as Tensor4D;
    const mt = tf.tensor4d(m, [b, size, size, 1]) as Tensor4D;
    const { value, grads: g } = tf.variableGrads(
      () => bceDiceLoss(forward(w, tf.tensor4d(x, [b, size, size, 3]) as Tensor4D, { training: true }), yt, 0.5, 1, sw, mt) as Scalar,
      w.trainableList(),
    );
    loss = value.dataSync()[0]!;
    for (const s of w.specs) if (s.trainable) grads.set(s.name, g[w.vars.get(s.name)!.name]!.dataSync() as Float32Array);
  });
  w.dispose();
  return { loss, grads };
}
