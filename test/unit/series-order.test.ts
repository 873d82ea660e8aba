import { describe, expect, it } from 'vitest';
import { orderSlices, slicePosition, type SliceKey } from '../../src/main/workspace/series';

const AXIAL = [1, 0, 0, 0, 1, 0];
const SAGITTAL = [0, 1, 0, 0, 0, -1];

function slice(id: number, over: Partial<SliceKey>): SliceKey {
  return { id, frameIndex: 0, instanceNumber: null, position: null, orientation: null, ...over };
}

describe('slice order', () => {
  it('measures a slice along the normal of its orientation', () => {
    expect(slicePosition([10, 20, -35.5], AXIAL)).toBeCloseTo(-35.5);
    // Sagittal: the normal is along x (row y × column −z).
    expect(slicePosition([12, 20, 30], SAGITTAL)).toBeCloseTo(-12);
    expect(slicePosition([1, 2, 3], null)).toBe(3);
    expect(slicePosition(null, AXIAL)).toBeNull();
  });

  it('orders by position first, even against instance numbers', () => {
    const s = [
      slice(1, { instanceNumber: 1, position: [0, 0, 10], orientation: AXIAL }),
      slice(2, { instanceNumber: 2, position: [0, 0, -5], orientation: AXIAL }),
      slice(3, { instanceNumber: 3, position: [0, 0, 2.5], orientation: AXIAL }),
    ];
    expect(orderSlices(s).map((x) => x.id)).toEqual([2, 3, 1]);
  });

  it('without a position on every slice, goes by InstanceNumber (missing last), then frame, then import order', () => {
    const s = [
      slice(5, { instanceNumber: 3 }),
      slice(6, { instanceNumber: 1 }),
      slice(7, { id: 7, frameIndex: 1 }),
      slice(8, { frameIndex: 0 }),
      slice(9, { instanceNumber: 2, position: [0, 0, -100] }),
      slice(4, { frameIndex: 0 }),
    ];
    expect(orderSlices(s).map((x) => x.id)).toEqual([6, 9, 5, 4, 8, 7]);
  });

  it('ties in position (two acquisitions at one place) go by instance number', () => {
    const s = [
      slice(1, { instanceNumber: 9, position: [0, 0, 0], orientation: AXIAL }),
      slice(2, { instanceNumber: 4, position: [0, 0, 0], orientation: AXIAL }),
    ];
    expect(orderSlices(s).map((x) => x.id)).toEqual([2, 1]);
  });
});
