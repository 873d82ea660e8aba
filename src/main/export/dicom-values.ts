// Values a DICOM SEG copies from its source, made valid for their value representation (PS3.5
// 6.2). Sources are often older than the rules they break — ACR-NEMA dates like "1993.04.30",
// times with colons, names longer than their VR allows — and one such value must not cost the
// export: it is repaired when its meaning is clear and left empty (or dropped) when it is not.

/** The value representations a SEG copies from its source. */
export type CopiedVr = 'DA' | 'TM' | 'DT' | 'PN' | 'LO' | 'SH' | 'CS' | 'UI' | 'DS' | 'IS' | 'LT' | 'ST';

/** Characters per value (PS3.5 table 6.2-1); PN's limit is per component group. */
const MAX_CHARS = { PN: 64, LO: 64, SH: 16, CS: 16, UI: 64, DS: 16, IS: 12, LT: 10240, ST: 1024 } as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate(); // day 0 of the next month = last day of m
  return d <= days;
}

/** YYYYMMDD from "19930430", "1993.04.30", "1993-04-30" or "1993/04/30"; '' when it is no date. */
export function normaliseDA(value: string): string {
  const m = /^(\d{4})[.\-/]?(\d{2})[.\-/]?(\d{2})$/.exec(value.trim());
  if (!m) return '';
  return validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? `${m[1]}${m[2]}${m[3]}` : '';
}

/** HH[MM[SS[.F{1,6}]]] from the same with colons ("11:27:24"); extra fraction digits are cut; '' when it is no time. */
export function normaliseTM(value: string): string {
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(\.\d+)?)?)?$/.exec(value.trim());
  if (!m) return '';
  const [, hh, mm, ss, frac] = m;
  if (Number(hh) > 23 || (mm !== undefined && Number(mm) > 59) || (ss !== undefined && Number(ss) > 60)) return '';
  const fraction = frac && frac.length > 1 ? frac.slice(0, 7) : '';
  return `${hh}${mm ?? ''}${ss ?? ''}${fraction}`;
}

/** YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX], separators of ISO-like forms removed; '' when it is none. */
export function normaliseDT(value: string): string {
  const m = /^(\d{4})(?:[.\-/]?(\d{2})(?:[.\-/]?(\d{2})(?:[T ]?(\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?))?)?)?([+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (!m) return '';
  const [, y, mo, d, time, zone] = m;
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return '';
  if (d !== undefined && !validDate(Number(y), Number(mo), Number(d))) return '';
  const t = time !== undefined ? normaliseTM(time) : '';
  if (time !== undefined && !t) return '';
  const offset = zone ? zone.replace(':', '') : '';
  return `${y}${mo ?? ''}${d ?? ''}${t}${offset}`;
}

/**
 * A text value: no control characters (LT/ST keep line breaks), within its length. In LO/SH/PN a
 * backslash would split the value in two, so it becomes a slash.
 */
function text(value: string, max: number, multiLine: boolean): string {
  // eslint-disable-next-line no-control-regex
  let s = value.replace(multiLine ? /[\u0000-\u0009\u000b\u000e-\u001f\u007f]/g : CONTROL, ' ');
  if (!multiLine) s = s.replace(/\\/g, '/');
  return [...s.trim()].slice(0, max).join('').trim();
}

/** CS: upper case letters, digits, space and underscore, 16 characters. */
export function normaliseCS(value: string): string {
  return value
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9 _]/g, '_')
    .slice(0, MAX_CHARS.CS)
    .trim();
}

/**
 * UI: digits and dots within 64 characters, else undefined. Components with leading zeros are kept
 * as they are: a SEG's references must match the source's UIDs character for character.
 */
export function normaliseUI(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const s = value.replace(/[\u0000\s]+$/g, '').trim();
  return /^\d+(\.\d+)*$/.test(s) && s.length <= MAX_CHARS.UI ? s : undefined;
}

/** PN: each component group (alphabetic, ideographic, phonetic) within 64 characters, no control characters; dcmjs's object form or a string. */
export function normalisePN(value: unknown): unknown {
  const group = (g: unknown) => (typeof g === 'string' ? text(g.replace(/=/g, ' '), MAX_CHARS.PN, false) : undefined);
  if (Array.isArray(value)) return value.map(normalisePN); // several names
  if (typeof value === 'string') return value.split('=').map((g) => group(g) ?? '').join('=').replace(/=+$/, '');
  if (value && typeof value === 'object') {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      const g = group(v);
      if (g) out[k] = g;
    }
    return out;
  }
  return '';
}

/** A number written within `max` characters (DS 16, IS 12), as a string so the writer keeps it as it is; undefined when it is none. */
function numberString(value: unknown, max: number, integer: boolean): string | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n)) return undefined;
  if (integer) {
    if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31 - 1) return undefined;
    return String(n);
  }
  let s = String(n);
  for (let digits = 15; s.length > max && digits > 0; digits--) s = String(Number(n.toPrecision(digits)));
  if (s.length > max) s = n.toExponential(Math.max(0, max - 7));
  return s.length <= max ? s : undefined;
}

function one(vr: CopiedVr, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (vr) {
    case 'PN':
      return normalisePN(value);
    case 'DS':
      return numberString(value, MAX_CHARS.DS, false);
    case 'IS':
      return numberString(value, MAX_CHARS.IS, true);
  }
  const s = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  switch (vr) {
    case 'DA':
      return normaliseDA(s);
    case 'TM':
      return normaliseTM(s);
    case 'DT':
      return normaliseDT(s);
    case 'CS':
      return normaliseCS(s);
    case 'UI':
      return normaliseUI(s);
    case 'LO':
    case 'SH':
      return text(s, MAX_CHARS[vr], false);
    case 'LT':
    case 'ST':
      return text(s, MAX_CHARS[vr], true);
  }
}

/**
 * `value` (as dcmjs's naturalized dataset holds it: a scalar, an array for several values, PN as
 * objects) made valid for `vr`; undefined when nothing valid is left (a UID or number that is not
 * one). Multi-valued attributes keep their valid values; empty strings stand for unusable text.
 */
export function normaliseDicomValue(vr: CopiedVr, value: unknown): unknown {
  if (Array.isArray(value)) {
    if (vr === 'PN') return normalisePN(value);
    const values = value.map((v) => one(vr, v));
    if (values.some((v) => v === undefined)) return undefined; // a vector (orientation, spacing) is whole or absent
    return values;
  }
  return one(vr, value);
}
