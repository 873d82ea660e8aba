import { beforeAll, describe, expect, it } from 'vitest';
import { initStudentBackend } from '../../src/main/student/backend';
import { tf, type Tensor4D } from '../../src/main/student/tf';
import {
  bnOf,
  countParams,
  FoldedUnet,
  forward,
  forwardFolded,
  DEFAULT_INIT_SCHEME,
  initWeights,
  paramSpecs,
  RESNET34_UNETPP,
  TINY_UNETPP,
  unetConfig,
  UnetWeights,
} from '../../src/main/student/unetpp';

beforeAll(async () => {
  await initStudentBackend({ prefer: 'wasm' });
});

describe('U-Net++ / ResNet34 layout', () => {
  it('has the 26,078,609 parameters of segmentation_models_pytorch UnetPlusPlus defaults', () => {
    const { trainable } = countParams(RESNET34_UNETPP);
    expect(Math.abs(trainable - 26_078_609) / 26_078_609).toBeLessThan(0.005);
    expect(trainable).toBe(26_078_609);
  });

  it('names every conv weight after its BN, as the PyTorch state_dict does', () => {
    const names = new Set(paramSpecs(RESNET34_UNETPP).map((s) => s.name));
    for (const s of paramSpecs(RESNET34_UNETPP)) {
      if (s.kind !== 'conv' || s.name === 'head.weight') continue;
      expect(names.has(`${bnOf(s.name)}.running_var`)).toBe(true);
    }
    expect(names.has('encoder.layer3.5.conv2.weight')).toBe(true);
    expect(names.has('decoder.nodes.x_2_3.conv1.0.weight')).toBe(true);
    expect(names.has('decoder.nodes.x_0_4.conv2.1.running_mean')).toBe(true);
  });

  it('is configurable in width and depth', () => {
    const cfg = unetConfig({ width: 16, blocks: [1, 2, 1, 1], decoder: [64, 32, 16, 8, 8] });
    expect(cfg.encoderChannels).toEqual([16, 16, 32, 64, 128]);
    expect(paramSpecs(cfg).some((s) => s.name === 'encoder.layer2.1.conv1.weight')).toBe(true);
    expect(countParams(cfg).trainable).toBeLessThan(countParams(RESNET34_UNETPP).trainable / 20);
    expect(() => unetConfig({ blocks: [1, 2] })).toThrow(/four/);
  });

  it('draws the same initial weights from the same seed (He normal, fan-in)', () => {
    const a = initWeights(TINY_UNETPP, 3, 'he');
    const b = initWeights(TINY_UNETPP, 3, 'he');
    const c = initWeights(TINY_UNETPP, 4, 'he');
    expect(a.get('encoder.conv1.weight')).toEqual(b.get('encoder.conv1.weight'));
    expect(a.get('encoder.conv1.weight')).not.toEqual(c.get('encoder.conv1.weight'));
    const w = a.get('decoder.nodes.x_0_0.conv1.0.weight')!;
    const fanIn = 9 * paramSpecs(TINY_UNETPP).find((s) => s.name === 'decoder.nodes.x_0_0.conv1.0.weight')!.shape[2]!;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.8 * Math.sqrt(2 / fanIn));
    expect(std).toBeLessThan(1.2 * Math.sqrt(2 / fanIn));
  });

  it('draws each part as PyTorch, segmentation_models_pytorch or He would', () => {
    const cfg = unetConfig({ width: 16, blocks: [1, 1, 1, 1], decoder: [64, 32, 16, 16, 16] });
    const specs = new Map(paramSpecs(cfg).map((s) => [s.name, s.shape]));
    const stats = (a: Float32Array) => ({ std: Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length), max: a.reduce((m, v) => Math.max(m, Math.abs(v)), 0) });
    const fans = (name: string) => {
      const [kh, kw, cin, cout] = specs.get(name)!;
      return { fanIn: kh! * kw! * cin!, fanOut: kh! * kw! * cout! };
    };
    const enc = 'encoder.layer2.0.conv1.weight'; // cin 16 → cout 32: fan-in and fan-out differ
    const dec = 'decoder.nodes.x_0_1.conv1.0.weight';
    const near = (got: number, want: number) => {
      expect(got).toBeGreaterThan(0.9 * want);
      expect(got).toBeLessThan(1.1 * want);
    };

    const pt = initWeights(cfg, 7, 'pytorch');
    near(stats(pt.get(enc)!).std, Math.sqrt(2 / fans(enc).fanOut));
    const decPt = stats(pt.get(dec)!);
    expect(decPt.max).toBeLessThanOrEqual(1 / Math.sqrt(fans(dec).fanIn));
    near(decPt.std, 1 / Math.sqrt(3 * fans(dec).fanIn));
    const headBound = 1 / Math.sqrt(fans('head.weight').fanIn);
    expect(stats(pt.get('head.weight')!).max).toBeLessThanOrEqual(headBound);
    expect(pt.get('head.bias')![0]).not.toBe(0);
    expect(Math.abs(pt.get('head.bias')![0]!)).toBeLessThanOrEqual(headBound);

    const smp = initWeights(cfg, 7, 'smp');
    near(stats(smp.get(enc)!).std, Math.sqrt(2 / fans(enc).fanOut));
    near(stats(smp.get(dec)!).std, Math.sqrt(2 / fans(dec).fanIn));
    expect(stats(smp.get(dec)!).max).toBeLessThanOrEqual(Math.sqrt(6 / fans(dec).fanIn));
    const h = fans('head.weight');
    expect(stats(smp.get('head.weight')!).max).toBeLessThanOrEqual(Math.sqrt(6 / (h.fanIn + h.fanOut)));
    expect(smp.get('head.bias')![0]).toBe(0);

    const he = initWeights(cfg, 7, 'he');
    near(stats(he.get(enc)!).std, Math.sqrt(2 / fans(enc).fanIn));
    near(stats(he.get(dec)!).std, Math.sqrt(2 / fans(dec).fanIn));
    expect(he.get('head.bias')![0]).toBe(0);

    for (const w of [pt, smp, he]) {
      expect([...w.get('encoder.bn1.weight')!].every((v) => v === 1)).toBe(true);
      expect([...w.get('encoder.bn1.running_var')!].every((v) => v === 1)).toBe(true);
    }
    expect(initWeights(cfg, 7)).toEqual(initWeights(cfg, 7, DEFAULT_INIT_SCHEME));
  });
});

describe('forward', () => {
  it('default model: output = input size at 128 and 224 (batch 1), finite logits', () => {
    const w = new UnetWeights(RESNET34_UNETPP, initWeights(RESNET34_UNETPP, 1));
    try {
      for (const size of [128, 224]) {
        const out = tf.tidy(() => {
          const y = forward(w, tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1) as Tensor4D, { training: false });
          return { shape: y.shape, finite: tf.all(tf.isFinite(y)).dataSync()[0] };
        });
        expect(out.shape).toEqual([1, size, size, 1]);
        expect(out.finite).toBe(1);
      }
    } finally {
      w.dispose();
    }
    expect(tf.memory().numTensors).toBeLessThan(50);
  }, 120_000);

  it('folded conv+BN inference equals eval-mode forward (non-trivial BN statistics)', () => {
    const arrays = initWeights(TINY_UNETPP, 2, 'he'); // He keeps the logits large enough for a relative check
    for (const s of paramSpecs(TINY_UNETPP)) {
      const a = arrays.get(s.name)!;
      if (s.kind === 'bn_mean') a.forEach((_, i) => (a[i] = 0.1 * Math.sin(i)));
      if (s.kind === 'bn_var') a.forEach((_, i) => (a[i] = 1 + 0.2 * Math.cos(i)));
      if (s.kind === 'bn_weight') a.forEach((_, i) => (a[i] = 1 + 0.2 * Math.sin(3 * i)));
    }
    const live = new UnetWeights(TINY_UNETPP, arrays);
    const folded = new FoldedUnet(TINY_UNETPP, arrays);
    try {
      const [a, b] = tf.tidy(() => {
        const x = tf.randomNormal([2, 64, 96, 3], 0, 1, 'float32', 7) as Tensor4D;
        return [forward(live, x, { training: false }).dataSync(), forwardFolded(folded, x).dataSync()];
      });
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < a!.length; i++) {
        worst = Math.max(worst, Math.abs(a![i]! - b![i]!));
        scale = Math.max(scale, Math.abs(a![i]!));
      }
      expect(scale).toBeGreaterThan(0.1);
      expect(worst / scale).toBeLessThan(1e-5);
    } finally {
      live.dispose();
      folded.dispose();
    }
  });

  it('refuses inputs that are not multiples of 32', () => {
    const w = new UnetWeights(TINY_UNETPP, initWeights(TINY_UNETPP, 1));
    try {
      expect(() => tf.tidy(() => forward(w, tf.zeros([1, 48, 64, 3]) as Tensor4D, { training: false }))).toThrow(/multiples of 32/);
    } finally {
      w.dispose();
    }
  });
});
