import { describe, expect, it } from 'vitest';
import type { GroundTruthVersion } from '../../../shared/contract';
import {
  afterEdit,
  afterProposal,
  alphaOf,
  labelSource,
  maskPixels,
  labelIsEmpty,
  nextUnlabeled,
  originOf,
  provenanceText,
  rgbaOf,
  savedNotice,
  type LabelState,
} from './label-session';

const teacher = { id: 3, name: 'vit-t', family: 'mobilesam' };
const prompts = { points: [{ x: 4, y: 5, label: 1 as const }], box: { x0: 1, y0: 1, x1: 9, y1: 9 } };
const blank: LabelState = { mask: new Uint8Array(4), prompts: { points: [], box: null }, origin: { kind: 'drawn' }, edited: false };

function version(over: Partial<GroundTruthVersion>): GroundTruthVersion {
  return { maskId: 7, version: 1, current: true, provenance: 'imported', details: null, pseudoLabelId: null, area: 10, createdAt: '', hidden: false, ...over };
}

describe('label provenance', () => {
  it('a label drawn by hand is "drawn"; one started from a SAM proposal names the teacher and prompts, edited or not', () => {
    expect(labelSource(afterEdit(blank, new Uint8Array(4)))).toEqual({ kind: 'drawn' });
    const proposal = afterProposal(blank, new Uint8Array([255, 0, 0, 0]), teacher, prompts);
    expect(labelSource(proposal)).toEqual({ kind: 'sam-assisted', modelId: 3, prompts: [prompts], edited: false });
    expect(labelSource(afterEdit(proposal, new Uint8Array(4)))).toMatchObject({ kind: 'sam-assisted', edited: true });
    // Taking a newer proposal starts unedited again.
    expect(afterProposal(afterEdit(proposal, new Uint8Array(4)), new Uint8Array(4), teacher, prompts).edited).toBe(false);
  });

  it('editing an existing SAM-assisted label keeps its teacher and prompts; any other ground truth edited is drawn', () => {
    const sam = version({ provenance: 'sam-assisted', details: { teacher, prompts: [prompts], edited: false } });
    expect(originOf(sam)).toEqual({ kind: 'sam-assisted', teacher, prompts: [prompts] });
    expect(originOf(version({ provenance: 'imported' }))).toEqual({ kind: 'drawn' });
    expect(originOf(version({ provenance: 'promoted', details: { pseudoLabelVersion: 2 } }))).toEqual({ kind: 'drawn' });
    expect(originOf(null)).toEqual({ kind: 'drawn' });
  });

  it('says what a version is and what a save replaced', () => {
    expect(provenanceText(version({ hidden: true }))).toBe('v1 · imported (hidden from training)');
    expect(provenanceText(version({ version: 3, provenance: 'sam-assisted', details: { teacher, prompts: [prompts, prompts], edited: true } }))).toBe(
      'v3 · SAM-assisted (mobilesam “vit-t”, 2 prompts, edited)',
    );
    expect(provenanceText(version({ provenance: 'promoted', details: { pseudoLabelVersion: 2 } }))).toBe('v1 · accepted pseudo-label (from pseudo-label v2)');
    expect(provenanceText(version({ provenance: 'drawn', area: 0, details: { noFinding: true } }))).toBe('v1 · drawn (no finding)');
    expect(savedNotice({ maskId: 9, version: 1, area: 120, provenance: 'drawn', replaced: null })).toBe('Saved as ground truth v1 (drawn, 120 px)');
    expect(savedNotice({ maskId: 9, version: 2, area: 120, provenance: 'sam-assisted', replaced: version({ hidden: true, current: false }) })).toBe(
      'Saved as ground truth v2 (SAM-assisted, 120 px); it replaces v1 · imported (hidden from training), kept as a version',
    );
  });
});

describe('an empty label', () => {
  it('is empty when no pixel would be saved on (alpha above half)', () => {
    expect(labelIsEmpty(new Uint8Array(16))).toBe(true);
    expect(labelIsEmpty(Uint8Array.from([0, 127, 40, 0]))).toBe(true);
    expect(labelIsEmpty(Uint8Array.from([0, 0, 128, 0]))).toBe(false);
  });
});

describe('save and next unlabeled', () => {
  const images = [
    { id: 1, hasMask: true },
    { id: 2, hasMask: false },
    { id: 3, hasMask: true },
    { id: 4, hasMask: false },
  ];
  it('goes to the next image without ground truth, wrapping around, never to the current one', () => {
    expect(nextUnlabeled(images, 2)).toBe(4);
    expect(nextUnlabeled(images, 4)).toBe(2);
    expect(nextUnlabeled(images, 3)).toBe(4);
    expect(nextUnlabeled(images, null)).toBe(2);
    expect(nextUnlabeled([{ id: 2, hasMask: false }, { id: 5, hasMask: true }], 2)).toBeNull();
    expect(nextUnlabeled([], null)).toBeNull();
  });
});

describe('mask snapshots', () => {
  it('keep the alpha of the editable mask and put it back as white', () => {
    const rgba = new Uint8ClampedArray([9, 9, 9, 0, 255, 255, 255, 200, 1, 2, 3, 128]);
    const alpha = alphaOf(rgba);
    expect([...alpha]).toEqual([0, 200, 128]);
    expect([...rgbaOf(alpha, new Uint8ClampedArray(12))]).toEqual([255, 255, 255, 0, 255, 255, 255, 200, 255, 255, 255, 128]);
    expect(maskPixels(alpha)).toBe(2);
    expect(maskPixels(new Uint8Array([127]))).toBe(0);
  });
});
