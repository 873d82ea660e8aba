import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDicomForImport } from '../../src/main/imaging/decode-for-import';
import { decodeRaster } from '../../src/main/imaging/raster';
import { SHARED_DATA } from '../helpers/data';

// The 16×16 slices of source-ct2 carry a soft-tissue window (C 30 / W 100) while most of them hold
// bone (≈ 80…1500 HU): through that window their thumbnails were plain white.

const CT2 = join(SHARED_DATA, 'dicom-seg/source-ct2');

async function slice(name: string) {
  const { info, frames } = await decodeDicomForImport(new Uint8Array(readFileSync(join(CT2, name))));
  const grey = [...decodeRaster(frames[0]!.thumbnail).data].filter((_, i) => i % 3 === 0);
  const hu = [...frames[0]!.data].map((v) => v * info.rescaleSlope + info.rescaleIntercept);
  return { info, grey, hu };
}

describe('CT thumbnails', () => {
  it('show what every source-ct2 slice holds, not one flat grey', async () => {
    for (const name of readdirSync(CT2).sort()) {
      const { grey } = await slice(name);
      expect(Math.max(...grey) - Math.min(...grey), name).toBeGreaterThan(100);
    }
  });

  it('keep the file’s window when it shows the slice: black below it, white above it', async () => {
    const { info, grey, hu } = await slice('17106');
    expect([info.windowCenter, info.windowWidth]).toEqual([30, 100]);
    hu.forEach((v, i) => {
      if (v <= -20) expect(grey[i], `pixel ${i} at ${v} HU`).toBe(0);
      if (v >= 80) expect(grey[i], `pixel ${i} at ${v} HU`).toBe(255);
    });
    expect(hu.some((v) => v <= -20)).toBe(true);
  });
});
