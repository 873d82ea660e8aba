import { describe, expect, it } from 'vitest';
import { experimentSpecFromRequest } from '../../src/main/jobs/experiment-job';
import { ExperimentRequest } from '../../src/shared/contract';

const base = {
  name: 'grid',
  ratios: [1, 0.5],
  schedules: ['supervised', 'one-time'],
  seeds: 2,
  val: 0.1,
  test: 0.1,
  teacher: { kind: 'oracle' },
  settings: {},
};

describe('an experiment request from the app becomes the runner’s grid', () => {
  it('without factors, the grid keeps its old shape (and so its resume keys)', () => {
    const spec = experimentSpecFromRequest(ExperimentRequest.parse(base));
    expect(spec).not.toHaveProperty('inits');
    expect(spec).not.toHaveProperty('teachers');
    expect(spec).not.toHaveProperty('promptSets');
  });

  it('carries initialisations, teachers and prompt sets as the runner names them', () => {
    const spec = experimentSpecFromRequest(
      ExperimentRequest.parse({
        ...base,
        inits: [{ kind: 'scratch' }, { kind: 'simclr', epochs: 5 }, { kind: 'run', runId: 4 }],
        teachers: [{ kind: 'oracle' }, { kind: 'noisy-oracle' }, { kind: 'sam', modelId: 2 }],
        promptSets: ['points', 'mask'],
      }),
    );
    expect(spec.inits).toEqual([{ kind: 'scratch' }, { kind: 'simclr', settings: { maxEpochs: 5 } }, { kind: 'run', runId: 4 }]);
    expect(spec.teachers).toEqual([
      { kind: 'oracle' },
      { kind: 'noisy-oracle', maxRadius: 8, dropProbability: 0.2, seed: 1 },
      { kind: 'sam', modelId: 2 },
    ]);
    expect(spec.promptSets).toEqual(['points', 'mask']);
  });

  it('refuses what the contract does not know', () => {
    expect(() => ExperimentRequest.parse({ ...base, promptSets: ['everything'] })).toThrow();
    expect(() => ExperimentRequest.parse({ ...base, inits: [{ kind: 'weights', path: '/etc/passwd' }] })).toThrow();
  });
});
