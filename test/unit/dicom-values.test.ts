import { describe, expect, it } from 'vitest';
import {
  normaliseCS,
  normaliseDA,
  normaliseDicomValue,
  normaliseDT,
  normalisePN,
  normaliseTM,
  normaliseUI,
} from '../../src/main/export/dicom-values';
import { decodeDicomText } from '../../src/main/export/seg-source';

describe('DICOM values copied into a SEG are made valid for their VR', () => {
  it('DA: legacy separators removed, impossible dates emptied', () => {
    expect(normaliseDA('1993.04.30')).toBe('19930430');
    expect(normaliseDA('1993-04-30')).toBe('19930430');
    expect(normaliseDA('19930430')).toBe('19930430');
    expect(normaliseDA(' 20240229 ')).toBe('20240229');
    expect(normaliseDA('20230229')).toBe(''); // not a leap year
    expect(normaliseDA('19931330')).toBe('');
    expect(normaliseDA('April 30, 1993')).toBe('');
    expect(normaliseDA('')).toBe('');
  });

  it('TM: colons removed, fractions cut to six digits, impossible times emptied', () => {
    expect(normaliseTM('11:27:24')).toBe('112724');
    expect(normaliseTM('11:27')).toBe('1127');
    expect(normaliseTM('112724.123456789')).toBe('112724.123456');
    expect(normaliseTM('11:27:24.5')).toBe('112724.5');
    expect(normaliseTM('07')).toBe('07');
    expect(normaliseTM('25:00:00')).toBe('');
    expect(normaliseTM('1127245')).toBe('');
    expect(normaliseTM('noon')).toBe('');
  });

  it('DT: ISO-like date-times become DICOM ones, with their offset', () => {
    expect(normaliseDT('1993-04-30T11:27:24')).toBe('19930430112724');
    expect(normaliseDT('1993.04.30 11:27:24.25+01:00')).toBe('19930430112724.25+0100');
    expect(normaliseDT('19930430112724')).toBe('19930430112724');
    expect(normaliseDT('1993')).toBe('1993');
    expect(normaliseDT('19931301')).toBe('');
    expect(normaliseDT('yesterday')).toBe('');
  });

  it('PN: each component group within 64 characters, in both of dcmjs\'s forms', () => {
    const long = 'A'.repeat(80);
    expect(normalisePN(`${long}^Bob`)).toBe('A'.repeat(64));
    expect(normalisePN('Doe^John=ドウ^ジョン')).toBe('Doe^John=ドウ^ジョン');
    expect(normalisePN([{ Alphabetic: 'Anonymized' }])).toEqual([{ Alphabetic: 'Anonymized' }]);
    expect(normaliseDicomValue('PN', [{ Alphabetic: `${long}\u0000` }])).toEqual([{ Alphabetic: 'A'.repeat(64) }]);
    expect(normalisePN('Doe\\John')).toBe('Doe/John'); // a backslash would make it two names
  });

  it('LO, SH, LT: control characters and backslashes out, cut to the VR length', () => {
    expect(normaliseDicomValue('LO', `${'x'.repeat(70)}`)).toBe('x'.repeat(64));
    expect(normaliseDicomValue('SH', 'ACC-123456789012345')).toBe('ACC-123456789012');
    expect(normaliseDicomValue('LO', 'ID\\7\u0001 ')).toBe('ID/7');
    expect(normaliseDicomValue('LT', 'line one\r\nline two\\ok')).toBe('line one\r\nline two\\ok');
    expect(normaliseDicomValue('SH', 12345)).toBe('12345');
  });

  it('CS: upper case, allowed characters only, 16 characters', () => {
    expect(normaliseCS('m')).toBe('M');
    expect(normaliseCS('ORIGINAL-PRIMARY/AXIAL')).toBe('ORIGINAL_PRIMARY');
    expect(normaliseDicomValue('CS', ['derived', 'primary'])).toEqual(['DERIVED', 'PRIMARY']);
  });

  it('UI: kept exactly when it is digits and dots within 64 characters (references must match), else absent', () => {
    expect(normaliseUI('1.2.840.10008.5.1.4.1.1.7\u0000')).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(normaliseUI('1.2.840.0012.3')).toBe('1.2.840.0012.3');
    expect(normaliseUI('1.2.abc')).toBeUndefined();
    expect(normaliseUI(`1.${'2'.repeat(70)}`)).toBeUndefined();
    expect(normaliseDicomValue('UI', undefined)).toBeUndefined();
  });

  it('DS and IS: numbers within 16 and 12 characters; a vector with a non-number is dropped whole', () => {
    expect(normaliseDicomValue('DS', 0.5)).toBe('0.5');
    const third = normaliseDicomValue('DS', 1 / 3) as string;
    expect(third.length).toBeLessThanOrEqual(16);
    expect(Number(third)).toBeCloseTo(1 / 3, 12);
    const tiny = normaliseDicomValue('DS', -1.234567890123e-10) as string;
    expect(tiny.length).toBeLessThanOrEqual(16);
    expect(Number(tiny)).toBeCloseTo(-1.234567890123e-10, 18);
    expect(normaliseDicomValue('DS', [1, 0, 0, 0, 1, 0])).toEqual(['1', '0', '0', '0', '1', '0']);
    expect(normaliseDicomValue('DS', ['0.7', 'n/a'])).toBeUndefined();
    expect(normaliseDicomValue('IS', '42')).toBe('42');
    expect(normaliseDicomValue('IS', 4.5)).toBeUndefined();
  });

  it('text is decoded under the source\'s character set, ISO 2022 included; an unknown set reads as Latin-1', () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    expect(decodeDicomText(bytes(0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72), ['ISO_IR 100'])).toBe('Müller');
    expect(decodeDicomText(Buffer.from('Müller'), ['ISO_IR 192'])).toBe('Müller');
    // 山田 in ISO 2022 IR 87 between its escape sequences
    expect(decodeDicomText(bytes(0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42), ['', 'ISO 2022 IR 87'])).toBe('山田');
    // 홍 in ISO 2022 IR 149: the escape designates KS X 1001 as G1, then EUC-KR bytes
    expect(decodeDicomText(bytes(0x1b, 0x24, 0x29, 0x43, 0xc8, 0xab), ['', 'ISO 2022 IR 149'])).toBe('홍');
    expect(decodeDicomText(bytes(0xe9), ['NO SUCH SET'])).toBe('é');
  });
});
