import { afterEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { COMMANDS, main } from '../../src/main/cli/main';
import { tempDir } from '../helpers/data';

/** Runs the CLI in this process and returns what it wrote to stdout and stderr. */
async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('a newcomer’s first commands', () => {
  it('init says created: true for a new folder and created: false for an existing workspace', async () => {
    const ws = join(tempDir('cli-init'), 'ws');
    const first = await run('init', ws, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ workspace: ws, created: true });
    const again = await run('init', ws, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ workspace: ws, created: false });
  });

  it('apprentice --help lists every command', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(`  ${name}`);
  });

  it.each(Object.keys(COMMANDS))('apprentice %s --help prints that command’s usage and options, not the global usage', async (name) => {
    const global = await run('--help');
    const r = await run(name, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe(global.stdout);
    expect(r.stdout.startsWith(`Usage: apprentice ${COMMANDS[name]!.summary}`)).toBe(true);
    for (const flag of Object.keys(COMMANDS[name]!.options ?? {})) expect(r.stdout).toContain(`--${flag}`);
    for (const other of Object.keys(COMMANDS).filter((n) => n !== name)) {
      expect(r.stdout).not.toContain(COMMANDS[other]!.summary);
    }
  });

  it('a usage error shows the usage of the command that was mistyped', async () => {
    const r = await run('split', join(tempDir('cli-usage'), 'ws'), '--labeled', 'lots');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--labeled must be a number');
    expect(r.stderr).toContain(`Usage: apprentice ${COMMANDS.split!.summary}`);
    expect(r.stderr).not.toContain(COMMANDS.init!.summary);
  });
});
