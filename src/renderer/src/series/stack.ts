import type { PatientNode, SeriesNode } from '../../../shared/contract';

/** Every series of the tree in browsing order: patients, their studies, their series. */
export function flattenSeries(patients: readonly PatientNode[]): SeriesNode[] {
  return patients.flatMap((p) => p.studies.flatMap((s) => s.series));
}

/** Where an image is in the stack: which series, which slice. */
export interface StackPlace {
  series: number;
  slice: number;
}

export function locate(series: readonly SeriesNode[], imageId: number): StackPlace | null {
  for (let s = 0; s < series.length; s++) {
    const slice = series[s]!.imageIds.indexOf(imageId);
    if (slice >= 0) return { series: s, slice };
  }
  return null;
}

/** The image `delta` slices away within the series; null past either end (the stack does not wrap). */
export function stepSlice(series: readonly SeriesNode[], at: StackPlace, delta: number): number | null {
  const ids = series[at.series]?.imageIds ?? [];
  const next = at.slice + delta;
  return next >= 0 && next < ids.length ? ids[next]! : null;
}

/**
 * The image in the neighbouring series: the slice nearest the current position when both series
 * have positions (the same anatomy in another acquisition), else the same relative depth.
 */
export function stepSeries(series: readonly SeriesNode[], at: StackPlace, delta: number): number | null {
  const from = series[at.series];
  const to = series[at.series + delta];
  if (!from || !to || to.imageIds.length === 0) return null;
  const here = from.slicePositions[at.slice] ?? null;
  if (here !== null && to.slicePositions.every((p) => p !== null)) {
    let best = 0;
    to.slicePositions.forEach((p, i) => {
      if (Math.abs(p! - here) < Math.abs(to.slicePositions[best]! - here)) best = i;
    });
    return to.imageIds[best]!;
  }
  const depth = from.imageIds.length > 1 ? at.slice / (from.imageIds.length - 1) : 0;
  return to.imageIds[Math.round(depth * (to.imageIds.length - 1))]!;
}

/**
 * Whether a series is the slices of one acquisition (DICOM, NIfTI): scrolled, played and placed as a
 * stack. PNG/JPEG photos are grouped by folder (keys "folder:…", workspace/series.ts) to browse them
 * image by image: a folder has no cine and no slice position.
 */
export function isSliceStack(node: SeriesNode): boolean {
  return !node.key.startsWith('folder:');
}

/** The next slice for cine: wraps to the first after the last, so playing loops through the stack. */
export function cineNext(series: readonly SeriesNode[], at: StackPlace): number | null {
  const node = series[at.series];
  const ids = node?.imageIds ?? [];
  return node && isSliceStack(node) && ids.length > 1 ? ids[(at.slice + 1) % ids.length]! : null;
}

/** "slice 3/40 · 12.5 mm": the slice and, when the files say, where it is along the normal. */
export function sliceText(node: SeriesNode, slice: number): string {
  const pos = node.slicePositions[slice];
  return `slice ${slice + 1}/${node.count}${pos !== null && pos !== undefined ? ` · ${pos.toFixed(1)} mm` : ''}`;
}

/** Frames per second a cine can play at: slow enough to read, fast enough to scroll a volume. */
export function clampFps(fps: number): number {
  return Number.isFinite(fps) ? Math.min(30, Math.max(1, Math.round(fps))) : 10;
}
