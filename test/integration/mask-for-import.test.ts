import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../../src/main/imaging/decode-client';
import { decodeMaskValues, encodeGreyPng, groundTruthPngs } from '../../src/main/imaging/mask';
import { applyMaskRules, maskFractions } from '../../src/main/imaging/mask-rules';
import { KVASIR_MASKS } from '../helpers/data';

// An import's masks are read by the rules and encoded in the decode process, next to their decode:
// what comes back must be what the importing process would have made, and the PNGs must arrive as
// the PNGs of that very map (saveLabelMap uses them only then, else it encodes the map again).

describe('mask files read by the rules in the decode process', () => {
  const pool = new DecodePool(1);
  afterAll(() => pool.close());
  const settings = { ignore: null, known: [1], newStructures: false };

  it('a Kvasir JPEG mask: the rules, shares and PNGs the importing process would make, the PNGs tied to the map', async () => {
    const bytes = readFileSync(join(KVASIR_MASKS, readdirSync(KVASIR_MASKS).sort()[7]!));
    const m = await pool.decode('maskForImport', bytes, { maskRules: settings });
    if ('error' in m) throw new Error(m.error);
    const here = applyMaskRules(decodeMaskValues(bytes), { ...settings, known: new Set([1]), lossy: true });
    expect(m.ruled).toEqual(here);
    expect(m.fractions).toEqual(maskFractions(here.map));
    const pngs = groundTruthPngs(here.map);
    expect(Buffer.compare(m.pngs.mask, pngs.mask)).toBe(0);
    expect(m.pngs.labelMap).toBeNull();
    expect(m.pngs.map).toBe(m.ruled.map);
  });

  it('a file no rule fits comes back with the reason and its size, the schema as given', async () => {
    const values = new Uint8Array(6 * 4).map((_, i) => (i % 3 === 0 ? 2 : 0));
    const png = encodeGreyPng({ width: 6, height: 4, data: values });
    const refused = await pool.decode('maskForImport', png, { maskRules: settings });
    expect(refused).toMatchObject({ width: 6, height: 4, error: expect.stringMatching(/label value 2 .*not in the label schema/) });
    const added = await pool.decode('maskForImport', png, { maskRules: { ...settings, newStructures: true } });
    expect(added).toMatchObject({ ruled: { rule: 'label-map', newValues: [2] } });
  });
});
