import { describe, expect, it } from 'vitest';
import { adamUpdateArray } from '../../src/main/student/adam';
import { seededRandom } from '../../src/main/util/random';

/** torch.optim.Adam's update in float32, one rounding per operation, written as a plain loop. */
function plainAdam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, step: number, o: { lr: number; beta1: number; beta2: number; eps: number }): void {
  const f = Math.fround;
  const b1 = f(o.beta1), c1 = f(1 - o.beta1), b2 = f(o.beta2), c2 = f(1 - o.beta2), eps = f(o.eps);
  const stepSize = f(o.lr / (1 - o.beta1 ** step));
  const inv = f(1 / Math.sqrt(1 - o.beta2 ** step));
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = f(f(b1 * m[i]!) + f(c1 * gi));
    const vi = f(f(b2 * v[i]!) + f(f(c2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(p[i]! - f(f(stepSize * mi) / f(f(f(Math.sqrt(vi)) * inv) + eps)));
  }
}

describe('Adam on plain arrays (the onnxruntime engines)', () => {
  it('equals float32 Adam written as a plain loop, bit for bit, across chunk boundaries and ragged ends', () => {
    const random = seededRandom(3);
    const o = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    for (const n of [1, 3, 4, 5, 16383, 16384, 16389, 2 * 16384 + 3]) {
      const p = Float32Array.from({ length: n }, () => (random() - 0.5) * 0.2);
      const m = new Float32Array(n), v = new Float32Array(n);
      const q = p.slice(), mq = m.slice(), vq = v.slice();
      for (let step = 1; step <= 3; step++) {
        // some gradients exactly 0 (a weight the batch did not reach), some large
        const g = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : (random() - 0.5) * (i % 7 === 0 ? 10 : 1e-3)));
        adamUpdateArray(p, g, m, v, step, o);
        plainAdam(q, g, mq, vq, step, o);
      }
      for (const [got, want, what] of [[p, q, 'p'], [m, mq, 'm'], [v, vq, 'v']] as const)
        expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(want.buffer)), `${what}, n = ${n}`).toBe(0);
    }
  });

  it('moves a parameter against its gradient by about lr on the first step', () => {
    const p = Float32Array.of(1, 1, 1), g = Float32Array.of(0.5, -2, 0), m = new Float32Array(3), v = new Float32Array(3);
    adamUpdateArray(p, g, m, v, 1, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(p[0]).toBeCloseTo(0.99, 6);
    expect(p[1]).toBeCloseTo(1.01, 6);
    expect(p[2]).toBe(1);
  });
});
