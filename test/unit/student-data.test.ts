import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/main/student/adam';
import { initStudentBackend } from '../../src/main/student/backend';
import { decodeCheckpoint, decodeWeights, encodeCheckpoint, encodeWeights } from '../../src/main/student/checkpoint';
import { applyGeometric, DEFAULT_AUGMENT, drawAugment, normalizeInto, type Geometric } from '../../src/main/student/data';
import { bceDiceLoss } from '../../src/main/student/loss';
import { centreSquare, wholeImage } from '../../src/main/imaging/geometry/frames';
import { resample } from '../../src/main/imaging/geometry/resample';
import { tf, type Tensor, type Tensor4D, type Variable } from '../../src/main/student/tf';
import { initWeights, TINY_UNETPP } from '../../src/main/student/unetpp';
import { seededRandom } from '../../src/main/util/random';

describe('resampling', () => {
  it('keeps a constant image constant, down (area) and up (bilinear)', () => {
    const src = new Uint8Array(37 * 23 * 3).fill(200);
    const down = resample(src, 37, 23, 3, centreSquare(37, 23), 8, 8);
    const up = resample(src, 37, 23, 3, wholeImage(37, 23), 80, 50);
    expect(Math.max(...down.map((v) => Math.abs(v - 200)))).toBeLessThan(1e-3);
    expect(Math.max(...up.map((v) => Math.abs(v - 200)))).toBeLessThan(1e-3);
  });

  it('averages exact areas when shrinking by an integer factor', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i); // 4×4, one channel
    const out = resample(src, 4, 4, 1, wholeImage(4, 4), 2, 2);
    expect(Array.from(out)).toEqual([(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
  });

  it('crops the centred square of the short side', () => {
    expect(centreSquare(100, 60)).toEqual({ x: 20, y: 0, width: 60, height: 60 });
    expect(centreSquare(50, 80)).toEqual({ x: 0, y: 15, width: 50, height: 50 });
  });
});

describe('augmentation (dihedral group, same for image and mask)', () => {
  const n = 5;
  const img = Uint8Array.from({ length: n * n * 3 }, (_, i) => (i * 7) % 251);
  const mask = Uint8Array.from({ length: n * n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const id: Geometric = { hflip: false, vflip: false, quarterTurns: 0, transpose: false };

  it('moves image pixels and mask pixels the same way', () => {
    const random = seededRandom(5);
    for (let k = 0; k < 20; k++) {
      const g = drawAugment(DEFAULT_AUGMENT, random);
      const gi = applyGeometric(img, n, 3, g);
      const gm = applyGeometric(mask, n, 1, g);
      // tag each pixel by its mask bit in the red channel: the pairing must survive
      const tagged = Uint8Array.from(img);
      for (let p = 0; p < n * n; p++) tagged[p * 3] = mask[p]! * 100 + (p % 100);
      const gt = applyGeometric(tagged, n, 3, g);
      for (let p = 0; p < n * n; p++) expect(Math.floor(gt[p * 3]! / 100)).toBe(gm[p]);
      expect(gi.length).toBe(img.length);
    }
  });

  it('has the group laws: four quarter turns, two transposes, two flips are the identity', () => {
    let x: Uint8Array = img;
    for (let k = 0; k < 4; k++) x = applyGeometric(x, n, 3, { ...id, quarterTurns: 1 });
    expect(x).toEqual(img);
    expect(applyGeometric(applyGeometric(img, n, 3, { ...id, transpose: true }), n, 3, { ...id, transpose: true })).toEqual(img);
    expect(applyGeometric(applyGeometric(img, n, 3, { ...id, hflip: true }), n, 3, { ...id, hflip: true })).toEqual(img);
    // a quarter turn is a transpose followed by a vertical flip (CCW)
    const turn = applyGeometric(img, n, 1 * 3, { ...id, quarterTurns: 1 });
    const tv = applyGeometric(applyGeometric(img, n, 3, { ...id, transpose: true }), n, 3, { ...id, vflip: true });
    expect(turn).toEqual(tv);
  });

  it('draws each transform with its probability, rotations as multiples of 90°', () => {
    const random = seededRandom(11);
    const counts = { h: 0, v: 0, r: 0, t: 0, turns: new Set<number>() };
    const N = 4000;
    for (let k = 0; k < N; k++) {
      const g = drawAugment(DEFAULT_AUGMENT, random);
      counts.h += +g.hflip;
      counts.v += +g.vflip;
      counts.r += +(g.quarterTurns > 0);
      counts.t += +g.transpose;
      counts.turns.add(g.quarterTurns);
    }
    for (const c of [counts.h, counts.v, counts.r, counts.t]) expect(Math.abs(c / N - 0.5)).toBeLessThan(0.03);
    expect(counts.turns).toEqual(new Set([0, 1, 2, 3]));
  });

  it('normalises with ImageNet mean and std', () => {
    const out = new Float32Array(3);
    normalizeInto(Uint8Array.from([124, 116, 104]), out, 0);
    expect(out[0]).toBeCloseTo((124 / 255 - 0.485) / 0.229, 5);
    expect(out[2]).toBeCloseTo((104 / 255 - 0.406) / 0.225, 5);
  });
});

describe('loss', () => {
  it('is λ·BCE + (1−λ)·soft Dice', async () => {
    await initStudentBackend({ prefer: 'cpu' });
    const z = [2, -1, 0.5, -3];
    const y = [1, 0, 1, 1];
    const p = z.map((v) => 1 / (1 + Math.exp(-v)));
    const bce = z.reduce((s, v, i) => s - (y[i]! * Math.log(p[i]!) + (1 - y[i]!) * Math.log(1 - p[i]!)), 0) / 4;
    const inter = p.reduce((s, v, i) => s + v * y[i]!, 0);
    const dice = 1 - (2 * inter + 1) / (p.reduce((a, b) => a + b) + 3 + 1);
    const got = tf.tidy(() => bceDiceLoss(tf.tensor4d(z, [1, 2, 2, 1]) as Tensor4D, tf.tensor4d(y, [1, 2, 2, 1]) as Tensor4D, 0.3).dataSync()[0]!);
    expect(got).toBeCloseTo(0.3 * bce + 0.7 * dice, 5);
  });
});

describe('Adam', () => {
  it('takes the PyTorch Adam step', async () => {
    await initStudentBackend({ prefer: 'cpu' });
    const p = tf.variable(tf.tensor1d([1, -2]));
    const adam = new Adam(0.1);
    const g = tf.tensor1d([0.5, -0.25]);
    const params = new Map<string, Variable>([['p', p]]);
    adam.apply(params, new Map<string, Tensor>([['p', g]]));
    adam.apply(params, new Map<string, Tensor>([['p', g]]));
    // constant gradient: m̂ = g, v̂ = g², step = lr·g/(|g| + ε) = lr·sign(g) per step
    const v = p.dataSync();
    expect(v[0]).toBeCloseTo(1 - 0.2, 5);
    expect(v[1]).toBeCloseTo(-2 + 0.2, 5);
    expect(adam.state().step).toBe(2);
    adam.dispose();
    p.dispose();
    g.dispose();
  });
});

describe('weights and checkpoint files', () => {
  const weights = initWeights(TINY_UNETPP, 9);

  it('round-trip weights, and refuse a model of another shape', () => {
    const bytes = encodeWeights(TINY_UNETPP, weights, { note: 'x' });
    const back = decodeWeights(bytes);
    expect(back.config).toEqual(TINY_UNETPP);
    for (const [k, v] of weights) expect(back.weights.get(k)).toEqual(v);
    expect(() => decodeWeights(bytes, { ...TINY_UNETPP, encoderChannels: [16, 16, 32, 64, 128] })).toThrow(/in the file, the model needs/);
    expect(() => decodeWeights(Buffer.from('not a weights file at all'))).toThrow(/bad magic/);
  });

  it('round-trip a checkpoint with Adam state and training state', () => {
    const m = new Map([['head.bias', Float32Array.from([0.5])]]);
    const v = new Map([['head.bias', Float32Array.from([0.25])]]);
    const state = {
      epoch: 3,
      lr: 2.5e-5,
      rng: { seed: 1, nextEpoch: 4 },
      plateau: { best: 0.4, badEpochs: 1 },
      best: { epoch: 2, valLoss: 0.4, valDice: 0.7, valIou: 0.6, blob: null },
      epochsWithoutImprovement: 1,
    };
    const ck = decodeCheckpoint(encodeCheckpoint(TINY_UNETPP, weights, { step: 12, m, v }, state));
    expect(ck.state).toEqual(state);
    expect(ck.adam.step).toBe(12);
    expect(ck.adam.m.get('head.bias')).toEqual(Float32Array.from([0.5]));
    expect(ck.weights.get('encoder.conv1.weight')).toEqual(weights.get('encoder.conv1.weight'));
    // a checkpoint is also a weights file
    expect(decodeWeights(encodeCheckpoint(TINY_UNETPP, weights, { step: 0, m: new Map(), v: new Map() }, state)).weights.size).toBe(weights.size);
  });
});
