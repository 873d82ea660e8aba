import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRaster } from '../../src/main/imaging/raster';
import { initStudentBackend } from '../../src/main/student/backend';
import { exportOnnx } from '../../src/main/student/onnx-export';
import { createPredictor, predictRgb, type StudentModel } from '../../src/main/student/predict';
import { initWeights, paramSpecs, RESNET34_UNETPP, TINY_UNETPP, type WeightArrays } from '../../src/main/student/unetpp';
import { SHARED_DATA } from '../helpers/data';

const DATA = join(SHARED_DATA, 'kvasir-seg');

/** Initial weights with non-trivial BN statistics, so folding is really exercised. */
function weightsWithStats(seed: number): WeightArrays {
  const w = initWeights(TINY_UNETPP, seed);
  for (const s of paramSpecs(TINY_UNETPP)) {
    const a = w.get(s.name)!;
    if (s.kind === 'bn_mean') a.forEach((_, i) => (a[i] = 0.2 * Math.sin(i + seed)));
    if (s.kind === 'bn_var') a.forEach((_, i) => (a[i] = 1 + 0.3 * Math.cos(i)));
    if (s.kind === 'bn_bias') a.forEach((_, i) => (a[i] = 0.1 * Math.cos(3 * i)));
  }
  return w;
}

beforeAll(async () => {
  await initStudentBackend({ prefer: 'wasm' });
});

describe('inference at source resolution', () => {
  const model: StudentModel = { config: TINY_UNETPP, weights: weightsWithStats(4), size: 224, runId: null };
  const images = readdirSync(join(DATA, 'images'))
    .sort()
    .slice(0, 3)
    .map((f) => decodeRaster(readFileSync(join(DATA, 'images', f))));

  it('tfjs and ONNX Runtime agree within 1e-4 on real images, and masks come back at full size', async () => {
    const tfjs = await createPredictor(model, 'tfjs');
    const onnx = await createPredictor(model, 'onnx');
    try {
      for (const img of images) {
        const a = await predictRgb(tfjs, img);
        const b = await predictRgb(onnx, img);
        expect([b.width, b.height]).toEqual([img.width, img.height]);
        expect(b.prob.length).toBe(img.width * img.height);
        expect(b.mask.length).toBe(img.width * img.height);
        let worst = 0;
        let spread = 0;
        let lo = 1;
        let hi = 0;
        for (let i = 0; i < a.prob.length; i++) {
          worst = Math.max(worst, Math.abs(a.prob[i]! - b.prob[i]!));
          lo = Math.min(lo, b.prob[i]!);
          hi = Math.max(hi, b.prob[i]!);
        }
        spread = hi - lo;
        expect(spread).toBeGreaterThan(0.01); // not a constant map
        expect(worst).toBeLessThanOrEqual(1e-4);
        let disagree = 0;
        for (let i = 0; i < a.mask.length; i++) if (Math.abs(b.prob[i]! - 0.5) > 1e-4 && a.mask[i] !== b.mask[i]) disagree++;
        expect(disagree).toBe(0);
      }
    } finally {
      await tfjs.close();
      await onnx.close();
    }
  });

  it('runs the same map at a batch of two (dynamic batch) as one at a time', async () => {
    const onnx = await createPredictor(model, 'onnx');
    try {
      const x = Float32Array.from({ length: 2 * 224 * 224 * 3 }, (_, i) => Math.sin(i * 0.01));
      const both = await onnx.run(x, 2);
      const second = await onnx.run(x.subarray(224 * 224 * 3), 1);
      let worst = 0;
      for (let i = 0; i < second.length; i++) worst = Math.max(worst, Math.abs(both[224 * 224 + i]! - second[i]!));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await onnx.close();
    }
  });
});

describe('ONNX export of the default model', () => {
  it('loads in ONNX Runtime with [batch,3,S,S] → [batch,1,S,S] and holds every parameter', async () => {
    const bytes = exportOnnx(RESNET34_UNETPP, initWeights(RESNET34_UNETPP, 1), { size: 128 });
    // 26,078,609 trainable parameters, BN folded: conv weights + one bias per conv output channel
    expect(bytes.length).toBeGreaterThan(26_000_000 * 4);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    try {
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['probs']);
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 128 * 128), [1, 3, 128, 128]) });
      expect(out.probs!.dims).toEqual([1, 1, 128, 128]);
    } finally {
      await session.release();
    }
  }, 60_000);
});
