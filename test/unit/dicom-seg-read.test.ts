import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDicomInfo } from '../../src/main/imaging/dicom';
import { readDicomSeg } from '../../src/main/imaging/dicom-seg-read';
import { SHARED_DATA } from '../helpers/data';

// highdicom's SEG test objects with the pydicom CT slices they label (../shared/data/README.md).
const SEG_DIR = join(SHARED_DATA, 'dicom-seg');
const seg = (name: string) => readFileSync(join(SEG_DIR, name));
const ctUids = () =>
  new Set(readdirSync(join(SEG_DIR, 'source-ct2')).map((f) => readDicomInfo(readFileSync(join(SEG_DIR, 'source-ct2', f))).sopUid));

describe('DICOM SEG reader on highdicom files', () => {
  it('reads a BINARY SEG: one coded segment, frames referencing the CT slices by SOP Instance UID', () => {
    const parsed = readDicomSeg(seg('seg_image_ct_binary.dcm'));
    expect(parsed).toMatchObject({ segmentationType: 'BINARY', threshold: null, rows: 16, columns: 16 });
    expect(parsed.segments).toEqual([
      {
        number: 1,
        label: 'first segment',
        category: { value: '85756007', scheme: 'SCT', meaning: 'Tissue' },
        type: { value: '272673000', scheme: 'SCT', meaning: 'Bone' },
        algorithmType: expect.any(String),
      },
    ]);
    expect(parsed.frames).toHaveLength(3);
    const uids = ctUids();
    for (const f of parsed.frames) {
      expect(uids.has(f.source!.sopInstanceUid)).toBe(true);
      expect(f.source!.frameIndex).toBe(0);
      expect(f.segment).toBe(1);
    }
    expect(parsed.frames.some((f) => f.mask.data.some((v) => v === 1))).toBe(true);
  });

  it('reads overlapping segments as separate frames, each its own segment', () => {
    const parsed = readDicomSeg(seg('seg_image_ct_binary_overlap.dcm'));
    expect(parsed.segments.map((s) => [s.number, s.label])).toEqual([[1, 'first segment'], [2, 'second segment']]);
    expect(parsed.frames).toHaveLength(8);
    expect(new Set(parsed.frames.map((f) => f.segment))).toEqual(new Set([1, 2]));
    // Overlap: some slice has pixels in both segments at once.
    const bySource = new Map<string, Map<number, Uint8Array>>();
    for (const f of parsed.frames) {
      const m = bySource.get(f.source!.sopInstanceUid) ?? new Map();
      m.set(f.segment, f.mask.data);
      bySource.set(f.source!.sopInstanceUid, m);
    }
    const overlaps = [...bySource.values()].some((m) => m.get(1) && m.get(2) && m.get(1)!.some((v, i) => v && m.get(2)![i]));
    expect(overlaps).toBe(true);
  });

  it('thresholds FRACTIONAL frames (default 0.5 of MaximumFractionalValue); a FRACTIONAL SEG of 0/1 equals its BINARY twin', () => {
    const binary = readDicomSeg(seg('seg_image_ct_binary.dcm'));
    const fractional01 = readDicomSeg(seg('seg_image_ct_binary_fractional.dcm'));
    expect(fractional01).toMatchObject({ segmentationType: 'FRACTIONAL', threshold: 0.5 });
    expect(fractional01.frames.map((f) => Array.from(f.mask.data))).toEqual(binary.frames.map((f) => Array.from(f.mask.data)));
    const low = readDicomSeg(seg('seg_image_ct_true_fractional.dcm'), { threshold: 0.1 });
    const high = readDicomSeg(seg('seg_image_ct_true_fractional.dcm'), { threshold: 0.9 });
    const area = (p: typeof low) => p.frames.reduce((n, f) => n + f.mask.data.reduce((a, v) => a + v, 0), 0);
    expect(area(low)).toBeGreaterThan(area(high));
    expect(() => readDicomSeg(seg('seg_image_ct_true_fractional.dcm'), { threshold: 0 })).toThrow(/outside \(0, 1\]/);
  });

  it('reads a single-frame SEG of a 128×128 CT (CT_small.dcm)', () => {
    const parsed = readDicomSeg(seg('seg_image_ct_binary_single_frame.dcm'));
    const small = readDicomInfo(seg('CT_small.dcm'));
    expect(parsed.frames).toHaveLength(1);
    expect(parsed.frames[0]!.source).toEqual({ sopInstanceUid: small.sopUid, frameIndex: 0 });
    expect([parsed.rows, parsed.columns]).toEqual([128, 128]);
  });

  it('refuses what is not a SEG and a SEG whose pixel data is cut short', () => {
    expect(() => readDicomSeg(seg('CT_small.dcm'))).toThrow(/not a DICOM SEG/);
    const whole = seg('seg_image_ct_binary_overlap.dcm');
    expect(() => readDicomSeg(whole.subarray(0, whole.length - 100))).toThrow(/SEG/);
  });
});
