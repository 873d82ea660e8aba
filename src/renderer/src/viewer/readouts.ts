import type { ImageDetail } from '../../../shared/contract';
import type { CornerstoneImage } from '../lib/cornerstone';
import { windowChoices, type WindowChoice } from '../lib/presets';
import { distance, ellipseStats, lengthText, statsText } from '../measure/measure';
import type { Measurement } from '../measure/measure-tool';
import type { Point } from '../viewport/navigation';

type Pixels = Pick<CornerstoneImage, 'getPixelData' | 'color' | 'slope' | 'intercept' | 'width' | 'height'>;

/** Modality values (HU on CT) carry a unit; other grey images and colour images have none. */
export function valueUnit(modality: string | null | undefined): string {
  return modality?.toUpperCase() === 'CT' ? ' HU' : '';
}

/** The value measured at pixel index i: modality values for grey images, mean of R, G, B for colour. */
export function measuredValue(img: Pixels, i: number): number {
  const px = img.getPixelData();
  if (img.color) return (px[i * 4]! + px[i * 4 + 1]! + px[i * 4 + 2]!) / 3;
  return px[i]! * img.slope + img.intercept;
}

/** What the pointer is over: the pixel and its stored and modality values (null: off the image). */
export function pixelReadout(img: Pixels | null, at: Point | null, unit: string): { x: number; y: number; text: string } | null {
  if (!at || !img) return null;
  const x = Math.floor(at.x);
  const y = Math.floor(at.y);
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return null;
  const i = y * img.width + x;
  const px = img.getPixelData();
  const text = img.color
    ? `RGB ${px[i * 4]}, ${px[i * 4 + 1]}, ${px[i * 4 + 2]}`
    : `stored ${px[i]} · ${unit ? 'HU' : 'value'} ${(px[i]! * img.slope + img.intercept).toFixed(img.slope % 1 || img.intercept % 1 ? 1 : 0)}`;
  return { x, y, text };
}

/** The measurement's readout: a length (noting a detector spacing), or an ellipse's statistics. */
export function measurementText(m: Measurement | null, img: Pixels | null, detail: Pick<ImageDetail, 'pixelSpacing' | 'spacingSource'> | null, unit: string): string {
  if (!m || !img || !detail) return '';
  if (m.kind === 'line') {
    const l = lengthText(distance(m.a, m.b, detail.pixelSpacing));
    return detail.spacingSource === 'ImagerPixelSpacing' ? `${l} (at the detector)` : l;
  }
  const s = ellipseStats(m, img.width, img.height, (i) => measuredValue(img, i), detail.pixelSpacing);
  return s ? statsText(s, unit) : '';
}

/** The pixel spacing as the corner shows it, row spacing last as a width × height reads. */
export function spacingText(detail: Pick<ImageDetail, 'pixelSpacing' | 'spacingSource'>): string {
  return detail.pixelSpacing
    ? `${detail.pixelSpacing[1].toFixed(3)} × ${detail.pixelSpacing[0].toFixed(3)} mm/px${detail.spacingSource === 'ImagerPixelSpacing' ? ' (detector)' : ''}`
    : 'no pixel spacing: lengths in px';
}

/** The W/L buttons: the file's windows (or its single legacy window), the modality's presets, the auto window. */
export function detailWindowChoices(
  detail: Pick<ImageDetail, 'modality' | 'voiWindows' | 'windowCenter' | 'windowWidth'> | null,
  autoWindow: { center: number; width: number } | null,
): WindowChoice[] {
  if (!detail) return [];
  return windowChoices(
    detail.modality,
    detail.voiWindows.length || detail.windowCenter === null || detail.windowWidth === null
      ? detail.voiWindows
      : [{ center: detail.windowCenter, width: detail.windowWidth, name: null }],
    autoWindow,
  );
}
