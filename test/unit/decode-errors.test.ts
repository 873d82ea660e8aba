import { describe, expect, it } from 'vitest';
import { explainDecodeError } from '../../src/main/imaging/decode-errors';

describe('decoder complaints a radiologist can act on', () => {
  it('a library’s internal words become "damaged or cut short", with what was expected and the words kept last', () => {
    const m = explainDecodeError('JPEG', 'marker was not found');
    expect(m).toMatch(/^the JPEG data is damaged or cut short: expected a complete JPEG stream/);
    expect(m).toMatch(/\(the decoder said: marker was not found\)$/);
    expect(explainDecodeError('PNG', 'There are some read requests waitng on finished stream')).toMatch(/PNG data is damaged or cut short/);
    expect(explainDecodeError('DICOM', 'parsing stopped early: dicomParser:parseDicomDataSetExplicit: buffer overrun')).toMatch(/DICOM data is damaged/);
  });

  it('our own messages, which already say what was expected, pass unchanged', () => {
    expect(explainDecodeError('PNG', 'PNG header claims an invalid size 0×10')).toBe('PNG header claims an invalid size 0×10');
  });
});
