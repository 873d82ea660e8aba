import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DicomError, decodeDicom, readDicomInfo } from '../../src/main/imaging/dicom';
import { dicomParser } from '../../src/main/imaging/dicom-parse';
import { nativeDicom } from '../fixtures/hostile-files';
import { DICOM_DIR } from '../helpers/data';

// The fuzz's NumberOfFrames mutation (test/fuzz/mutate.ts) on real files: one native, one encapsulated.
const NATIVE = 'fo-dicom/Test Data/charset/chrFren.dcm'; // 32×32, explicit VR little endian, no NumberOfFrames
const ENCAPSULATED = 'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm'; // 2 frames of 512×512, several fragments each

const FRAMES_TAG = Buffer.from([0x28, 0x00, 0x08, 0x00]);

/** Explicit VR elements whose length takes 4 bytes after 2 reserved ones (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * An explicit VR little endian file with its NumberOfFrames (0028,0008) set to `frames`: the
 * element rewritten where the file has one, else inserted before the first top-level element
 * after it, as a writer would have put it.
 */
function withNumberOfFrames(file: Buffer, frames: number): Buffer {
  const value = Buffer.from(String(frames).length % 2 ? `${frames} ` : String(frames), 'latin1');
  const element = Buffer.concat([FRAMES_TAG, Buffer.from('IS', 'latin1'), Buffer.from([value.length, 0]), value]);
  const dataSet = dicomParser.parseDicom(new Uint8Array(file));
  const existing = dataSet.elements['x00280008'];
  if (existing) {
    return Buffer.concat([file.subarray(0, existing.dataOffset - 8), element, file.subarray(existing.dataOffset + existing.length)]);
  }
  const next = Object.values(dataSet.elements)
    .filter((e) => e.tag > 'x00280008')
    .sort((a, b) => a.dataOffset - b.dataOffset)[0]!;
  const start = next.dataOffset - (LONG_VRS.has(next.vr ?? '') ? 12 : 8);
  expect(file.subarray(start, start + 2).readUInt16LE(0)).toBe(Number.parseInt(next.tag.slice(1, 5), 16));
  return Buffer.concat([file.subarray(0, start), element, file.subarray(start)]);
}

const shared = (relative: string) => readFileSync(join(DICOM_DIR, relative));

/** CPU seconds (user + system) of this process spent in `work`, and what it threw. */
async function cpuOfRefusal(work: () => unknown): Promise<{ cpuS: number; error: unknown }> {
  const before = process.cpuUsage();
  let error: unknown = null;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  const spent = process.cpuUsage(before);
  return { cpuS: (spent.user + spent.system) / 1e6, error };
}

describe('a DICOM header claiming 99,999,999 frames is refused from the header, before any per-frame work', () => {
  const cases: [string, () => Buffer, string][] = [
    ['a real native file', () => withNumberOfFrames(shared(NATIVE), 99_999_999), '32×32'],
    ['a real encapsulated (JPEG) file', () => withNumberOfFrames(shared(ENCAPSULATED), 99_999_999), '512×512'],
    ['a generated file of 1×1 frames with 2 bytes of pixel data', () => nativeDicom(1, 1, 99_999_999, 2), '1×1'],
  ];

  for (const [what, make, size] of cases) {
    it(`${what}: decoding stops in well under a second of CPU, naming the claim and the limit`, async () => {
      const file = make();
      const { cpuS, error } = await cpuOfRefusal(() => decodeDicom(file));
      // Building the per-frame positions of this header took 6 s of CPU before the limit refused it.
      expect(cpuS).toBeLessThan(1);
      expect(error).toBeInstanceOf(DicomError);
      expect((error as Error).message).toBe(
        `image too large to decode (the header claims 99999999 frames of ${size}): 99999999 frames, above the limit of 10000 per file (APPRENTICE_MAX_FRAMES)`,
      );
    });
  }

  it('reading only the header refuses the claim just as fast', async () => {
    const { cpuS, error } = await cpuOfRefusal(() => readDicomInfo(nativeDicom(1, 1, 99_999_999, 2)));
    expect(cpuS).toBeLessThan(1);
    expect(error).toBeInstanceOf(DicomError);
    expect((error as Error).message).toMatch(/the header claims 99999999 frames of 1×1\): 99999999 frames, above the limit of 10000/);
  });

  it('the limit is the setting: a frame count within APPRENTICE_MAX_FRAMES reads its header', () => {
    const file = nativeDicom(1, 1, 20_000, 2);
    expect(() => readDicomInfo(file)).toThrow(/20000 frames, above the limit of 10000/);
    process.env.APPRENTICE_MAX_FRAMES = '20000';
    try {
      expect(readDicomInfo(file).frames).toBe(20_000);
    } finally {
      delete process.env.APPRENTICE_MAX_FRAMES;
    }
  });
});

describe('a frame count within the limit that the pixel data cannot hold is refused before the first frame', () => {
  it('native: the pixel data length against rows × columns × frames × bytes', async () => {
    await expect(decodeDicom(withNumberOfFrames(shared(NATIVE), 1000))).rejects.toThrow(
      `truncated pixel data: expected ${32 * 32 * 1000} bytes, found ${32 * 32}`,
    );
    await expect(decodeDicom(nativeDicom(1, 1, 10_000, 2))).rejects.toThrow('truncated pixel data: expected 10000 bytes, found 2');
  });

  it('encapsulated: more frames claimed than fragments in the pixel data', async () => {
    const file = withNumberOfFrames(shared(ENCAPSULATED), 1000);
    const fragments = dicomParser.parseDicom(new Uint8Array(file)).elements['x7fe00010']!.fragments!.length;
    expect(fragments).toBeLessThan(1000);
    await expect(decodeDicom(file)).rejects.toThrow(
      `the header claims 1000 frames, but the encapsulated pixel data holds only ${fragments} fragments`,
    );
  });

  it('the rewritten files still decode with their true frame counts (the generator changes only NumberOfFrames)', async () => {
    expect((await decodeDicom(withNumberOfFrames(shared(NATIVE), 1))).frames).toHaveLength(1);
    expect((await decodeDicom(withNumberOfFrames(shared(ENCAPSULATED), 2))).frames).toHaveLength(2);
  });
});

/** The shared deflated file's meta header (it names the deflated transfer syntax) over `body`, deflated. */
function deflatedDicom(body: Buffer): Buffer {
  const file = shared('dicomParser/testImages/deflate/image_dfl');
  const metaEnd = 132 + 12 + file.readUInt32LE(132 + 8); // (0002,0000) UL gives the meta group's length
  return Buffer.concat([file.subarray(0, metaEnd), deflateRawSync(body)]);
}

describe('a deflated data set is inflated within the decoded-bytes limit', () => {
  it('a 40 KB file inflating to 40 MiB is refused when the limit allows 1 MiB of pixels, before any header is read', async () => {
    const bomb = deflatedDicom(Buffer.alloc(40 * 2 ** 20));
    expect(bomb.length).toBeLessThan(100_000);
    process.env.APPRENTICE_MAX_DECODED_BYTES = String(2 ** 20);
    try {
      const refusal = /deflated data set too large: \d+ bytes inflate beyond 17 MiB, above the limit \(APPRENTICE_MAX_DECODED_BYTES\)/;
      await expect(decodeDicom(bomb)).rejects.toThrow(refusal);
      expect(() => readDicomInfo(bomb)).toThrow(refusal);
    } finally {
      delete process.env.APPRENTICE_MAX_DECODED_BYTES;
    }
  });

  it('the real deflated file still decodes', async () => {
    const { frames } = await decodeDicom(shared('dicomParser/testImages/deflate/image_dfl'));
    expect(frames).toHaveLength(1);
  });
});
