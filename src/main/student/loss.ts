import { tf, type Tensor, type Tensor4D } from './tf';

/**
 * The paper's loss, λ·BCE + (1 − λ)·Dice on logits, with one channel per structure (a sigmoid each:
 * structures are scored independently, as the paper's binary setting is, once per structure):
 *   BCE  = mean over channels and pixels of  m·(max(z, 0) − z·y + log(1 + e^−|z|))   (stable BCE-with-logits)
 *   Dice = mean over channels of  1 − (2·Σ m·p·y + s) / (Σ m·p + Σ m·y + s),  p = σ(z), smoothing s = 1
 * per image (the soft Dice of the PyTorch reference), averaged over the batch. m is the per-pixel
 * weight: 0 on the ignore region, so what the student says there changes neither term; BCE still
 * divides by every pixel, which keeps a binary image without an ignore region exactly as before.
 */
export function bceDiceLoss(
  logits: Tensor4D,
  target: Tensor4D,
  lambda: number,
  smooth = 1,
  sampleWeights?: Float32Array,
  pixelWeights?: Tensor4D,
): Tensor {
  return tf.tidy(() => {
    // logits, target: [N, H, W, K]; pixelWeights: [N, H, W, 1]
    const z = logits;
    const p = tf.sigmoid(z);
    const pm = pixelWeights ? tf.mul(p, pixelWeights) : p;
    const ym = pixelWeights ? tf.mul(target, pixelWeights) : target;
    const inter = tf.sum(tf.mul(pm, target), [1, 2]);
    const denom = tf.add(tf.sum(pm, [1, 2]), tf.sum(ym, [1, 2]));
    const dice = tf.mean(tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), smooth), tf.add(denom, smooth))), 1);
    const bceElem = tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    const bceW = pixelWeights ? tf.mul(bceElem, pixelWeights) : bceElem;
    if (!sampleWeights) {
      const bce = tf.mean(bceW);
      return tf.add(tf.mul(bce, lambda), tf.mul(tf.mean(dice), 1 - lambda));
    }
    // Knowledge mining: each image's loss scaled by its weight (pseudo-labels down-weighted), the
    // sum divided by the batch size, so all-ones weights give exactly the unweighted loss.
    const bcePerImage = tf.mean(bceW, [1, 2, 3]);
    const perImage = tf.add(tf.mul(bcePerImage, lambda), tf.mul(dice, 1 - lambda));
    return tf.div(tf.sum(tf.mul(perImage, tf.tensor1d(sampleWeights))), sampleWeights.length);
  });
}

/**
 * The same loss on plain arrays (float64 arithmetic), equal sample weights: what validation
 * reports, whichever engine produced the logits. logits and target are channel planes [N, K, H, W]
 * (0/1 targets); pixelWeights [N, H, W] (absent: all 1).
 */
export function bceDiceFromLogits(
  logits: Float32Array,
  target: Float32Array,
  n: number,
  lambda: number,
  smooth = 1,
  channels = 1,
  pixelWeights?: Float32Array,
): number {
  const hw = logits.length / n / channels;
  let total = 0;
  for (let b = 0; b < n; b++) {
    let bce = 0;
    let dice = 0;
    for (let k = 0; k < channels; k++) {
      let inter = 0;
      let ps = 0;
      let ts = 0;
      const base = (b * channels + k) * hw;
      for (let i = 0; i < hw; i++) {
        const m = pixelWeights ? pixelWeights[b * hw + i]! : 1;
        const z = logits[base + i]!;
        const y = target[base + i]!;
        bce += m * (Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z))));
        const p = 1 / (1 + Math.exp(-z));
        inter += m * p * y;
        ps += m * p;
        ts += m * y;
      }
      dice += 1 - (2 * inter + smooth) / (ps + ts + smooth);
    }
    total += lambda * (bce / (hw * channels)) + (1 - lambda) * (dice / channels);
  }
  return total / n;
}
