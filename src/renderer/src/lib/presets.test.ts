import { describe, expect, it } from 'vitest';
import { percentileWindow, windowChoices, WINDOW_PRESETS } from './presets';

describe('window presets by modality', () => {
  const file = [{ center: 40, width: 350, name: 'ABDOMEN' }];

  it('offers HU presets on CT only', () => {
    const ct = windowChoices('CT', file, { center: 0, width: 100 }).map((c) => c.name);
    expect(ct).toEqual(['ABDOMEN', 'Auto', ...WINDOW_PRESETS.map((p) => p.name)]);
    for (const m of ['MR', 'CR', 'DX', null]) {
      const names = windowChoices(m, file, { center: 0, width: 100 }).map((c) => c.name);
      expect(names, String(m)).toEqual(['ABDOMEN', 'Auto']);
    }
  });

  it('names unnamed file windows, numbered when the file lists several', () => {
    expect(windowChoices('MR', [{ center: 1, width: 2, name: null }], null).map((c) => c.name)).toEqual(['File']);
    const two = windowChoices('MR', [{ center: 1, width: 2, name: null }, { center: 3, width: 4, name: null }], null);
    expect(two.map((c) => [c.name, c.center, c.width])).toEqual([
      ['File 1', 1, 2],
      ['File 2', 3, 4],
    ]);
  });
});

describe('percentile window', () => {
  it('spans the 1st to 99th percentile, ignoring outliers', () => {
    const stored = new Int16Array(1000);
    for (let i = 0; i < 1000; i++) stored[i] = i;
    stored[0] = -30000; // padding
    stored[999] = 30000; // a bright marker
    const w = percentileWindow(stored, 1, 0)!;
    expect(w.center - w.width / 2).toBeGreaterThan(5);
    expect(w.center - w.width / 2).toBeLessThan(15);
    expect(w.center + w.width / 2).toBeGreaterThan(985);
    expect(w.center + w.width / 2).toBeLessThan(995);
  });

  it('works in modality values (slope and intercept applied)', () => {
    const stored = Uint16Array.from({ length: 101 }, (_, i) => i * 10);
    const w = percentileWindow(stored, 2, -1024, 0, 1)!;
    expect(w.center - w.width / 2).toBe(-1024);
    expect(w.center + w.width / 2).toBe(-1024 + 2000);
  });

  it('never gives a zero width or a window for nothing', () => {
    expect(percentileWindow(new Uint8Array(50).fill(7), 1, 0)).toEqual({ center: 7, width: 1 });
    expect(percentileWindow(new Uint8Array(0), 1, 0)).toBeNull();
  });
});
