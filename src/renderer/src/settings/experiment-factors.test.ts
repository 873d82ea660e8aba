import { describe, expect, it } from 'vitest';
import { cellsWithFactors, DEFAULT_FACTOR_FORM, parseFactors } from './experiment-factors';
import { experimentCells } from './settings-form';

const grid = { ratios: [1, 0.5], schedules: ['supervised', 'one-time', 'continuous'] as const, seeds: 2 };

describe('the paper’s factors in the experiment grid', () => {
  it('nothing ticked beyond scratch is the plain grid, with the plain count', () => {
    const f = parseFactors({ ...DEFAULT_FACTOR_FORM });
    expect(f).toEqual({ ok: true, value: {} });
    expect(cellsWithFactors({ ...grid, schedules: [...grid.schedules] }, {})).toBe(experimentCells({ ...grid, schedules: [...grid.schedules] }));
  });

  it('scratch vs SimCLR, two teachers and two prompt sets: the request and the number of runs', () => {
    const f = parseFactors({
      ...DEFAULT_FACTOR_FORM,
      simclr: true,
      simclrEpochs: '20',
      teachers: ['sam:3', 'oracle'],
      promptSets: { points: true, box: true, both: false, mask: false },
    });
    expect(f).toEqual({
      ok: true,
      value: {
        inits: [{ kind: 'scratch' }, { kind: 'simclr', epochs: 20 }],
        teachers: [{ kind: 'sam', modelId: 3 }, { kind: 'oracle' }],
        promptSets: ['points', 'box'],
      },
    });
    // per seed: ratio 1 → 1 supervised; ratio 0.5 → 1 supervised + 2 methods × 2 teachers × 2 prompt sets; × 2 inits; + 1 SimCLR run
    expect(cellsWithFactors({ ...grid, schedules: [...grid.schedules] }, f.ok ? f.value : {})).toBe(((1 + 1 + 8) * 2 + 1) * 2);
  });

  it('a finished pre-training run is an initialisation of its own; none at all is refused', () => {
    expect(parseFactors({ ...DEFAULT_FACTOR_FORM, scratch: false, pretrainRuns: [7] })).toEqual({ ok: true, value: { inits: [{ kind: 'run', runId: 7 }] } });
    expect(parseFactors({ ...DEFAULT_FACTOR_FORM, scratch: false })).toMatchObject({ ok: false, error: /at least one initialisation/ });
    expect(parseFactors({ ...DEFAULT_FACTOR_FORM, simclr: true, simclrEpochs: '0' })).toMatchObject({ ok: false, error: /whole number/ });
  });
});
