import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DicomError, decodeDicom, isDicom, readDicomInfo, type DicomFrame } from '../../src/main/imaging/dicom';

const CS = 'cornerstone3D-dicomImageLoader/testImages';
const DP = 'dicomParser/testImages';
const FO = 'fo-dicom/Test Data';

import { mustDecode, pathOf, read, rows } from '../helpers/dicom-catalog';


/**
 * GH1261's JPEG lossless stream really codes a blank image (verified by hand: one SSSS=16
 * difference that takes the 32768 predictor to 0, then only zero differences), so "not constant"
 * cannot hold for it.
 */
const KNOWN_CONSTANT = new Set([`${FO}/GH1261.dcm`]);

function isConstant(frame: DicomFrame): boolean {
  const first = frame.data[0];
  for (let i = 1; i < frame.data.length; i++) if (frame.data[i] !== first) return false;
  return true;
}

async function expectDicomError(work: () => unknown): Promise<DicomError> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(DicomError);
    expect((error as DicomError).message.length).toBeGreaterThan(5);
    return error as DicomError;
  }
  throw new Error('expected a DicomError, but decoding succeeded');
}

describe('every file GDCM can decode decodes', () => {
  const decodable = rows.filter(mustDecode);
  it('covers most of the catalogue', () => {
    expect(decodable.length).toBeGreaterThan(80);
  });

  for (const row of decodable) {
    it(`${row.suite}/${row.file}`, async () => {
      const bytes = new Uint8Array(readFileSync(pathOf(row)));
      expect(isDicom(bytes)).toBe(true);
      const { info, frames } = await decodeDicom(bytes);
      const rowsN = Number(row.rows);
      const columnsN = Number(row.columns);
      const samples = row.photometric === 'PALETTE COLOR' ? 3 : Number(row.samples_per_pixel || 1);
      expect(info.rows).toBe(rowsN);
      expect(info.columns).toBe(columnsN);
      expect(info.bitsAllocated).toBe(Number(row.bits_allocated));
      expect(info.pixelRepresentation).toBe(Number(row.pixel_representation));
      expect(frames.length).toBe(Number(row.frames || 1));
      for (const frame of frames) {
        expect(frame.width).toBe(columnsN);
        expect(frame.height).toBe(rowsN);
        expect(frame.samples).toBe(samples);
        expect(frame.data.length).toBe(rowsN * columnsN * samples);
        if (samples === 3) expect(frame.dtype).toBe('uint8');
        else expect(frame.dtype.startsWith('int')).toBe(row.pixel_representation === '1');
      }
      expect(isConstant(frames[0]!)).toBe(KNOWN_CONSTANT.has(`${row.suite}/${row.file}`));
    });
  }
});

describe('every other file decodes or gives a DicomError', () => {
  for (const row of rows.filter((r) => !mustDecode(r))) {
    it(`${row.suite}/${row.file}`, async () => {
      const bytes = new Uint8Array(readFileSync(pathOf(row)));
      try {
        readDicomInfo(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(DicomError);
      }
      try {
        const { frames } = await decodeDicom(bytes);
        expect(frames.length).toBeGreaterThan(0);
      } catch (error) {
        expect(error).toBeInstanceOf(DicomError);
        expect((error as Error).message).not.toMatch(/undefined|\[object/);
      }
    });
  }

  it('says why, for the files broken in known ways', async () => {
    const reason = async (relative: string) => (await expectDicomError(() => decodeDicom(read(relative)))).message;
    expect(await reason(`${CS}/no-pixel-data.dcm`)).toMatch(/^no pixel data/);
    expect(await reason(`${FO}/GH1146.dcm`)).toMatch(/empty pixel data/);
    expect(await reason(`${FO}/genFile.dcm`)).toMatch(/^JPEG decoding failed: .*no JPEG start-of-image marker/);
    // Frame 14 of this cine loop is a 55-line JPEG in a 240-line series.
    expect(await reason(`${FO}/multiframe.dcm`)).toMatch(/frame 14 decodes to 55×240/);
  });
});

// ---------------------------------------------------------------------------------------------
// One image, many encodings.

interface Decoded {
  frames: DicomFrame[];
  slope: number;
  intercept: number;
}

async function decodeFile(relative: string): Promise<Decoded> {
  const { info, frames } = await decodeDicom(read(relative));
  return { frames, slope: info.rescaleSlope, intercept: info.rescaleIntercept };
}

function storedMismatches(a: Decoded, b: Decoded): number {
  expect(b.frames.length).toBe(a.frames.length);
  let mismatches = 0;
  a.frames.forEach((frame, k) => {
    const other = b.frames[k]!;
    expect(other.data.length).toBe(frame.data.length);
    for (let i = 0; i < frame.data.length; i++) if (frame.data[i] !== other.data[i]) mismatches++;
  });
  return mismatches;
}

/** Differences in modality units (stored × slope + intercept), after removing `offset`. */
function modalityDifference(a: Decoded, b: Decoded, offset = 0): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  let count = 0;
  a.frames.forEach((frame, k) => {
    const other = b.frames[k]!;
    for (let i = 0; i < frame.data.length; i++) {
      const va = frame.samples === 1 ? frame.data[i]! * a.slope + a.intercept : frame.data[i]!;
      const vb = other.samples === 1 ? other.data[i]! * b.slope + b.intercept : other.data[i]!;
      const d = Math.abs(vb - va - offset);
      sum += d;
      if (d > max) max = d;
      count++;
    }
  });
  return { mean: sum / count, max };
}

function medianOffset(a: Decoded, b: Decoded): number {
  const diffs = Float64Array.from(a.frames[0]!.data, (v, i) => b.frames[0]!.data[i]! - v).sort();
  return diffs[diffs.length >> 1]!;
}

describe('the same image in lossless transfer syntaxes gives identical stored pixels', () => {
  const groups: Record<string, { reference: string; lossless: string[] }> = {
    'NEMA CT1 (dicomParser, cornerstone, fo-dicom)': {
      reference: `${DP}/CT1_UNC.explicit_little_endian.dcm`,
      lossless: [
        `${DP}/CT1_UNC.explicit_big_endian.dcm`,
        `${DP}/CT1_UNC.implicit_little_endian.dcm`,
        `${DP}/encapsulated/single-frame/CT1_UNC.explicit_little_endian.dcm`,
        `${DP}/encapsulated/single-frame/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm`,
        `${DP}/encapsulated/single-frame/CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm`,
        `${DP}/encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm`,
        `${DP}/encapsulated/single-frame/CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm`,
        `${CS}/CT1_J2KR`,
        `${FO}/D_CLUNIE_CT1_RLE_FRAGS.dcm`,
        `${FO}/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_ELE_undefinded_length.dcm`,
      ],
    },
    'CT0012 two-frame enhanced CT (dicomParser)': {
      reference: `${DP}/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm`,
      lossless: [
        'fragmented_no_bot_jpeg_lossless.57',
        'fragmented_no_bot_jpeg_lossless.70',
        'fragmented_no_bot_jpeg_ls.80',
        'not_fragmented_bot_jpeg_ls.80',
        'not_fragmented_no_bot_jpeg_ls.80',
        'not_fragmented_bot_rle',
        'not_fragmented_no_bot_rle',
      ].map((variant) => `${DP}/encapsulated/multi-frame/CT0012.${variant}.dcm`),
    },
    'CTImage.dcm (cornerstone, every lossless transfer syntax)': {
      reference: `${CS}/CTImage.dcm`,
      lossless: [
        'LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2',
        'LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1',
        'DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99',
        'BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2',
        'JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57',
        'JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70',
        'JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80',
        'JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90',
        'RLELosslessTransferSyntax_1.2.840.10008.1.2.5',
      ].map((variant) => `${CS}/CTImage.dcm_${variant}.dcm`),
    },
    'colour test pattern (cornerstone)': {
      reference: `${CS}/TestPattern_RGB.dcm`,
      lossless: [`${CS}/TestPattern_JPEG-LS-Lossless.dcm`, `${CS}/TestPattern_JPEG-Lossless_RGB.dcm`, `${FO}/TestPattern_RGB.dcm`],
    },
  };

  for (const [name, group] of Object.entries(groups)) {
    it(name, async () => {
      const reference = await decodeFile(group.reference);
      for (const variant of group.lossless) {
        const decoded = await decodeFile(variant);
        expect({ variant, mismatches: storedMismatches(reference, decoded) }).toEqual({ variant, mismatches: 0 });
      }
    });
  }
});

describe('lossy encodings of the same image stay close', () => {
  // [variant, reference, largest mean |difference| in modality units, largest single difference]
  // Limits sit about 1.5× above what the files measure; the near-lossless JPEG-LS ones are bounded
  // by their NEAR parameter, so their maximum is checked too.
  const cases: [string, string, number, number][] = [
    [`${CS}/CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm`, `${CS}/CTImage.dcm`, 1, 20],
    [`${CS}/CTImage.dcm_JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm`, `${CS}/CTImage.dcm`, 1, 2],
    // 12-bit JPEG re-scaled from 16-bit CT (slope 2): quantisation alone is ±1 HU.
    [`${CS}/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm`, `${CS}/CTImage.dcm`, 6, 60],
    [`${CS}/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm`, `${CS}/CTImage.dcm`, 6, 60],
    [`${CS}/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm`, `${CS}/CTImage.dcm`, 6, 60],
    // 8-bit JPEG of a CT (slope 32): each stored step is 32 HU.
    [`${CS}/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm`, `${CS}/CTImage.dcm`, 30, 100],
    [`${DP}/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.81.dcm`, `${DP}/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm`, 1, 2],
    [`${FO}/CT1_J2KI`, `${DP}/CT1_UNC.explicit_little_endian.dcm`, 40, 500],
    [`${CS}/TestPattern_JPEG-LS-NearLossless.dcm`, `${CS}/TestPattern_RGB.dcm`, 1.5, 2],
    [`${CS}/TestPattern_JPEG-Baseline_YBRFull.dcm`, `${CS}/TestPattern_RGB.dcm`, 1.5, 80],
    [`${CS}/TestPattern_JPEG-Baseline_YBR422.dcm`, `${CS}/TestPattern_RGB.dcm`, 1.5, 110],
    [`${DP}/encapsulated/multi-frame/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm`, `${DP}/encapsulated/multi-frame/IM00001.implicit_little_endian.dcm`, 3.5, 60],
    [`${FO}/GH538-jpeg1.dcm`, `${FO}/GH538-jpeg14sv1.dcm`, 1.5, 60],
  ];
  for (const [variant, reference, meanLimit, maxLimit] of cases) {
    it(variant, async () => {
      const { mean, max } = modalityDifference(await decodeFile(reference), await decodeFile(variant));
      expect(mean).toBeLessThan(meanLimit);
      expect(max).toBeLessThanOrEqual(maxLimit);
    });
  }

  it('CT0012 12-bit JPEG (both suites) matches its source up to a constant offset', async () => {
    // The encoder moved the stored values up by ~1023 without updating the functional-group
    // rescale intercept; everything else matches within JPEG error.
    const reference = await decodeFile(`${DP}/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm`);
    for (const variant of [`${DP}/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm`, `${CS}/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm`]) {
      const decoded = await decodeFile(variant);
      const offset = medianOffset(reference, decoded);
      expect(Math.abs(offset - 1023)).toBeLessThanOrEqual(1);
      const { mean, max } = modalityDifference(reference, decoded, offset);
      expect(mean).toBeLessThan(2);
      expect(max).toBeLessThan(25);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Broken input.

describe('broken input gives a DicomError with a reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apprentice-dicom-'));
  const writeAndRead = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    return new Uint8Array(readFileSync(join(dir, name)));
  };

  it('truncated native pixel data', async () => {
    const whole = read(`${DP}/CT1_UNC.explicit_little_endian.dcm`);
    const cut = writeAndRead('truncated.dcm', whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(isDicom(cut)).toBe(true);
    expect(readDicomInfo(cut).rows).toBe(512); // the header is intact
    const error = await expectDicomError(() => decodeDicom(cut));
    expect(error.message).toMatch(/^truncated pixel data: expected 524288 bytes, found \d+$/);
  });

  it('truncated compressed pixel data', async () => {
    const whole = read(`${CS}/CT1_J2KR`);
    const cut = writeAndRead('truncated-j2k.dcm', whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect((await expectDicomError(() => decodeDicom(cut))).message).toMatch(/truncated pixel data/);
  });

  it('not DICOM at all', async () => {
    const text = writeAndRead('notes.txt', new TextEncoder().encode('Patient notes, not an image.\n'.repeat(20)));
    expect(isDicom(text)).toBe(false);
    expect((await expectDicomError(() => decodeDicom(text))).message).toMatch(/^not a DICOM file/);
    expect(() => readDicomInfo(text)).toThrow(DicomError);
    const empty = writeAndRead('empty.dcm', new Uint8Array(0));
    expect(isDicom(empty)).toBe(false);
    await expectDicomError(() => decodeDicom(empty));
  });

  it('corrupt codestreams fail cleanly and leave the codecs usable', async () => {
    for (const relative of [
      `${CS}/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm`,
      `${CS}/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm`,
      `${CS}/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm`,
      `${CS}/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm`,
      `${CS}/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm`,
      `${CS}/CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm`,
    ]) {
      const bytes = read(relative);
      const broken = bytes.slice();
      // Overwrite the codestream's own headers (JPEG tables/SOF, J2K SIZ, RLE segment table).
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let p = Buffer.from(bytes).lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])) + 12;
      p += 8 + view.getUint32(p + 4, true); // skip the Basic Offset Table item
      const fragment = p + 8;
      broken.fill(0x5a, fragment + 2, fragment + 60);
      await expectDicomError(() => decodeDicom(broken));
      const again = await decodeDicom(bytes);
      expect(isConstant(again.frames[0]!)).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Colour.

describe('colour', () => {
  // Centres of the six colour bars of the test pattern (row 155) and their RGB values.
  const bars: [number, [number, number, number]][] = [
    [175, [192, 192, 0]],
    [232, [0, 192, 192]],
    [290, [0, 192, 0]],
    [348, [192, 0, 192]],
    [405, [192, 0, 0]],
    [460, [0, 0, 192]],
  ];
  for (const name of [
    'TestPattern_RGB.dcm',
    'TestPattern_JPEG-Baseline_YBRFull.dcm',
    'TestPattern_JPEG-Baseline_YBR422.dcm',
    'TestPattern_JPEG-LS-NearLossless.dcm',
    'TestPattern_JPEG-Lossless_RGB.dcm',
    'TestPattern_Palette.dcm',
    'TestPattern_Palette_16.dcm',
  ]) {
    it(`${name} shows the colour bars as RGB`, async () => {
      const { info, frames } = await decodeDicom(read(`${CS}/${name}`));
      const frame = frames[0]!;
      expect(frame.samples).toBe(3);
      expect(frame.dtype).toBe('uint8');
      if (name.includes('Palette')) expect(info.photometric).toBe('PALETTE COLOR');
      for (const [x, expected] of bars) {
        const at = (155 * frame.width + x) * 3;
        const actual = Array.from(frame.data.subarray(at, at + 3));
        actual.forEach((value, c) => expect(Math.abs(value - expected[c]!)).toBeLessThan(12));
      }
    });
  }

  it('uncompressed YBR_FULL_422 becomes RGB', async () => {
    const { info, frames } = await decodeDicom(read(`${CS}/US-YBR_FULL_422-EVRLE.dcm`));
    expect(info.photometric).toBe('YBR_FULL_422');
    expect(frames[0]!.samples).toBe(3);
    expect(frames[0]!.data.length).toBe(800 * 555 * 3);
    // A grey ultrasound: R, G and B agree almost everywhere.
    const d = frames[0]!.data;
    let colourful = 0;
    for (let i = 0; i < d.length; i += 3) if (Math.abs(d[i]! - d[i + 1]!) > 24 || Math.abs(d[i + 2]! - d[i + 1]!) > 24) colourful++;
    expect(colourful / (d.length / 3)).toBeLessThan(0.02);
  });

  it('RLE palette colour gives RGB', async () => {
    const { frames } = await decodeDicom(read(`${CS}/no-pixel-spacing.dcm`));
    expect(frames[0]!.samples).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
// Header values and smaller features.

describe('header', () => {
  it('reads rescale, window, spacing and UIDs', () => {
    const info = readDicomInfo(read(`${CS}/CTImage.dcm`));
    expect(info).toMatchObject({
      transferSyntax: '1.2.840.10008.1.2',
      modality: 'CT',
      photometric: 'MONOCHROME2',
      rows: 512,
      columns: 512,
      bitsAllocated: 16,
      bitsStored: 16,
      pixelRepresentation: 1,
      samplesPerPixel: 1,
      frames: 1,
      rescaleSlope: 1,
      rescaleIntercept: -1024,
      windowCenter: 40,
      windowWidth: 400,
      pixelSpacing: [0.675781, 0.675781],
    });
    expect(info.studyUid).toMatch(/^[\d.]+$/);
    expect(info.seriesUid).toMatch(/^[\d.]+$/);
    expect(info.sopUid).toMatch(/^[\d.]+$/);
  });

  it('finds enhanced multi-frame values in the functional groups', () => {
    const info = readDicomInfo(read(`${DP}/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm`));
    expect(info).toMatchObject({ frames: 2, rescaleIntercept: -1024, windowCenter: 49, windowWidth: 102, pixelSpacing: [0.388672, 0.388672] });
  });

  it('reads files without preamble and reports MONOCHROME1 as is', async () => {
    const bytes = read(`${FO}/CR-MONO1-10-chest`);
    expect(isDicom(bytes)).toBe(true);
    const { info, frames } = await decodeDicom(bytes);
    expect(info.transferSyntax).toBe('1.2.840.10008.1.2');
    expect(info.photometric).toBe('MONOCHROME1');
    expect(frames[0]!.dtype).toBe('uint16');
    expect(frames[0]!.max).toBeLessThan(1024); // 10 bits stored
  });

  it('absent values are null or the defaults', () => {
    const info = readDicomInfo(read(`${CS}/TestPattern_RGB.dcm`));
    expect(info.rescaleSlope).toBe(1);
    expect(info.rescaleIntercept).toBe(0);
    expect(info.windowCenter).toBeNull();
    expect(info.windowWidth).toBeNull();
  });

  it('maxFrames limits the frames decoded', async () => {
    const { info, frames } = await decodeDicom(read(`${FO}/HasFragmentSequence.dcm`), { maxFrames: 3 });
    expect(info.frames).toBe(96);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2]);
  });

  it('signed stored values keep their sign and masked bits', async () => {
    const { frames } = await decodeDicom(read(`${DP}/CT1_UNC.explicit_little_endian.dcm`));
    expect(frames[0]!.dtype).toBe('int16');
    expect(frames[0]!.min).toBe(-2000);
    const twelveBit = await decodeDicom(read(`${FO}/GH342.dcm`));
    expect(twelveBit.frames[0]!.max).toBeLessThan(4096);
  });
});

describe('synthetic files', () => {
  /** A minimal Part 10 file with an explicit VR little endian data set, for cases the real files lack. */
  function buildDicom(elements: [number, number, string, Uint8Array][], transferSyntax = '1.2.840.10008.1.2.1'): Uint8Array {
    const encodeElement = ([group, element, vr, value]: [number, number, string, Uint8Array]) => {
      const padded = value.length % 2 ? new Uint8Array([...value, vr === 'UI' ? 0 : 0x20]) : value;
      const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
      const header = new DataView(new ArrayBuffer(long ? 12 : 8));
      header.setUint16(0, group, true);
      header.setUint16(2, element, true);
      header.setUint8(4, vr.charCodeAt(0));
      header.setUint8(5, vr.charCodeAt(1));
      if (long) header.setUint32(8, padded.length, true);
      else header.setUint16(6, padded.length, true);
      return [new Uint8Array(header.buffer), padded];
    };
    const text = (s: string) => new TextEncoder().encode(s);
    const meta = [[0x0002, 0x0010, 'UI', text(transferSyntax)] as [number, number, string, Uint8Array]].flatMap(encodeElement);
    const metaLength = meta.reduce((n, part) => n + part.length, 0);
    const groupLength = encodeElement([0x0002, 0x0000, 'UL', new Uint8Array(new Uint32Array([metaLength]).buffer)]);
    const body = elements.flatMap(encodeElement);
    const parts = [new Uint8Array(128), text('DICM'), ...groupLength, ...meta, ...body];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  it('unpacks bits, least significant first, across frames that do not start on a byte', async () => {
    const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);
    const text = (s: string) => new TextEncoder().encode(s);
    // Two 3×5 frames = 30 bits: frame 1 starts at bit 15.
    const bits = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 || i === 29 ? 1 : 0));
    const packed = new Uint8Array(4);
    bits.forEach((bit, i) => (packed[i >> 3]! |= bit << (i & 7)));
    const file = buildDicom([
      [0x0008, 0x0060, 'CS', text('OT')],
      [0x0028, 0x0002, 'US', us(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0008, 'IS', text('2')],
      [0x0028, 0x0010, 'US', us(3)],
      [0x0028, 0x0011, 'US', us(5)],
      [0x0028, 0x0100, 'US', us(1)],
      [0x0028, 0x0101, 'US', us(1)],
      [0x0028, 0x0102, 'US', us(0)],
      [0x0028, 0x0103, 'US', us(0)],
      [0x7fe0, 0x0010, 'OB', packed],
    ]);
    const { frames } = await decodeDicom(file);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.dtype).toBe('uint8');
    expect(Array.from(frames[0]!.data)).toEqual(bits.slice(0, 15));
    expect(Array.from(frames[1]!.data)).toEqual(bits.slice(15));
  });

  it('names video transfer syntaxes as unsupported', async () => {
    const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);
    const text = (s: string) => new TextEncoder().encode(s);
    const file = buildDicom(
      [
        [0x0028, 0x0002, 'US', us(3)],
        [0x0028, 0x0004, 'CS', text('YBR_PARTIAL_420')],
        [0x0028, 0x0010, 'US', us(16)],
        [0x0028, 0x0011, 'US', us(16)],
        [0x0028, 0x0100, 'US', us(8)],
        [0x7fe0, 0x0010, 'OB', new Uint8Array(64)],
      ],
      '1.2.840.10008.1.2.4.100',
    );
    expect(readDicomInfo(file).transferSyntax).toBe('1.2.840.10008.1.2.4.100');
    const error = await expectDicomError(() => decodeDicom(file));
    expect(error.message).toBe('unsupported transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2)');
  });
});
