import { describe, expect, it } from 'vitest';
import { encodePngRgb, sniffRaster } from '../../src/main/imaging/raster';
import { isDicom } from '../../src/main/imaging/dicom';
import { seededRandom } from '../../src/main/util/random';
import { nativeDicom } from '../fixtures/hostile-files';
import { mutate, type Seed } from '../fuzz/mutate';

const png: Seed = { name: 'grey.png', kind: 'png', bytes: encodePngRgb({ width: 16, height: 16, data: new Uint8Array(768).fill(90) }) };
const dicom: Seed = { name: 'native.dcm', kind: 'dicom', bytes: nativeDicom(8, 8, 2) };
const seeds = [png, dicom];

describe('the fuzz mutations', () => {
  it('replay exactly from a seed, so a failure found by `--seed S` can be reproduced', () => {
    const run = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, (_, i) => mutate(seeds[i % 2]!, seeds, r));
    };
    const a = run(7);
    const b = run(7);
    expect(a.map((m) => m.how)).toEqual(b.map((m) => m.how));
    expect(a.every((m, i) => m.bytes.equals(b[i]!.bytes))).toBe(true);
    expect(run(8).map((m) => m.how)).not.toEqual(a.map((m) => m.how));
  });

  it('change the file and mostly keep its signature, so mutants reach the decoders rather than the format sniffing', () => {
    const r = seededRandom(1);
    for (const seed of seeds) {
      const mutants = Array.from({ length: 200 }, () => mutate(seed, seeds, r));
      expect(mutants.filter((m) => m.bytes.equals(seed.bytes)).length).toBeLessThan(10);
      const recognised = mutants.filter((m) => (seed.kind === 'png' ? sniffRaster(m.bytes) === 'png' : isDicom(m.bytes)));
      expect(recognised.length).toBeGreaterThan(120);
    }
  });
});
