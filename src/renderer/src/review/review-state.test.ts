import { describe, expect, it } from 'vitest';
import type { ReviewVersion } from '../../../shared/contract';
import {
  brushRefusal,
  canAccept,
  canReject,
  decisionCall,
  decisionNotice,
  fileName,
  initialVersion,
  reviewAction,
  roundLabel,
  shortHash,
  stepped,
  structureAgreementText,
  type KeyPress,
} from './review-state';

const version = (decision: ReviewVersion['decision'], n = 1) => ({ id: n * 10, version: n, decision }) as ReviewVersion;
const closed = { open: false, dirty: false };
const key = (k: string, target: KeyPress['target'] = null, mods: Partial<KeyPress> = {}): KeyPress => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  target,
  ...mods,
});

describe('review state', () => {
  it('opens on the latest version', () => {
    expect(initialVersion([version('rejected', 1), version('accepted', 2)])?.version).toBe(2);
    expect(initialVersion([])).toBeNull();
  });

  it('accepts a new or rejected version; an accepted one only with a drawn correction', () => {
    expect(canAccept(version('new'), closed)).toBe(true);
    expect(canAccept(version('rejected'), closed)).toBe(true);
    expect(canAccept(version('accepted'), closed)).toBe(false);
    expect(canAccept(version('corrected'), { open: true, dirty: false })).toBe(false);
    expect(canAccept(version('corrected'), { open: true, dirty: true })).toBe(true);
    expect(canAccept(null, { open: true, dirty: true })).toBe(false);
  });

  it('rejects only an undecided version with no correction open', () => {
    expect(canReject(version('new'), closed)).toBe(true);
    expect(canReject(version('new'), { open: true, dirty: false })).toBe(false);
    expect(canReject(version('rejected'), closed)).toBe(false);
  });

  it('accepting stores the correction only when one was drawn', () => {
    expect(decisionCall('accept', { open: true, dirty: true })).toBe('review.correct');
    expect(decisionCall('accept', { open: true, dirty: false })).toBe('review.accept');
    expect(decisionCall('reject', { open: true, dirty: true })).toBe('review.reject');
    expect(decisionNotice(7, 2, 'corrected')).toBe('Image #7: version 2 corrected → ground truth');
    expect(decisionNotice(7, 2, 'rejected')).toBe('Image #7: version 2 rejected');
  });

  it('says which ground truth an accepted or corrected version replaced', () => {
    const imported = { maskId: 3, version: 1, current: false, provenance: 'imported' as const, details: null, pseudoLabelId: null, area: 50, createdAt: '', hidden: true };
    expect(decisionNotice(7, 2, 'accepted', imported)).toBe(
      'Image #7: version 2 accepted → ground truth; it replaces ground truth v1 · imported (hidden from training), kept as a version',
    );
  });

  it('steps through the queue without leaving it', () => {
    expect(stepped(0, 1, 3)).toBe(1);
    expect(stepped(2, 1, 3)).toBeNull();
    expect(stepped(0, -1, 3)).toBeNull();
  });

  it('maps keys to actions, case-insensitively, digits to versions', () => {
    expect(reviewAction(key('A'))).toBe('accept');
    expect(reviewAction(key('Enter'))).toBe('accept');
    expect(reviewAction(key('ArrowRight'))).toBe('next');
    expect(reviewAction(key('k'))).toBe('previous');
    expect(reviewAction(key(']'))).toBe('larger');
    expect(reviewAction(key('Escape'))).toBe('discard');
    expect(reviewAction(key('3'))).toEqual({ pick: 2 });
    expect(reviewAction(key('0'))).toBeNull();
    expect(reviewAction(key('x'))).toBeNull();
    expect(reviewAction(key('a', null, { ctrlKey: true }))).toBeNull();
  });

  it('keeps shortcuts on checkboxes and colour wells, not in text fields or on a slider’s arrows', () => {
    expect(reviewAction(key('a', { tagName: 'INPUT', type: 'checkbox' }))).toBe('accept');
    expect(reviewAction(key('s', { tagName: 'INPUT', type: 'color' }))).toBe('student');
    expect(reviewAction(key('a', { tagName: 'INPUT', type: 'text' }))).toBeNull();
    expect(reviewAction(key('a', { tagName: 'TEXTAREA' }))).toBeNull();
    expect(reviewAction(key('ArrowRight', { tagName: 'INPUT', type: 'range' }))).toBeNull();
    expect(reviewAction(key('j', { tagName: 'INPUT', type: 'range' }))).toBe('next');
  });

  it('formats provenance', () => {
    expect(shortHash('c0ffee0123456789')).toBe('c0ffee01');
    expect(shortHash(null)).toBe('—');
    expect(fileName('/a/b\\c.png')).toBe('c.png');
    expect(roundLabel({ epoch: 2, runKind: 'mining-one-time' })).toBe('round 2');
    expect(roundLabel({ epoch: 2, runKind: 'mining-continuous' })).toBe('epoch 2');
    expect(roundLabel({ epoch: null, runKind: null })).toBe('');
  });

  it('names each structure of a several-structure version with its agreement; a binary version has none and keeps the brush', () => {
    const several = {
      ...version('new', 3),
      structures: { labelMapDataUrl: 'data:image/png;base64,', values: [1, 2, 4], areas: {}, agreements: { 1: 0.912, 2: null } },
    } as ReviewVersion;
    expect(structureAgreementText(several, new Map([[1, 'Lesion'], [2, 'Square']]))).toBe('Lesion 0.91 · Square — · value 4 —');
    expect(structureAgreementText(version('new'), new Map())).toBe('');
    expect(brushRefusal(several)).toMatch(/version 3 holds several structures: accept it \(A\)/);
    expect(brushRefusal(version('new'))).toBeNull();
  });
});
