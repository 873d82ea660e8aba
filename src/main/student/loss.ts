import { tf, type Tensor, type Tensor4D } from './tf';

/**
 * The paper's loss: λ·BCE + (1 − λ)·Dice, on logits.
 *   BCE  = mean over pixels of  max(z, 0) − z·y + log(1 + e^−|z|)   (stable BCE-with-logits)
 *   Dice = mean over images of  1 − (2·Σ p·y + s) / (Σ p + Σ y + s),  p = σ(z), smoothing s = 1
 * (the soft Dice of the PyTorch reference, computed per image and averaged over the batch).
 */
export function bceDiceLoss(logits: Tensor4D, target: Tensor4D, lambda: number, smooth = 1, sampleWeights?: Float32Array): Tensor {
  return tf.tidy(() => {
    const z = logits;
    const p = tf.sigmoid(z);
    const inter = tf.sum(tf.mul(p, target), [1, 2, 3]);
    const denom = tf.add(tf.sum(p, [1, 2, 3]), tf.sum(target, [1, 2, 3]));
    const dice = tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), smooth), tf.add(denom, smooth)));
    if (!sampleWeights) {
      const bce = tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
      return tf.add(tf.mul(bce, lambda), tf.mul(tf.mean(dice), 1 - lambda));
    }
    // Knowledge mining: each image's loss scaled by its weight (pseudo-labels down-weighted), the
    // sum divided by the batch size, so all-ones weights give exactly the unweighted loss.
    const bcePerImage = tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))), [1, 2, 3]);
    const perImage = tf.add(tf.mul(bcePerImage, lambda), tf.mul(dice, 1 - lambda));
    return tf.div(tf.sum(tf.mul(perImage, tf.tensor1d(sampleWeights))), sampleWeights.length);
  });
}

/**
 * The same loss on plain arrays (float64 arithmetic), from logits NHW and 0/1 targets NHW, equal
 * weights: what validation reports, whichever engine produced the logits.
 */
export function bceDiceFromLogits(logits: Float32Array, target: Float32Array, n: number, lambda: number, smooth = 1): number {
  const hw = logits.length / n;
  let total = 0;
  for (let b = 0; b < n; b++) {
    let bce = 0;
    let inter = 0;
    let ps = 0;
    let ts = 0;
    for (let i = b * hw; i < (b + 1) * hw; i++) {
      const z = logits[i]!;
      const y = target[i]!;
      bce += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
      const p = 1 / (1 + Math.exp(-z));
      inter += p * y;
      ps += p;
      ts += y;
    }
    total += lambda * (bce / hw) + (1 - lambda) * (1 - (2 * inter + smooth) / (ps + ts + smooth));
  }
  return total / n;
}
