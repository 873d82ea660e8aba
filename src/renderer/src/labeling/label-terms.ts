import type { LabelStructure } from '../../../shared/contract';
import { TERMS, type CodedTerm } from '../../../shared/label-codes';

// The codes a structure carries, as the schema editor offers them: a term of the SNOMED CT
// picklist (category and type together), or any code typed in.

export const OTHER_TERM = 'other';

const keyOf = (t: CodedTerm): string => `${t.category.scheme}:${t.category.value}/${t.type.scheme}:${t.type.value}`;

export function termChoices(): { key: string; label: string }[] {
  return TERMS.map((t) => ({ key: keyOf(t), label: `${t.type.meaning} (${t.category.meaning})` }));
}

/** The picklist term a structure's codes are, or OTHER_TERM when they are typed-in codes. */
export function termKey(s: Pick<LabelStructure, 'category' | 'type'>): string {
  const key = keyOf(s);
  return TERMS.some((t) => keyOf(t) === key) ? key : OTHER_TERM;
}

/** The structure with a picklist term's codes; OTHER_TERM keeps its codes, to be typed over. */
export function withTerm<S extends Pick<LabelStructure, 'category' | 'type'>>(s: S, key: string): S {
  const term = TERMS.find((t) => keyOf(t) === key) ?? s;
  return { ...s, category: { ...term.category }, type: { ...term.type } };
}
