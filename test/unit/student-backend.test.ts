import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initStudentBackend, nativeBindingPresent, type StudentBackend } from '../../src/main/student/backend';
import { bceDiceLoss } from '../../src/main/student/loss';
import { batchNormTrain, conv2d, maxPool3s2, upsample2x } from '../../src/main/student/ops';
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor4D } from '../../src/main/student/tf';
import { forward, initWeights, runGraph, TINY_UNETPP, UnetWeights, type Layers } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';

// Every backend must compute the same gradients as a reference: the cpu backend's own kernels
// (tf.conv2d, tf.moments autodiff, a broadcast-based upsample) and, for the whole model, a
// central finite difference.

const BACKENDS: StudentBackend[] = ['wasm', 'cpu'];

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

async function use(name: StudentBackend): Promise<void> {
  const info = await initStudentBackend({ prefer: name });
  expect(info.name).toBe(name);
}

/** ‖a − b‖ / ‖b‖ */
function relErr(a: Float32Array | number[], b: Float32Array | number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

/** Gradients of Σ f(inputs)·r with respect to every input, as plain arrays. */
function gradsOf(f: (...xs: Tensor[]) => Tensor, inputs: { data: Float32Array; shape: number[] }[], rSeed: number): Float32Array[] {
  return tf.tidy(() => {
    const ts = inputs.map((i) => tf.tensor(i.data, i.shape));
    const outShape = f(...ts).shape;
    const r = tf.tensor(rand(outShape.reduce((a, b) => a * b, 1), rSeed), outShape);
    const g = tf.grads((...xs: Tensor[]) => tf.sum(tf.mul(f(...xs), r)));
    return g(ts).map((t) => t.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await use('cpu');
});

describe('backend selection', () => {
  it('falls through the absent native packages to wasm and says why', async () => {
    const info = await initStudentBackend({ prefer: 'tensorflow-gpu' });
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(info.name);
    if (info.name === 'wasm') {
      expect(info.notes.join('\n')).toMatch(/tfjs-node/);
      expect(info.simd).toBe(true);
    }
  });
});

describe('a tfjs-node package without its compiled binding', () => {
  it('is seen from its package.json layout, before anything is required', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apprentice-tfjs-node-'));
    const manifest = join(dir, 'package.json');
    writeFileSync(manifest, JSON.stringify({ binary: { module_name: 'tfjs_binding', module_path: './lib/napi-v{napi_build_version}', napi_versions: [3, 8] } }));
    expect(nativeBindingPresent(manifest)).toBe(false);
    mkdirSync(join(dir, 'lib', 'napi-v8'), { recursive: true });
    writeFileSync(join(dir, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
    expect(nativeBindingPresent(manifest)).toBe(true);
    writeFileSync(manifest, JSON.stringify({ name: 'no-binary-layout' }));
    expect(nativeBindingPresent(manifest)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

const CONVS = [
  { k: 3, s: 1, p: 1, h: 8 },
  { k: 3, s: 2, p: 1, h: 8 },
  { k: 1, s: 2, p: 0, h: 8 },
  { k: 7, s: 2, p: 3, h: 16 },
];

describe.each(BACKENDS)('%s gradients', (backend) => {
  it.each(CONVS)('conv2d k$k s$s p$p: custom gradient = tf.conv2d on cpu', async ({ k, s, p, h }) => {
    const x = { data: rand(2 * h * h * 4, 1), shape: [2, h, h, 4] };
    const w = { data: rand(k * k * 4 * 5, 2, 0.5), shape: [k, k, 4, 5] };
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
    await use('cpu');
    const ref = gradsOf((a, b) => tf.conv2d(a as Tensor4D, b as Tensor4D, s, pad), [x, w], 3);
    await use(backend);
    const got = gradsOf((a, b) => conv2d(a as Tensor4D, b as Tensor4D, s, p), [x, w], 3);
    expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-5);
    expect(relErr(got[1]!, ref[1]!)).toBeLessThan(1e-5);
  });

  it.each(CONVS)('stock tf.conv2d k$k s$s p$p gradients match cpu (wasm: our Conv2DBackpropFilter)', async ({ k, s, p, h }) => {
    const x = { data: rand(2 * h * h * 3, 4), shape: [2, h, h, 3] };
    const w = { data: rand(k * k * 3 * 6, 5, 0.5), shape: [k, k, 3, 6] };
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
    const f = (a: Tensor, b: Tensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, s, pad);
    await use('cpu');
    const ref = gradsOf(f, [x, w], 6);
    await use(backend);
    const got = gradsOf(f, [x, w], 6);
    expect(relErr(got[1]!, ref[1]!)).toBeLessThan(1e-5);
    expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-5);
  });

  it('upsample2x gradient sums each 2×2 block, batch 3', async () => {
    const x = { data: rand(3 * 4 * 5 * 2, 7), shape: [3, 4, 5, 2] };
    await use('cpu');
    // reference: broadcast-add onto a [.., 2, .., 2, ..] grid (gradient = reduction over the pair axes)
    const ref = gradsOf((a) => {
      const [b, h, w, c] = a.shape as [number, number, number, number];
      return tf.reshape(tf.add(tf.reshape(a, [b, h, 1, w, 1, c]), tf.zeros([1, 1, 2, 1, 2, 1])), [b, 2 * h, 2 * w, c]);
    }, [x], 8);
    await use(backend);
    const fwd = tf.tidy(() => upsample2x(tf.tensor4d(x.data, x.shape as [number, number, number, number])).dataSync());
    const refFwd = tf.tidy(() => {
      const a = tf.tensor(x.data, [3, 4, 1, 5, 1, 2]);
      return tf.reshape(tf.add(a, tf.zeros([1, 1, 2, 1, 2, 1])), [3, 8, 10, 2]).dataSync();
    });
    expect(Array.from(fwd)).toEqual(Array.from(refFwd));
    const got = gradsOf((a) => upsample2x(a as Tensor4D), [x], 8);
    expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-6);
  });

  it('batchNormTrain gradient = autodiff of the moments formula on cpu', async () => {
    const x = { data: rand(2 * 4 * 4 * 3, 9, 2), shape: [2, 4, 4, 3] };
    const g = { data: Float32Array.from([1.5, 0.5, -1]), shape: [3] };
    const b = { data: Float32Array.from([0.1, -0.2, 0.3]), shape: [3] };
    await use('cpu');
    const ref = gradsOf((a, gg, bb) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5))), gg), bb);
    }, [x, g, b], 10);
    await use(backend);
    const got = gradsOf((a, gg, bb) => batchNormTrain(a as Tensor4D, gg as Tensor1D, bb as Tensor1D, 1e-5), [x, g, b], 10);
    for (let i = 0; i < 3; i++) expect(relErr(got[i]!, ref[i]!)).toBeLessThan(1e-4);
  });

  it('maxPool 3×3/2 pad 1 gradient matches cpu', async () => {
    const x = { data: rand(2 * 8 * 8 * 3, 11), shape: [2, 8, 8, 3] };
    await use('cpu');
    const ref = gradsOf((a) => maxPool3s2(a as Tensor4D), [x], 12);
    await use(backend);
    const got = gradsOf((a) => maxPool3s2(a as Tensor4D), [x], 12);
    expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-6);
  });
});

/** The same network from stock tfjs ops only (tf.conv2d, tf.moments, broadcast upsample): autodiff reference. */
function referenceLayers(w: UnetWeights): Layers {
  const pad = (p: number): [[number, number], [number, number], [number, number], [number, number]] => [[0, 0], [p, p], [p, p], [0, 0]];
  return {
    convBn(x, conv, bn, stride, p, relu) {
      const y = tf.conv2d(x, w.get(conv) as Tensor4D, stride, pad(p));
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const z = tf.add(tf.mul(tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, 1e-5))), w.get(`${bn}.weight`)), w.get(`${bn}.bias`)) as Tensor4D;
      return relu ? tf.relu(z) : z;
    },
    head: (x) => tf.add(tf.conv2d(x, w.get('head.weight') as Tensor4D, 1, pad(1)), w.get('head.bias')) as Tensor4D,
    upsample(x) {
      const [b, h, ww, c] = x.shape;
      return tf.reshape(tf.add(tf.reshape(x, [b, h, 1, ww, 1, c]), tf.zeros([1, 1, 2, 1, 2, 1])), [b, 2 * h, 2 * ww, c]) as Tensor4D;
    },
  };
}

describe('whole tiny model', () => {
  const size = 32;
  const batch = 2;
  const input = rand(batch * size * size * 3, 21);
  const target = Float32Array.from(rand(batch * size * size, 22), (v) => (v > 0.3 ? 1 : 0));
  const arrays = initWeights(TINY_UNETPP, 5);

  function lossAndGrads(reference = false): { loss: number; grads: Map<string, Float32Array> } {
    const w = new UnetWeights(TINY_UNETPP, arrays);
    try {
      let result!: { loss: number; grads: Map<string, Float32Array> };
      tf.tidy(() => {
        const x = tf.tensor4d(input, [batch, size, size, 3]);
        const y = tf.tensor4d(target, [batch, size, size, 1]);
        const run = () => (reference ? runGraph(TINY_UNETPP, referenceLayers(w), x) : forward(w, x, { training: true }));
        const { value, grads } = tf.variableGrads(() => bceDiceLoss(run(), y, 0.5) as Scalar, w.trainableList());
        const out = new Map<string, Float32Array>();
        for (const s of w.specs) if (s.trainable) out.set(s.name, grads[w.vars.get(s.name)!.name]!.dataSync() as Float32Array);
        result = { loss: value.dataSync()[0]!, grads: out };
      });
      return result;
    } finally {
      w.dispose();
    }
  }

  function worstRelErr(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
    let worst = 0;
    for (const [name, g] of b) worst = Math.max(worst, relErr(a.get(name)!, g));
    return worst;
  }

  let ref: { loss: number; grads: Map<string, Float32Array> };

  it('cpu: our ops give the gradients of a stock-ops autodiff reference for every weight', async () => {
    await use('cpu');
    ref = lossAndGrads(true);
    const got = lossAndGrads(false);
    expect(got.loss).toBeCloseTo(ref.loss, 5);
    expect(worstRelErr(got.grads, ref.grads)).toBeLessThan(1e-3);
  });

  it('wasm gives the same loss and gradients for every weight', async () => {
    await use('wasm');
    const got = lossAndGrads(false);
    expect(got.loss).toBeCloseTo(ref.loss, 5);
    expect(worstRelErr(got.grads, ref.grads)).toBeLessThan(1e-3);
  });
});
