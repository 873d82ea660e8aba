import { describe, expect, it } from 'vitest';
import { initStudentBackend } from '../../src/main/student/backend';
import { oihwToHwio } from '../../src/main/student/ort-engine';
import { initHead, SimclrTrainer } from '../../src/main/student/simclr-engine';
import { encoderTrainable, headSpecs } from '../../src/main/student/simclr-graph';
import { tf, type Scalar, type Tensor2D, type Tensor4D } from '../../src/main/student/tf';
import { forwardEncoder, initWeights, paramSpecs, TINY_UNETPP, UnetWeights } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';

// The SimCLR step (hand-written reverse mode in an ONNX graph) against tfjs autodiff of the same
// encoder, pooling, projection head and NT-Xent written with plain tf ops.

function rand(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const HEAD = { hidden: 32, out: 16 };

describe('SimCLR step on onnxruntime', () => {
  it('tiny model: NT-Xent loss and every encoder and head gradient equal tfjs autodiff', async () => {
    await initStudentBackend({ prefer: 'cpu' });
    const size = 64;
    const n = 3;
    const tau = 0.5;
    const x = rand(2 * n * size * size * 3, 11);
    const arrays = initWeights(TINY_UNETPP, 4);
    const head = initHead(TINY_UNETPP, HEAD, seededRandom(5));

    const w = new UnetWeights(TINY_UNETPP, arrays);
    const hv = new Map(headSpecs(TINY_UNETPP, HEAD).map((s) => [s.name, tf.variable(tf.tensor(head.get(s.name)!, s.shape))]));
    const vars = [...encoderTrainable(TINY_UNETPP).map((k) => w.vars.get(k)!), ...hv.values()];
    const ref = new Map<string, Float32Array>();
    let refLoss = 0;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const f = forwardEncoder(w, tf.tensor4d(x, [2 * n, size, size, 3]) as Tensor4D, { training: true });
        const h = tf.mean(f, [1, 2]) as Tensor2D;
        const r = tf.relu(tf.add(tf.matMul(h, hv.get('proj.0.weight')! as Tensor2D), hv.get('proj.0.bias')!)) as Tensor2D;
        const z = tf.add(tf.matMul(r, hv.get('proj.2.weight')! as Tensor2D), hv.get('proj.2.bias')!) as Tensor2D;
        const u = tf.div(z, tf.sqrt(tf.add(tf.sum(tf.square(z), 1, true), 1e-12))) as Tensor2D;
        const s = tf.add(tf.div(tf.matMul(u, u, false, true), tau), tf.mul(tf.eye(2 * n), -1e9));
        const pos = tf.oneHot(tf.tensor1d(Array.from({ length: 2 * n }, (_, i) => (i + n) % (2 * n)), 'int32'), 2 * n);
        return tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(s), pos)), 2 * n)) as Scalar;
      }, vars);
      refLoss = value.dataSync()[0]!;
      for (const k of encoderTrainable(TINY_UNETPP)) ref.set(k, grads[w.vars.get(k)!.name]!.dataSync() as Float32Array);
      for (const [k, v] of hv) ref.set(k, grads[v.name]!.dataSync() as Float32Array);
    });
    w.dispose();
    for (const v of hv.values()) v.dispose();

    const trainer = new SimclrTrainer(TINY_UNETPP, arrays, head, { lr: 1e-3, temperature: tau, head: HEAD });
    try {
      const got = await trainer.gradients(x, n, size);
      expect(got.loss).toBeCloseTo(refLoss, 4);
      const shapes = new Map(paramSpecs(TINY_UNETPP).map((s) => [s.name, s.shape]));
      let num = 0;
      let den = 0;
      for (const [k, r] of ref) {
        const g = shapes.has(k) ? oihwToHwio(got.grads.get(k)!, shapes.get(k)!) : got.grads.get(k)!;
        expect(relErr(g, r), k).toBeLessThan(1e-3);
        for (let i = 0; i < r.length; i++) {
          num += (g[i]! - r[i]!) ** 2;
          den += r[i]! ** 2;
        }
      }
      expect(den).toBeGreaterThan(0);
      expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
      expect([...got.stats.keys()].every((bn) => bn.startsWith('encoder.'))).toBe(true);
    } finally {
      await trainer.dispose();
    }
  });
});
