import { describe, expect, it } from 'vitest';
import { DEFAULT_SPLIT_FORM, parseSplitForm, SUBSET_WORDS } from './split-form';
import { clickSelect, EMPTY_SELECTION, keepShown } from './selection';

describe('split form', () => {
  it('reads percentages as fractions', () => {
    expect(parseSplitForm({ labeledPercent: '75', valPercent: '10', testPercent: '10', seed: '3' })).toEqual({
      ok: true,
      value: { labeled: 0.75, val: 0.1, test: 0.1, seed: 3 },
    });
    expect(parseSplitForm(DEFAULT_SPLIT_FORM).ok).toBe(true);
  });

  it('says what is wrong in the form’s words', () => {
    expect(parseSplitForm({ ...DEFAULT_SPLIT_FORM, labeledPercent: '150' })).toEqual({ ok: false, error: 'Labeled must be a percentage from 0 to 100' });
    expect(parseSplitForm({ ...DEFAULT_SPLIT_FORM, valPercent: '' })).toMatchObject({ ok: false, error: /Validation/ });
    expect(parseSplitForm({ ...DEFAULT_SPLIT_FORM, seed: '1.5' })).toEqual({ ok: false, error: 'Seed must be a whole number' });
    expect(parseSplitForm({ ...DEFAULT_SPLIT_FORM, seed: '' })).toMatchObject({ ok: false });
    expect(parseSplitForm({ ...DEFAULT_SPLIT_FORM, valPercent: '60', testPercent: '40' })).toMatchObject({ ok: false, error: /leave images for training/ });
  });

  it('never calls validation or test "labeled"', () => {
    expect(SUBSET_WORDS.val).not.toMatch(/labeled/);
    expect(SUBSET_WORDS.test).not.toMatch(/labeled/);
  });
});

describe('multi-select', () => {
  const shown = [5, 6, 7, 8, 9];
  it('a click selects one, Ctrl-click toggles, Shift-click takes the range from the anchor', () => {
    let s = clickSelect(EMPTY_SELECTION, 6, shown, { toggle: false, range: false });
    expect([...s.ids]).toEqual([6]);
    s = clickSelect(s, 8, shown, { toggle: false, range: true });
    expect([...s.ids].sort()).toEqual([6, 7, 8]);
    s = clickSelect(s, 7, shown, { toggle: true, range: false });
    expect([...s.ids].sort()).toEqual([6, 8]);
    s = clickSelect(s, 9, shown, { toggle: false, range: false });
    expect([...s.ids]).toEqual([9]);
    s = clickSelect(s, 5, shown, { toggle: true, range: true });
    expect([...s.ids].sort()).toEqual([5, 6, 7, 8, 9]);
  });

  it('drops images a filter hid', () => {
    const s = clickSelect(clickSelect(EMPTY_SELECTION, 5, shown, { toggle: false, range: false }), 9, shown, { toggle: false, range: true });
    expect([...keepShown(s, [5, 6]).ids].sort()).toEqual([5, 6]);
    expect(keepShown(s, [6]).anchor).toBeNull();
  });
});
