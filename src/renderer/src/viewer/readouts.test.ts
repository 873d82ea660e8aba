import { describe, expect, it } from 'vitest';
import { detailWindowChoices, measuredValue, measurementText, pixelReadout, spacingText, valueUnit } from './readouts';

const grey = { width: 2, height: 2, color: false, slope: 1, intercept: -1024, getPixelData: () => [1000, 1024, 1100, 0] };
const colour = { width: 1, height: 1, color: true, slope: 1, intercept: 0, getPixelData: () => [30, 60, 90, 255] };

describe('readouts', () => {
  it('gives CT values in HU and others unitless', () => {
    expect(valueUnit('ct')).toBe(' HU');
    expect(valueUnit('MR')).toBe('');
    expect(valueUnit(null)).toBe('');
  });

  it('measures modality values on grey images and the RGB mean on colour', () => {
    expect(measuredValue(grey, 2)).toBe(76);
    expect(measuredValue(colour, 0)).toBe(60);
  });

  it('reads the pixel under the pointer, nothing off the image', () => {
    expect(pixelReadout(grey, { x: 1.7, y: 0.2 }, ' HU')).toEqual({ x: 1, y: 0, text: 'stored 1024 · HU 0' });
    expect(pixelReadout({ ...grey, slope: 0.5 }, { x: 0, y: 1 }, '')?.text).toBe('stored 1100 · value -474.0');
    expect(pixelReadout(colour, { x: 0, y: 0 }, '')?.text).toBe('RGB 30, 60, 90');
    expect(pixelReadout(grey, { x: 2, y: 0 }, '')).toBeNull();
    expect(pixelReadout(grey, null, '')).toBeNull();
  });

  it('measures a line in mm, noting a detector spacing', () => {
    const line = { kind: 'line' as const, a: { x: 0, y: 0 }, b: { x: 3, y: 4 } };
    expect(measurementText(line, grey, { pixelSpacing: [1, 1], spacingSource: 'PixelSpacing' }, '')).toBe('5.0 mm');
    expect(measurementText(line, grey, { pixelSpacing: [1, 1], spacingSource: 'ImagerPixelSpacing' }, '')).toBe('5.0 mm (at the detector)');
    expect(measurementText(null, grey, { pixelSpacing: null, spacingSource: null }, '')).toBe('');
  });

  it('states the spacing, or that lengths are in pixels', () => {
    expect(spacingText({ pixelSpacing: [0.5, 0.25], spacingSource: 'PixelSpacing' })).toBe('0.250 × 0.500 mm/px');
    expect(spacingText({ pixelSpacing: [0.5, 0.25], spacingSource: 'ImagerPixelSpacing' })).toBe('0.250 × 0.500 mm/px (detector)');
    expect(spacingText({ pixelSpacing: null, spacingSource: null })).toBe('no pixel spacing: lengths in px');
  });

  it('offers the legacy single window when the file lists no VOI windows', () => {
    const names = (d: Parameters<typeof detailWindowChoices>[0]) => detailWindowChoices(d, null).map((c) => c.name);
    expect(names({ modality: 'MR', voiWindows: [], windowCenter: 40, windowWidth: 80 })).toEqual(['File']);
    expect(names({ modality: 'MR', voiWindows: [{ center: 1, width: 2, name: 'A' }], windowCenter: 40, windowWidth: 80 })).toEqual(['A']);
    expect(detailWindowChoices(null, null)).toEqual([]);
  });
});
