import { describe, expect, it } from 'vitest';
import { AGE_PALETTE, COLOURS } from './colour';
import { LayerStyles, stylePref } from './layer-styles';

describe('layer styles', () => {
  it('colours versions by age and the truth and the student by meaning', () => {
    const s = new LayerStyles();
    expect(stylePref(0)).toBe('latest');
    expect(stylePref(2)).toBe('older2');
    expect(s.styleFor('latest', true)).toEqual({ colour: AGE_PALETTE[0], opacity: 0.4, visible: true });
    expect(s.styleFor('older2', false).colour).toBe(AGE_PALETTE[2]);
    expect(s.styleFor(stylePref(AGE_PALETTE.length + 1), false).colour).toBe(AGE_PALETTE[1]);
    expect(s.styleFor('truth', false)).toEqual({ colour: COLOURS.truth, opacity: 0.45, visible: false });
    expect(s.styleFor('student', true).colour).toBe(COLOURS.student);
  });

  it('remembers colour and opacity for the next image, never visibility', () => {
    const s = new LayerStyles();
    s.remember('latest', { colour: '#123456', opacity: 0.8, visible: false });
    expect(s.styleFor('latest', true)).toEqual({ colour: '#123456', opacity: 0.8, visible: true });
    expect(s.styleFor('older1', true).colour).toBe(AGE_PALETTE[1]);
  });
});
