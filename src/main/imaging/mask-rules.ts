import type { MaskRule } from '../../shared/contract';
import { describe } from '../util/errors';
import { groundTruthPngs, IGNORE_LABEL, MASK_THRESHOLD, valueHistogram, type GroundTruthPngs, type LabelMap } from './mask';

/**
 * The explicit rules a mask file's pixel values are read by, so no convention is lost silently:
 * 0/255 (JPEG noise allowed: >127 is foreground, the Kvasir-SEG rule), 0/1 (nnU-Net, the Medical
 * Segmentation Decathlon), and 0..K label maps whose values are structures of the label schema. An
 * ignore value chosen by the user is stored as IGNORE_LABEL whatever rule applies.
 */

export interface MaskRuleOptions {
  /** The file's value for "ignore" (e.g. 127), or null. */
  ignore: number | null;
  /** Structure values the label schema has. */
  known: ReadonlySet<number>;
  /** Unknown label-map values become new structures instead of an error. */
  newStructures: boolean;
  /** A JPEG: its values are not exact, so a 0/255 mask may carry any grey level at its edges. */
  lossy: boolean;
}

export interface RuledMask {
  rule: MaskRule;
  /** 0 background, structure values, IGNORE_LABEL. */
  map: LabelMap;
  /** Distinct values of the file as read (0/255 for a JPEG-noisy binary mask), ascending. */
  values: number[];
  /** Label-map values the schema lacks (only with `newStructures`). */
  newValues: number[];
}

// More distinct values than this, or this share of mid-grey pixels, is a picture, not a mask.
const MAX_LABELS = 32;
const MAX_MID_GREY = 0.05;
// A 0/255 PNG resampled with interpolation has many grey levels at its edges; a label map has few.
const EXACT_VALUES = 16;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Reads `raw` (the file's grey values) by the first rule that fits; throws why none fits. */
export function applyMaskRules(raw: LabelMap, opts: MaskRuleOptions): RuledMask {
  const n = raw.data.length;
  const hist = valueHistogram(raw);
  const seen = [...hist.keys()].filter((v) => hist[v]! > 0);
  const ignore = opts.ignore;
  const foreground = seen.filter((v) => v !== 0 && v !== ignore);
  const pct = (count: number) => `${((100 * count) / n).toFixed(2)} %`;

  const mapped = (rule: MaskRule, to: (v: number) => number, values: number[], newValues: number[] = []): RuledMask => {
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) lut[v] = v === ignore ? IGNORE_LABEL : to(v);
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = lut[raw.data[i]!]!;
    return { rule, map: { width: raw.width, height: raw.height, data }, values, newValues };
  };

  if (foreground.length === 0) return mapped('empty', () => 0, seen);
  if (foreground.every((v) => v === 1)) return mapped('binary-1', (v) => (v === 1 ? 1 : 0), seen);
  if (foreground.every((v) => v === 255)) return mapped('binary-255', (v) => (v === 255 ? 1 : 0), seen);

  const top = foreground[foreground.length - 1]!;
  if (top > MASK_THRESHOLD) {
    // A lossless file with few values is exact: 1 and 2 beside 255 are structures, not edge noise.
    if (!opts.lossy && seen.length <= EXACT_VALUES) {
      const low = foreground.filter((v) => v <= MASK_THRESHOLD);
      throw new Error(
        `values ${seen.join(', ')}: neither 0/255, 0/1 nor a 0..K label map` +
          (low.length && top === 255 ? ` — if 255 marks a region to ignore, import with --ignore 255` : ''),
      );
    }
    let midGrey = 0;
    for (let v = 64; v < 192; v++) if (v !== ignore) midGrey += hist[v]!;
    if (midGrey / n > MAX_MID_GREY) {
      throw new Error(`${pct(midGrey)} of the pixels are mid-grey (64..191): not a 0/255 mask (JPEG noise stays near 0 and 255)`);
    }
    const values = [0, 255, ...(ignore !== null && hist[ignore]! > 0 ? [ignore] : [])].sort((a, b) => a - b);
    return mapped('binary-255', (v) => (v > MASK_THRESHOLD ? 1 : 0), values);
  }

  if (foreground.length > MAX_LABELS) {
    throw new Error(`${plural(foreground.length, 'distinct value')} between 1 and ${top}: not a label map (at most ${MAX_LABELS} structures per file)`);
  }
  const unknown = foreground.filter((v) => !opts.known.has(v));
  if (unknown.length > 0 && !opts.newStructures) {
    const detail = unknown.map((v) => `${v} (${pct(hist[v]!)})`).join(', ');
    throw new Error(
      `label value${unknown.length > 1 ? 's' : ''} ${detail} not in the label schema (values ${[...opts.known].sort((a, b) => a - b).join(', ')}); ` +
        'add the structures in Labels, or import with --new-structures',
    );
  }
  return mapped('label-map', (v) => v, seen, unknown);
}

/** What the rules read besides the pixels: the import's settings and the label schema's values. */
export interface MaskRuleSettings {
  ignore: number | null;
  known: number[];
  newStructures: boolean;
}

/**
 * A mask file's values read by the rules, with what storing it needs: its shares per structure and
 * its PNGs. Made in the decode process next to the decode, so the importing process only stores it;
 * a file no rule fits carries the reason instead (its size still decides which error is reported).
 */
export type RuledMaskFile = { width: number; height: number } & (
  | { ruled: RuledMask; fractions: ReturnType<typeof maskFractions>; pngs: GroundTruthPngs }
  | { error: string }
);

export function ruleMaskFile(raw: LabelMap, lossy: boolean, settings: MaskRuleSettings): RuledMaskFile {
  const size = { width: raw.width, height: raw.height };
  let ruled: RuledMask;
  try {
    ruled = applyMaskRules(raw, { ignore: settings.ignore, known: new Set(settings.known), newStructures: settings.newStructures, lossy });
  } catch (e) {
    return { ...size, error: describe(e) };
  }
  return { ...size, ruled, fractions: maskFractions(ruled.map), pngs: groundTruthPngs(ruled.map) };
}

/** Share of the image's pixels per structure value, and of the ignored ones. */
export function maskFractions(map: LabelMap): { fractions: Record<string, number>; ignoredFraction: number } {
  const hist = valueHistogram(map);
  const n = map.data.length || 1;
  const fractions: Record<string, number> = {};
  for (let v = 1; v < IGNORE_LABEL; v++) if (hist[v]) fractions[String(v)] = hist[v]! / n;
  return { fractions, ignoredFraction: hist[IGNORE_LABEL]! / n };
}
