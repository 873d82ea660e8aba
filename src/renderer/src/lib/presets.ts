/** A window/level choice offered above the image: centre and width in modality values. */
export interface WindowChoice {
  name: string;
  center: number;
  width: number;
  /** Tooltip: where the window comes from. */
  why: string;
}

/** Common CT windows in Hounsfield units (centre, width): they mean nothing on other modalities. */
export const WINDOW_PRESETS = [
  { name: 'Soft tissue', center: 40, width: 400 },
  { name: 'Lung', center: -600, width: 1500 },
  { name: 'Bone', center: 400, width: 1800 },
  { name: 'Brain', center: 40, width: 80 },
] as const;

/**
 * The window that spans the `low`–`high` percentiles of the modality values (stored × slope +
 * intercept): robust to the padding and the few very bright pixels that make min…max useless.
 * Samples at most ~65k pixels so a large radiograph costs no more than a CT slice.
 */
export function percentileWindow(
  stored: ArrayLike<number>,
  slope: number,
  intercept: number,
  low = 0.01,
  high = 0.99,
): { center: number; width: number } | null {
  const n = stored.length;
  if (n === 0) return null;
  const step = Math.max(1, Math.floor(n / 65536));
  const values = new Float64Array(Math.ceil(n / step));
  let k = 0;
  for (let i = 0; i < n; i += step) values[k++] = stored[i]! * slope + intercept;
  const sorted = values.subarray(0, k).sort();
  const lo = sorted[Math.min(k - 1, Math.floor(low * (k - 1)))]!;
  const hi = sorted[Math.min(k - 1, Math.ceil(high * (k - 1)))]!;
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo) };
}

/**
 * What the W/L buttons offer for an image: HU presets only on CT; every window the file lists
 * (VOI LUT module) on any modality; an automatic percentile window (1–99 %) for all grey images.
 */
export function windowChoices(
  modality: string | null,
  fileWindows: readonly { center: number; width: number; name: string | null }[],
  auto: { center: number; width: number } | null,
): WindowChoice[] {
  const out: WindowChoice[] = fileWindows.map((w, i) => ({
    name: w.name ?? (fileWindows.length > 1 ? `File ${i + 1}` : 'File'),
    center: w.center,
    width: w.width,
    why: `the file's window${w.name ? ` "${w.name}"` : ''}: C ${w.center} / W ${w.width}`,
  }));
  if (auto) out.push({ name: 'Auto', ...auto, why: 'automatic: the 1st to 99th percentile of this image' });
  if (modality?.toUpperCase() === 'CT')
    for (const p of WINDOW_PRESETS) out.push({ ...p, why: `CT preset in HU: C ${p.center} / W ${p.width}` });
  return out;
}
