import { describe, expect, it } from 'vitest';
import { DEFAULT_TERM, TERMS } from '../../../shared/label-codes';
import { OTHER_TERM, termChoices, termKey, withTerm } from './label-terms';

describe('a structure’s codes in the schema editor', () => {
  it('offers every picklist term by its meaning and recognises a structure coded with one', () => {
    const choices = termChoices();
    expect(choices).toHaveLength(TERMS.length);
    expect(choices.map((c) => c.label)).toContain('Liver (Anatomical Structure)');
    expect(termKey(DEFAULT_TERM)).toBe(choices[0]!.key);
  });

  it('picking a term sets both codes; typed-in codes are "other" and kept when other is chosen', () => {
    const liver = choices('Liver');
    const s = withTerm({ name: 'x', ...DEFAULT_TERM }, liver);
    expect(s.type).toEqual({ value: '10200004', scheme: 'SCT', meaning: 'Liver' });
    expect(s.category.meaning).toBe('Anatomical Structure');
    const typed = { ...s, type: { value: 'T-1234', scheme: '99LOCAL', meaning: 'Stent' } };
    expect(termKey(typed)).toBe(OTHER_TERM);
    expect(withTerm(typed, OTHER_TERM)).toEqual(typed);
  });
});

function choices(meaning: string): string {
  return termChoices().find((c) => c.label.startsWith(`${meaning} (`))!.key;
}
