import { COLOURS, versionColour } from './colour';

export interface LayerStyle {
  colour: string;
  opacity: number;
  visible: boolean;
}

/**
 * What a remembered colour/opacity belongs to: a version by its age ('latest', 'older1', …), or
 * 'student' / 'truth'. Ages, not version numbers, so "the latest" keeps its colour from image to image.
 */
export function stylePref(age: number): string {
  return age === 0 ? 'latest' : `older${age}`;
}

function defaultColour(pref: string): string {
  if (pref === 'truth') return COLOURS.truth;
  if (pref === 'student') return COLOURS.student;
  const age = pref.startsWith('older') ? Number(pref.slice(5)) : 0;
  return versionColour(age);
}

/**
 * Colour and opacity a reviewer picks stick across images; visibility is decided per image.
 */
export class LayerStyles {
  private readonly remembered = new Map<string, { colour: string; opacity: number }>();

  styleFor(pref: string, visible: boolean): LayerStyle {
    const r = this.remembered.get(pref);
    return { colour: r?.colour ?? defaultColour(pref), opacity: r?.opacity ?? (pref === 'truth' ? 0.45 : 0.4), visible };
  }

  remember(pref: string, style: LayerStyle): void {
    this.remembered.set(pref, { colour: style.colour, opacity: style.opacity });
  }
}
