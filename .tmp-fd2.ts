import { initStudentBackend } from './src/main/student/backend';
import { bceDiceLoss } from './src/main/student/loss';
import { tf } from './src/main/student/tf';
import { forward, initWeights, TINY_UNETPP, UnetWeights } from './src/main/student/unetpp';
import { seededRandom } from './src/main/util/random';
function rand(n: number, seed: number, scale = 1) { const r = seededRandom(seed); const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale; return a; }
await initStudentBackend({ prefer: 'cpu' });
for (const [size, B] of [[64, 4], [96, 2]]) {
const input = rand(B * size * size * 3, 21);
const target = Float32Array.from(rand(B * size * size, 22), (v) => (v > 0.3 ? 1 : 0));
const arrays = initWeights(TINY_UNETPP, 5);
function lossWith(arr: Map<string, Float32Array>, withGrads: boolean) {
  const w = new UnetWeights(TINY_UNETPP, arr);
  const r = tf.tidy(() => {
    const x = tf.tensor4d(input, [B, size, size, 3]); const y = tf.tensor4d(target, [B, size, size, 1]);
    if (!withGrads) return { loss: bceDiceLoss(forward(w, x, { training: true }), y, 0.5).dataSync()[0]!, grads: null };
    const { value, grads } = tf.variableGrads(() => bceDiceLoss(forward(w, x, { training: true }), y, 0.5) as any, w.trainableList());
    const out = new Map<string, Float32Array>();
    for (const s of w.specs) if (s.trainable) out.set(s.name, grads[w.vars.get(s.name)!.name]!.dataSync() as Float32Array);
    return { loss: value.dataSync()[0]!, grads: out };
  });
  w.dispose(); return r;
}
const { grads } = lossWith(arrays, true);
let k = 100; const dir = new Map(); let dot = 0;
for (const [name, g] of grads!) { const d = rand(g.length, k++); dir.set(name, d); for (let i = 0; i < g.length; i++) dot += g[i]! * d[i]!; }
for (const eps of [1e-2, 3e-3, 1e-3, 3e-4]) {
  const at = (e: number) => { const m = new Map(arrays); for (const [name, d] of dir) m.set(name, Float32Array.from(arrays.get(name)!, (v, i) => v + e * d[i]!)); return lossWith(m, false).loss; };
  const fd = (at(eps) - at(-eps)) / (2 * eps);
  console.log(size, B, eps, 'dot', dot, 'fd', fd, 'rel', Math.abs(fd-dot)/Math.abs(dot));
}
}
