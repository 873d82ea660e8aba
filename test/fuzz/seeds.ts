import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDicom } from '../../src/main/imaging/dicom';
import { downscaleRgb } from '../../src/main/imaging/geometry/resample';
import { decodeMaskFile, encodeGreyPng, encodeMaskPng } from '../../src/main/imaging/mask';
import { decodeRaster, encodePngRgb } from '../../src/main/imaging/raster';
import { KVASIR_IMAGES, KVASIR_MASKS, SHARED_DATA } from '../helpers/data';
import type { Seed } from './mutate';

// The fuzz corpus: the shared DICOM files as they are, a spread of Kvasir JPEG images and masks,
// and PNGs made from them (the shared data holds no PNG). Small seeds keep each mutant quick.

const MAX_SEED_BYTES = 4 * 2 ** 20;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

function spread<T>(items: T[], n: number): T[] {
  const step = Math.max(1, Math.floor(items.length / n));
  return items.filter((_, i) => i % step === 0).slice(0, n);
}

export function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const path of [...filesUnder(join(SHARED_DATA, 'dicom')), ...filesUnder(join(SHARED_DATA, 'dicom-seg'))].sort()) {
    if (statSync(path).size > MAX_SEED_BYTES) continue;
    const bytes = readFileSync(path);
    if (isDicom(bytes)) seeds.push({ name: path.slice(SHARED_DATA.length + 1), kind: 'dicom', bytes });
  }
  const images = spread(readdirSync(KVASIR_IMAGES).sort(), 24);
  for (const name of images) seeds.push({ name: `kvasir/images/${name}`, kind: 'jpeg', bytes: readFileSync(join(KVASIR_IMAGES, name)) });
  for (const name of spread(images, 6))
    seeds.push({ name: `kvasir/masks/${name}`, kind: 'jpeg', bytes: readFileSync(join(KVASIR_MASKS, name)) });
  spread(images, 8).forEach((name, i) => {
    const rgb = downscaleRgb(decodeRaster(readFileSync(join(KVASIR_IMAGES, name))), 64 + 32 * i);
    seeds.push({ name: `png/rgb-${name}.png`, kind: 'png', bytes: encodePngRgb(rgb) });
    const grey = new Uint8Array(rgb.width * rgb.height).map((_, k) => rgb.data[k * 3]!);
    seeds.push({ name: `png/grey-${name}.png`, kind: 'png', bytes: encodeGreyPng({ width: rgb.width, height: rgb.height, data: grey }) });
  });
  for (const name of spread(images, 4)) {
    seeds.push({ name: `png/mask-${name}.png`, kind: 'png', bytes: encodeMaskPng(decodeMaskFile(readFileSync(join(KVASIR_MASKS, name)))) });
  }
  return seeds;
}
