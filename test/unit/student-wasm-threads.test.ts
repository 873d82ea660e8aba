import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startsWithin } from '../../src/main/student/backend';

// Multi-threaded wasm (our Node shim, wasm-threads.ts) must give the gradients of single-threaded
// cpu. Each attempt runs in a child process: a process can start the wasm module only once.

const CHILD = join(__dirname, '../fixtures/wasm-threads-gradients.ts');

interface Outcome {
  backend: string;
  threads: number | null;
  notes: string[];
  overall: number;
  worst: number;
}

function attempt(env: Record<string, string> = {}): { out: Outcome | null; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', timeout: 100_000, env: { ...process.env, ...env } });
  const last = r.stdout.trim().split('\n').pop();
  return { out: r.status === 0 && last ? (JSON.parse(last) as Outcome) : null, stderr: r.stderr, status: r.status };
}

describe('wasm with 2 threads', () => {
  it('starts a 2-thread pool and matches the cpu gradients of the tiny model', () => {
    let r = attempt();
    // A pool that does not start in time falls back to cpu with a note (backend.ts): seen once in
    // CI, never reproduced here. That start is what is retried, once, in a fresh process; the
    // gradients are never retried.
    if (r.out && r.out.backend !== 'wasm' && r.out.notes.some((n) => n.includes('did not start within'))) {
      console.warn(`wasm thread pool did not start; retrying in a new process (${r.out.notes.join('; ')})`);
      r = attempt();
    }
    expect(r.out, `child exited ${r.status}:\n${r.stderr}`).not.toBeNull();
    const out = r.out!;
    expect(out.backend, out.notes.join('; ')).toBe('wasm');
    expect(out.threads).toBe(2);
    expect(out.overall).toBeLessThan(2e-3); // single-threaded wasm: the same 6.8e-4 (BN over 2 values at 1×1 is ill-conditioned)
    expect(out.worst).toBeLessThan(5e-3); // float32 summation order differs with the thread tiling
  }, 240_000);

  it('a pool that misses its deadline leaves a working cpu backend and a note saying why', () => {
    const r = attempt({ APPRENTICE_WASM_POOL_START_MS: '1' });
    expect(r.out, `child exited ${r.status}:\n${r.stderr}`).not.toBeNull();
    expect(r.out!.backend).toBe('cpu');
    expect(r.out!.notes.join('; ')).toContain('wasm: the 2-thread pool did not start within 0.001 s');
    expect(r.out!.overall).toBe(0); // both gradient passes ran, on cpu: tfjs was left usable
  }, 120_000);

  it('a pool start that never finishes is given up after its deadline, saying so', async () => {
    await expect(startsWithin(new Promise<boolean>(() => {}), 50, 2)).rejects.toThrow('the 2-thread pool did not start within 0.05 s');
    await expect(startsWithin(Promise.resolve(true), 50, 2)).resolves.toBe(true);
  });
});
