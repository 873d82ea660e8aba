import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../helpers/data';
import { serve } from '../helpers/serve';

describe('`apprentice serve` needs no command before it', () => {
  it('makes a new folder a workspace and serves it', async () => {
    const ws = join(tempDir('serve-new'), 'my-project');
    const host = await serve(ws);
    try {
      expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(existsSync(join(ws, 'project.sqlite'))).toBe(true);
    } finally {
      await host.stop();
    }
  });

  it('without a folder, serves the app to open or make one in it', async () => {
    const host = await serve(null);
    try {
      expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    } finally {
      await host.stop();
    }
  });

  it('refuses a folder that holds other files, saying so', () => {
    const dir = tempDir('serve-busy');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const r = spawnSync(process.execPath, [join(REPO, 'bin/apprentice.mjs'), 'serve', dir, '--json'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout.trim()).error).toMatch(/is not empty and holds no project\.sqlite/);
  });
});
