/**
 * Multi-select over the shown images, as file browsers do it: a click selects one, Ctrl/⌘-click
 * toggles one, Shift-click selects the range from the last clicked image (in the order shown).
 */
export interface Selection {
  ids: ReadonlySet<number>;
  anchor: number | null;
}

export const EMPTY_SELECTION: Selection = { ids: new Set(), anchor: null };

export function clickSelect(sel: Selection, id: number, shown: readonly number[], mods: { toggle: boolean; range: boolean }): Selection {
  if (mods.range && sel.anchor !== null) {
    const a = shown.indexOf(sel.anchor);
    const b = shown.indexOf(id);
    if (a >= 0 && b >= 0) {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const ids = new Set(mods.toggle ? sel.ids : []);
      for (const i of shown.slice(lo, hi + 1)) ids.add(i);
      return { ids, anchor: sel.anchor };
    }
  }
  if (mods.toggle) {
    const ids = new Set(sel.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: id };
  }
  return { ids: new Set([id]), anchor: id };
}

/** Only the images still shown stay selected (a filter change must not act on hidden images). */
export function keepShown(sel: Selection, shown: readonly number[]): Selection {
  const visible = new Set(shown);
  const ids = new Set([...sel.ids].filter((id) => visible.has(id)));
  return ids.size === sel.ids.size ? sel : { ids, anchor: sel.anchor !== null && visible.has(sel.anchor) ? sel.anchor : null };
}
