import { spawn } from 'node:child_process';
import { cpSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../helpers/data';

// A newcomer's first `apprentice serve` finds nothing built and builds it. Whoever reads serve's stdout
// (a script, the serve helper of the tests) parses its first line as the server's JSON, so the build's
// log must go to stderr. A copy of the package without out/ is the fresh checkout; node_modules is shared.
const SOURCES = ['package.json', 'bin', 'src', 'resources', 'electron.vite.config.ts', 'svelte.config.js'];
const TSCONFIGS = ['tsconfig.json', 'tsconfig.base.json', 'tsconfig.node.json', 'tsconfig.web.json'];

let root: string;

beforeAll(() => {
  root = join(tempDir('first-run'), 'apprentice');
  for (const entry of [...SOURCES, ...TSCONFIGS]) cpSync(join(REPO, entry), join(root, entry), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
});

/** Starts serve from the copy as test/helpers/serve.ts does, stops it after its first line, and returns all it printed. */
async function serveOnce(): Promise<{ stdout: string; stderr: string }> {
  const ws = join(tempDir('first-run-ws'), 'ws');
  const child = spawn(process.execPath, [join(root, 'bin/apprentice.mjs'), 'serve', ws, '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  await new Promise<void>((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', () => ok());
    void exited.then(() => fail(new Error(`apprentice serve exited before printing: ${stderr}`)));
  });
  child.kill('SIGTERM');
  await exited;
  return { stdout, stderr };
}

function expectOnlyTheServerJson(stdout: string): void {
  const lines = stdout.trim().split('\n');
  expect(lines, `serve's stdout: ${stdout}`).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/) });
}

describe('the first `apprentice serve` of a fresh checkout', () => {
  it('builds the whole app with its log on stderr; stdout holds only the server JSON', { timeout: 300_000 }, async () => {
    const r = await serveOnce();
    expect(r.stderr).toContain('building it once');
    expectOnlyTheServerJson(r.stdout);
  });

  it('builds a missing renderer the same way', { timeout: 300_000 }, async () => {
    rmSync(join(root, 'out/renderer'), { recursive: true, force: true });
    const r = await serveOnce();
    expect(r.stderr).toContain('The renderer is not built yet');
    expectOnlyTheServerJson(r.stdout);
  });
});
