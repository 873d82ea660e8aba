import { initStudentBackend } from './src/main/student/backend';
import { bceDiceLoss } from './src/main/student/loss';
import { tf } from './src/main/student/tf';
import { forward, initWeights, TINY_UNETPP, UnetWeights } from './src/main/student/unetpp';
import { seededRandom } from './src/main/util/random';
function rand(n: number, seed: number, scale = 1) { const r = seededRandom(seed); const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale; return a; }
await initStudentBackend({ prefer: 'cpu' });
const size = 32;
const input = rand(2 * size * size * 3, 21);
const target = Float32Array.from(rand(2 * size * size, 22), (v) => (v > 0.3 ? 1 : 0));
const arrays = initWeights(TINY_UNETPP, 5);
function lossWith(arr: Map<string, Float32Array>, withGrads: boolean) {
  const w = new UnetWeights(TINY_UNETPP, arr);
  const r = tf.tidy(() => {
    const x = tf.tensor4d(input, [2, size, size, 3]); const y = tf.tensor4d(target, [2, size, size, 1]);
    if (!withGrads) return { loss: bceDiceLoss(forward(w, x, { training: true }), y, 0.5).dataSync()[0]!, grads: null };
    const { value, grads } = tf.variableGrads(() => bceDiceLoss(forward(w, x, { training: true }), y, 0.5) as any, w.trainableList());
    const out = new Map<string, Float32Array>();
    for (const s of w.specs) if (s.trainable) out.set(s.name, grads[w.vars.get(s.name)!.name]!.dataSync() as Float32Array);
    return { loss: value.dataSync()[0]!, grads: out };
  });
  w.dispose(); return r;
}
const { loss, grads } = lossWith(arrays, true);
console.log('loss', loss);
let k = 1;
for (const [name, g] of grads!) {
  const d = rand(g.length, k++);
  let dot = 0; for (let i = 0; i < g.length; i++) dot += g[i]! * d[i]!;
  const eps = 1e-3;
  const at = (e: number) => { const m = new Map(arrays); m.set(name, Float32Array.from(arrays.get(name)!, (v, i) => v + e * d[i]!)); return lossWith(m, false).loss; };
  const fd = (at(eps) - at(-eps)) / (2 * eps);
  if (Math.abs(fd - dot) > 0.05 * Math.abs(dot) + 1e-4) console.log(name, 'dot', dot.toExponential(3), 'fd', fd.toExponential(3));
}
