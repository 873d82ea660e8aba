/**
 * Segmentation metrics shared by the student trainer, inference, mining and the views.
 *
 * Masks are binary: one byte per pixel, 0 = background, anything non-zero = foreground (the
 * workspace stores 0/1). Conventions, stated once here and used everywhere:
 *   - IoU  = |A ∩ B| / |A ∪ B|,  Dice = 2|A ∩ B| / (|A| + |B|).
 *   - Both masks empty: IoU = Dice = 1 (the prediction is exactly right). One empty, one not: 0.
 *   - Summaries report the mean and the SAMPLE standard deviation (n − 1 in the denominator, as
 *     numpy.std(ddof=1) / pandas .std()); with a single value the std is 0.
 */

export interface Overlap {
  intersection: number;
  predicted: number; // |A|: foreground pixels in the prediction
  truth: number; // |B|: foreground pixels in the ground truth
}

export interface PairScores {
  iou: number;
  dice: number;
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 when n ≤ 1. */
  std: number;
  min: number;
  max: number;
}

export type BinaryMask = Uint8Array | Uint8ClampedArray;

/** Counts of predicted, true and shared foreground pixels. Masks must have the same length. */
export function overlap(pred: BinaryMask, truth: BinaryMask): Overlap {
  if (pred.length !== truth.length) throw new Error(`mask sizes differ: ${pred.length} vs ${truth.length} pixels`);
  let inter = 0;
  let p = 0;
  let t = 0;
  for (let i = 0; i < pred.length; i++) {
    const a = pred[i] !== 0 ? 1 : 0;
    const b = truth[i] !== 0 ? 1 : 0;
    p += a;
    t += b;
    inter += a & b;
  }
  return { intersection: inter, predicted: p, truth: t };
}

export function iouFromOverlap(o: Overlap): number {
  const union = o.predicted + o.truth - o.intersection;
  return union === 0 ? 1 : o.intersection / union;
}

export function diceFromOverlap(o: Overlap): number {
  const denom = o.predicted + o.truth;
  return denom === 0 ? 1 : (2 * o.intersection) / denom;
}

export function iou(pred: BinaryMask, truth: BinaryMask): number {
  return iouFromOverlap(overlap(pred, truth));
}

export function dice(pred: BinaryMask, truth: BinaryMask): number {
  return diceFromOverlap(overlap(pred, truth));
}

/** IoU and Dice of one image in a single pass. */
export function scorePair(pred: BinaryMask, truth: BinaryMask): PairScores {
  const o = overlap(pred, truth);
  return { iou: iouFromOverlap(o), dice: diceFromOverlap(o) };
}

/**
 * IoU and Dice of each structure of one image: `preds[c]` is channel c's binary mask, `truth` a
 * channel map (0 background, c + 1 for channel c, `ignore` excluded from every structure's counts).
 */
export function scoreStructures(preds: readonly BinaryMask[], truth: Uint8Array, ignore = 255): PairScores[] {
  return preds.map((pred, c) => {
    if (pred.length !== truth.length) throw new Error(`mask sizes differ: ${pred.length} vs ${truth.length} pixels`);
    let inter = 0;
    let p = 0;
    let t = 0;
    for (let i = 0; i < pred.length; i++) {
      if (truth[i] === ignore) continue;
      const a = pred[i] !== 0 ? 1 : 0;
      const b = truth[i] === c + 1 ? 1 : 0;
      p += a;
      t += b;
      inter += a & b;
    }
    const o = { intersection: inter, predicted: p, truth: t };
    return { iou: iouFromOverlap(o), dice: diceFromOverlap(o) };
  });
}

/** The score of a model with several structures: the plain mean of the structures' scores. */
export function meanOverStructures(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Thresholds a probability map (prob > threshold → 1), the rule every prediction uses. */
export function binarize(prob: ArrayLike<number>, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) out[i] = prob[i]! > threshold ? 1 : 0;
  return out;
}

/** Mean, sample std (n − 1), min and max. An empty list gives n = 0 and NaN statistics. */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { n, mean, std, min, max };
}

export interface SegmentationSummary {
  n: number;
  iou: Summary;
  dice: Summary;
}

/** Per-image scores summarised: what a run's result and an experiment's table report. */
export function summarizeScores(scores: readonly PairScores[]): SegmentationSummary {
  return {
    n: scores.length,
    iou: summarize(scores.map((s) => s.iou)),
    dice: summarize(scores.map((s) => s.dice)),
  };
}

/** "0.712 ± 0.081" — mean ± sample std, for logs and tables. */
export function formatMeanStd(s: Summary, digits = 3): string {
  if (s.n === 0) return 'n/a';
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}
