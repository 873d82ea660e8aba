import { describe, expect, it } from 'vitest';
import { binarize, dice, formatMeanStd, iou, overlap, scorePair, summarize, summarizeScores } from '../../src/main/metrics/metrics';

const m = (...bits: number[]) => Uint8Array.from(bits);

describe('IoU and Dice', () => {
  it('match hand-computed values', () => {
    const a = m(1, 1, 1, 0, 0, 0);
    const b = m(0, 1, 1, 1, 0, 0);
    // |A∩B| = 2, |A| = 3, |B| = 3, |A∪B| = 4
    expect(iou(a, b)).toBeCloseTo(2 / 4, 12);
    expect(dice(a, b)).toBeCloseTo(4 / 6, 12);
    expect(overlap(a, b)).toEqual({ intersection: 2, predicted: 3, truth: 3 });
  });

  it('treat any non-zero byte as foreground', () => {
    expect(iou(m(255, 0), m(1, 0))).toBe(1);
  });

  it('define empty vs empty as 1 and empty vs non-empty as 0', () => {
    expect(iou(m(0, 0, 0), m(0, 0, 0))).toBe(1);
    expect(dice(m(0, 0, 0), m(0, 0, 0))).toBe(1);
    expect(iou(m(0, 0, 0), m(0, 1, 0))).toBe(0);
    expect(dice(m(1, 0, 0), m(0, 0, 0))).toBe(0);
  });

  it('are 1 for identical masks and 0 for disjoint ones', () => {
    expect(scorePair(m(1, 0, 1), m(1, 0, 1))).toEqual({ iou: 1, dice: 1 });
    expect(scorePair(m(1, 0, 0), m(0, 1, 0))).toEqual({ iou: 0, dice: 0 });
  });

  it('keep Dice = 2·IoU/(1+IoU)', () => {
    const a = m(1, 1, 0, 1, 0, 1, 1, 0);
    const b = m(1, 0, 0, 1, 1, 1, 0, 0);
    const j = iou(a, b);
    expect(dice(a, b)).toBeCloseTo((2 * j) / (1 + j), 12);
  });

  it('refuse masks of different sizes', () => {
    expect(() => iou(m(1, 0), m(1))).toThrow(/sizes differ/);
  });

  it('binarize with a strict threshold', () => {
    expect(Array.from(binarize([0.2, 0.5, 0.51, 1]))).toEqual([0, 0, 1, 1]);
  });
});

describe('summaries', () => {
  it('report mean and sample std (n − 1)', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12); // numpy.std(ddof=1)
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
    expect(s.n).toBe(4);
  });

  it('give std 0 for one value and NaN for none', () => {
    expect(summarize([0.7]).std).toBe(0);
    expect(Number.isNaN(summarize([]).mean)).toBe(true);
  });

  it('summarise IoU and Dice together and format mean ± std', () => {
    const s = summarizeScores([
      { iou: 0.5, dice: 2 / 3 },
      { iou: 1, dice: 1 },
    ]);
    expect(s.n).toBe(2);
    expect(s.iou.mean).toBe(0.75);
    expect(formatMeanStd(s.iou)).toBe('0.750 ± 0.354');
  });
});
