import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Native and WASM-carrying packages stay outside the bundle: they load their binaries from node_modules.
const external: (string | RegExp)[] = [
  'better-sqlite3',
  'onnxruntime-node',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-wasm',
  /^@cornerstonejs\/codec-/, // imported by subpath (…/decodewasmjs): match the whole family
  'jpeg-lossless-decoder-js',
  'ws',
];

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The app, the command line (bin/apprentice.mjs runs it), the job worker the app forks,
        // the decode process every import forks and the teacher's encoder thread.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          worker: resolve(__dirname, 'src/main/jobs/worker.ts'),
          'decode-worker': resolve(__dirname, 'src/main/imaging/decode-worker.ts'),
          'encoder-worker': resolve(__dirname, 'src/main/teacher/encoder-worker.ts'),
        },
        external,
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload cannot `require` chunks: keep it one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    // The renderer's root is src/renderer: name the project's svelte.config.js explicitly.
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') })],
  },
});
