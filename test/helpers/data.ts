import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The shared data: ../shared/data beside the checkout (CI clones the project next to it), or the folder
 * named by APPRENTICE_SHARED_DATA. Never copied into the repo.
 */
export const SHARED_DATA = resolve(process.env.APPRENTICE_SHARED_DATA || join(here, '../../../shared/data'));
export const KVASIR_IMAGES = join(SHARED_DATA, 'kvasir-seg/images');
export const KVASIR_MASKS = join(SHARED_DATA, 'kvasir-seg/masks');
export const DICOM_DIR = join(SHARED_DATA, 'dicom');
export const REPO = resolve(here, '../..');
export const TEST_OUTPUT = join(REPO, 'test-output');

/**
 * A test file reads the shared data when it imports one of these paths from this helper, or imports a
 * helper that reads them. A checkout without the data skips exactly those files (`sharedDataSkips`).
 */
export const SHARED_DATA_PATHS = ['SHARED_DATA', 'KVASIR_IMAGES', 'KVASIR_MASKS', 'DICOM_DIR'];
export const SHARED_DATA_HELPERS = ['dicom-catalog'];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `apprentice-${prefix}-`));
}

export function outputDir(name: string): string {
  const dir = join(TEST_OUTPUT, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The test files (relative to the repo) to leave out because `dataDir` is missing or empty, with the
 * one message that says so; none when the data is there, so CI, which has it, runs everything.
 */
export function sharedDataSkips(dataDir = SHARED_DATA, repo = REPO): { files: string[]; message: string | null } {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return { files: [], message: null };
  const files = testFiles(repo)
    .filter((file) => readsSharedData(readFileSync(file, 'utf8')))
    .map((file) => relative(repo, file));
  const message =
    `The shared data folder ${dataDir} is missing or empty: skipping the ${files.length} test files that read it. ` +
    'Clone the project beside ../shared (as CI does) or set APPRENTICE_SHARED_DATA to the data folder.';
  return { files, message };
}

function readsSharedData(source: string): boolean {
  for (const [, names, helper] of source.matchAll(/import\s*(\{[^}]*\}|[^;]*?)\s*from\s*'[^']*\/helpers\/([\w-]+)'/g)) {
    if (SHARED_DATA_HELPERS.includes(helper!)) return true;
    if (helper === 'data' && SHARED_DATA_PATHS.some((name) => new RegExp(`\\b${name}\\b`).test(names!))) return true;
  }
  return false;
}

/** Every *.test.ts under test/ and src/, the folders vitest.config.ts includes tests from. */
function testFiles(repo: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts')) found.push(path);
    }
  };
  for (const top of ['test', 'src']) walk(join(repo, top));
  return found;
}
