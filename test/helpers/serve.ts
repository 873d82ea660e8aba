import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from './data';

/**
 * Starts the real `apprentice serve <ws>` (or with no workspace: `null`) and resolves with the URL it prints.
 * `env` adds variables to the host's environment (a bench's memory probe).
 */
export async function serve(
  workspace: string | null,
  env: Record<string, string> = {},
): Promise<{ url: string; port: number; pid: number; stop: () => Promise<void> }> {
  const args = ['serve', ...(workspace === null ? [] : [workspace]), '--json'];
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'bin/apprentice.mjs'), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const line = await new Promise<string>((ok, fail) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', ok);
    child.once('exit', (code) => fail(new Error(`apprentice serve exited with ${code}: ${stderr}`)));
  });
  const { url, port } = JSON.parse(line) as { url: string; port: number };
  return {
    url,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}
