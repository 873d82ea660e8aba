import { describe, expect, it } from 'vitest';
import { encodeCompactMask } from '../../../shared/compact-mask';
import { maskAlpha } from './sam-overlay';

describe('SAM proposal from a compact mask', () => {
  it('becomes the label alpha pixel for pixel (255 on, 0 off)', () => {
    const w = 37, h = 23;
    const m = Uint8Array.from({ length: w * h }, (_, i) => ((i % w) - 18) ** 2 + (Math.floor(i / w) - 11) ** 2 < 60 ? 1 : 0);
    const alpha = maskAlpha(encodeCompactMask(m, w, h));
    expect(Array.from(alpha)).toEqual(Array.from(m, (v) => v * 255));
  });
});
