import { describe, expect, it } from 'vitest';
import { versionLabel } from './version-label';

describe('versionLabel', () => {
  it('names the version, the epoch or round that made it, its agreement and decision', () => {
    expect(versionLabel({ version: 3, epoch: 12, runKind: 'mining-continuous', agreementDice: 0.8123, decision: 'new' })).toBe(
      'v3 · epoch 12 · Dice 0.81 · new',
    );
    expect(versionLabel({ version: 2, epoch: 1, runKind: 'mining-rounds', agreementDice: null, decision: 'accepted' })).toBe('v2 · round 1 · accepted');
    expect(versionLabel({ version: 1, epoch: null, runKind: null, agreementDice: null, decision: 'rejected' })).toBe('v1 · rejected');
  });
});
