import { beforeAll, describe, expect, it } from 'vitest';
import { initStudentBackend } from '../../src/main/student/backend';
import { tf, type Tensor4D } from '../../src/main/student/tf';
import {
  bnOf,
  countParams,
  FoldedUnet,
  forward,
  forwardFolded,
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
    const a = initWeights(TINY_UNETPP, 3);
    const b = initWeights(TINY_UNETPP, 3);
    const c = initWeights(TINY_UNETPP, 4);
    expect(a.get('encoder.conv1.weight')).toEqual(b.get('encoder.conv1.weight'));
    expect(a.get('encoder.conv1.weight')).not.toEqual(c.get('encoder.conv1.weight'));
    const w = a.get('decoder.nodes.x_0_0.conv1.0.weight')!;
    const fanIn = 9 * paramSpecs(TINY_UNETPP).find((s) => s.name === 'decoder.nodes.x_0_0.conv1.0.weight')!.shape[2]!;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.8 * Math.sqrt(2 / fanIn));
    expect(std).toBeLessThan(1.2 * Math.sqrt(2 / fanIn));
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
    const arrays = initWeights(TINY_UNETPP, 2);
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
