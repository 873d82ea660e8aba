import { describe, expect, it } from 'vitest';
import type { ImageRow } from '../../../shared/contract';
import { imageStatus, STATUS_MEANING, STATUSES } from './status';

const row = (over: Partial<ImageRow>): ImageRow => ({
  id: 1,
  sourcePath: '/a.png',
  frameIndex: 0,
  format: 'png',
  width: 8,
  height: 8,
  modality: null,
  split: null,
  hasMask: false,
  pseudoLabels: 0,
  latestAgreement: null,
  reviewed: false,
  ...over,
});

describe('image status words', () => {
  it('never calls validation or test images "labeled", although they have ground truth', () => {
    expect(imageStatus(row({ split: 'val', hasMask: true }))).toBe('validation');
    expect(imageStatus(row({ split: 'test', hasMask: true }))).toBe('test');
  });

  it('labeled means ground truth training learns from; hidden ground truth is unlabeled', () => {
    expect(imageStatus(row({ split: 'labeled', hasMask: true }))).toBe('labeled');
    expect(imageStatus(row({ split: 'unlabeled', hasMask: true }))).toBe('unlabeled');
    expect(imageStatus(row({ split: null, hasMask: false }))).toBe('unlabeled');
  });

  it('review states come before the split words of training images', () => {
    expect(imageStatus(row({ split: 'unlabeled', pseudoLabels: 2 }))).toBe('pseudo-labeled');
    expect(imageStatus(row({ split: 'unlabeled', pseudoLabels: 2, reviewed: true }))).toBe('reviewed');
  });

  it('explains every status word', () => {
    for (const s of STATUSES) expect(STATUS_MEANING[s].length).toBeGreaterThan(10);
  });
});
