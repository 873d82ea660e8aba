import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** ../shared/data beside the checkout (CI clones the project next to it). Never copied into the repo. */
export const SHARED_DATA = resolve(here, '../../../shared/data');
export const KVASIR_IMAGES = join(SHARED_DATA, 'kvasir-seg/images');
export const KVASIR_MASKS = join(SHARED_DATA, 'kvasir-seg/masks');
export const DICOM_DIR = join(SHARED_DATA, 'dicom');
export const REPO = resolve(here, '../..');
export const TEST_OUTPUT = join(REPO, 'test-output');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `apprentice-${prefix}-`));
}

export function outputDir(name: string): string {
  const dir = join(TEST_OUTPUT, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
