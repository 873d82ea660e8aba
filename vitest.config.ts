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
  },
});
