import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { sharedDataSkips } from './test/helpers/data.js';

// A checkout without ../shared/data leaves out the tests that read it, saying so once, instead of failing them.
const skipped = sharedDataSkips();
if (skipped.message) process.stderr.write(`\n${skipped.message}\n\n`);

export default defineConfig({
  test: {
    // Component logic is tested beside the component (src/renderer/**).
    include: ['test/**/*.test.ts', 'src/renderer/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...skipped.files],
    passWithNoTests: skipped.files.length > 0,
    // Two cores: heavy suites (training, import of the whole dataset) must not fight each other.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The model library is per user: tests install into a library of their own, never the real home.
    env: { APPRENTICE_HOME: mkdtempSync(join(tmpdir(), 'apprentice-test-home-')) },
  },
});
