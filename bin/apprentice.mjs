#!/usr/bin/env node
// The CLI runs straight from the TypeScript sources (tsx), so it works right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// `npm run app` rebuilds better-sqlite3 for Electron's Node. From then on plain Node cannot load it,
// so the CLI runs itself under Electron's Node instead (same binary the app and its jobs use).
if (!process.versions.electron && !process.env.APPRENTICE_NO_REEXEC) {
  try {
    createRequire(import.meta.url)('better-sqlite3');
  } catch (e) {
    if (String(e?.message).includes('NODE_MODULE_VERSION')) {
      const electron = join(dirname(fileURLToPath(import.meta.url)), '../node_modules/.bin/electron');
      const r = spawnSync(electron, process.argv.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', APPRENTICE_NO_REEXEC: '1' },
      });
      process.exit(r.status ?? 1);
    }
  }
}

register();
await import('../src/main/cli.ts');
