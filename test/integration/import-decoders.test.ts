import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../../src/main/imaging/decode-client';
import { explainDecodeError } from '../../src/main/imaging/decode-errors';
import { decodeRaster } from '../../src/main/imaging/raster';
import { thumbnailPng, THUMBNAIL_SIDE } from '../../src/main/imaging/thumbnail';
import { decodeWithWasmSync } from '../../src/main/imaging/wasm-codecs';
import { downscaleRgb } from '../../src/main/imaging/geometry/resample';
import { listImages } from '../../src/main/workspace/images';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';

function describeThrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

const names = readdirSync(KVASIR_IMAGES).sort().slice(0, 12);
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(KVASIR_IMAGES, name)));

describe('one JPEG decoder for rasters and DICOM', () => {
  it('a JPEG photograph decodes to exactly what libjpeg-turbo (the DICOM baseline codec) gives', () => {
    for (const name of names.slice(0, 3)) {
      const bytes = bytesOf(name);
      const raster = decodeRaster(bytes);
      const wasm = decodeWithWasmSync('libjpeg-turbo', bytes);
      expect([raster.width, raster.height]).toEqual([wasm.info.width, wasm.info.height]);
      expect(Buffer.compare(Buffer.from(raster.data), Buffer.from(wasm.bytes))).toBe(0);
    }
  });

  it('a JPEG cut short or damaged is refused in words a user can act on', () => {
    const bytes = bytesOf(names[0]!);
    const cut = bytes.slice(0, bytes.length >> 1);
    expect(() => decodeRaster(cut)).toThrow(/unexpected end of data, no end-of-image marker/);
    expect(explainDecodeError('JPEG', describeThrown(() => decodeRaster(cut)))).toMatch(/^the JPEG data is damaged or cut short/);
    const damaged = bytes.slice();
    damaged.fill(0xff, 2000, 2400);
    expect(explainDecodeError('JPEG', describeThrown(() => decodeRaster(damaged)))).toMatch(/^the JPEG data is damaged or cut short.*structural problem/);
  });

  it('refuses a JPEG whose frame header claims more pixels than the limit, before decoding', () => {
    const bytes = bytesOf(names[0]!).slice();
    // Rewrite the SOF's height and width to 30000×30000.
    for (let p = 2; p < bytes.length; ) {
      const marker = bytes[p + 1]!;
      if (marker >= 0xc0 && marker <= 0xc2) {
        bytes.set([0x75, 0x30, 0x75, 0x30], p + 5);
        break;
      }
      p += 2 + ((bytes[p + 2]! << 8) | bytes[p + 3]!);
    }
    expect(() => decodeRaster(bytes)).toThrow(/30000×30000 is 900 megapixels, above the limit/);
  });
});

describe('thumbnails from a one-pass downscale', () => {
  it('have the exact area average’s size and stay close to its pixels', () => {
    const rgb = decodeRaster(bytesOf(names[1]!));
    const thumb = decodeRaster(thumbnailPng(rgb));
    const exact = downscaleRgb(rgb, THUMBNAIL_SIDE);
    expect([thumb.width, thumb.height]).toEqual([exact.width, exact.height]);
    let sum = 0;
    for (let i = 0; i < thumb.data.length; i++) sum += Math.abs(thumb.data[i]! - exact.data[i]!);
    expect(sum / thumb.data.length).toBeLessThan(3);
  });

  it('keep a flat colour flat and never enlarge a small image', () => {
    const flat = { width: 700, height: 333, data: new Uint8Array(700 * 333 * 3) };
    for (let i = 0; i < flat.data.length; i += 3) flat.data.set([200, 30, 90], i);
    const t = decodeRaster(thumbnailPng(flat));
    expect([t.width, t.height]).toEqual([THUMBNAIL_SIDE, 76]);
    expect(new Set(t.data.filter((_, i) => i % 3 === 0))).toEqual(new Set([200]));
    const small = { width: 20, height: 10, data: new Uint8Array(600).fill(9) };
    expect(decodeRaster(thumbnailPng(small)).width).toBe(20);
  });
});

describe('two decode processes, answers in the order asked', () => {
  const pool = new DecodePool(2);
  afterAll(() => pool.close());

  it('requests issued together come back each with its own file’s result', async () => {
    const answers = await Promise.all(names.map((n) => pool.decode('raster', bytesOf(n))));
    answers.forEach((a, i) => {
      const rgb = decodeRaster(bytesOf(names[i]!));
      expect([a.width, a.height]).toEqual([rgb.width, rgb.height]);
      expect(Buffer.compare(Buffer.from(a.thumbnail), Buffer.from(thumbnailPng(rgb)))).toBe(0);
    });
  }, 60_000);

  it('an import commits its files in file order, each with its own mask', async () => {
    const ws = Workspace.open(join(tempDir('import-order'), 'ws'), { create: true });
    try {
      const result = await importImages(ws, { paths: names.map((n) => join(KVASIR_IMAGES, n)), masks: KVASIR_MASKS });
      expect(result).toMatchObject({ imported: names.length, masks: names.length, failed: [] });
      const rows = listImages(ws).images.sort((a, b) => a.id - b.id);
      expect(rows.map((r) => r.sourcePath.split('/').pop())).toEqual(names);
      for (const r of rows) {
        const rgb = decodeRaster(bytesOf(r.sourcePath.split('/').pop()!));
        expect([r.width, r.height]).toEqual([rgb.width, rgb.height]);
      }
    } finally {
      ws.close();
    }
  }, 120_000);
});
