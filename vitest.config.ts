import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Component logic is tested beside the component (src/renderer/**).
    include: ['test/**/*.test.ts', 'src/renderer/**/*.test.ts'],
    // Two cores: heavy suites (training, import of the whole dataset) must not fight each other.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The model library is per user: tests install into a library of their own, never the real home.
    env: { APPRENTICE_HOME: mkdtempSync(join(tmpdir(), 'apprentice-test-home-')) },
  },
});
