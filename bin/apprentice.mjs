#!/usr/bin/env node
// The CLI runs the built JavaScript (out/main/cli.js, electron-vite's `cli` entry). `npm ci` builds
// it (the `prepare` script); after an install that skipped scripts it is built once, here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// `npm run app` rebuilds better-sqlite3 for Electron's Node. From then on plain Node cannot load it,
// so the CLI runs itself under Electron's Node instead (same binary the app and its jobs use).
if (!process.versions.electron && !process.env.APPRENTICE_NO_REEXEC) {
  try {
    createRequire(import.meta.url)('better-sqlite3');
  } catch (e) {
    if (String(e?.message).includes('NODE_MODULE_VERSION')) {
      const r = spawnSync(join(root, 'node_modules/.bin/electron'), process.argv.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', APPRENTICE_NO_REEXEC: '1' },
      });
      process.exit(r.status ?? 1);
    }
  }
}

const cli = join(root, 'out/main/cli.js');
if (!existsSync(cli)) {
  process.stderr.write('apprentice is not built yet; building it once (npm run build)…\n');
  const r = spawnSync(join(root, 'node_modules/.bin/electron-vite'), ['build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(cli)) {
    process.stderr.write('the build failed; see the messages above (or run "npm run build")\n');
    process.exit(1);
  }
}
await import(pathToFileURL(cli).href);
