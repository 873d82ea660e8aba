import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/data';

// What a newcomer's `npm ci` needs, checked against what the dependencies themselves declare.
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { major: number; minor: number; version: string } | null;
  satisfies(version: string, range: string): boolean;
};

interface Manifest {
  engines?: { node?: string; npm?: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;
const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const manifestOf = (name: string): Manifest | null => {
  const path = join(REPO, 'node_modules', name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : null;
};
/** The lowest version a range admits, as the README writes it: "20.19". */
const floorOf = (range: string): string => {
  const v = semver.minVersion(range)!;
  return `${v.major}.${v.minor}`;
};

function npm(...args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync('npm', args, { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('npm ci on a fresh machine', () => {
  it('reads no project config key that npm does not know', () => {
    expect(npm('config', 'get', 'registry').stderr).not.toMatch(/Unknown project config/);
  });

  it('runs no download of onnxruntime-node’s CUDA libraries: its install script is denied, the npm in use reads that denial', () => {
    // On Linux x64 the script fetches the CUDA execution provider from NuGet unless told not to; the
    // CPU build it needs is inside the package, so the script has nothing else to do.
    expect(manifestOf('onnxruntime-node')?.scripts?.postinstall).toBeDefined();
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(pkg.engines?.npm, 'package.json engines.npm').toBeDefined();
    expect(semver.minVersion(pkg.engines!.npm!)!.version, 'allowScripts is read from npm 11.16 on').toSatisfy((v: string) =>
      semver.satisfies(v, '>=11.16'),
    );
    expect(semver.satisfies(npm('--version').stdout.trim(), pkg.engines!.npm!), 'this machine’s npm').toBe(true);
  });

  // A dependency that declares a newer Node than package.json asks for is a contradiction unless the
  // README names it with its requirement (what it is used for, and why it is not pinned lower).
  const declaresNewerNode = (): Map<string, string> => {
    const lowest = semver.minVersion(pkg.engines!.node!)!.version;
    const newer = new Map<string, string>();
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies })) {
      const manifest = manifestOf(name);
      if (!manifest) {
        expect(Object.keys(pkg.optionalDependencies ?? {}), `${name} is not installed`).toContain(name);
        continue;
      }
      const needs = manifest.engines?.node;
      if (needs && !semver.satisfies(lowest, needs)) newer.set(name, floorOf(needs));
    }
    return newer;
  };

  it('asks for a Node this machine has, and the README states the same Node and npm', () => {
    expect(semver.satisfies(process.versions.node, pkg.engines!.node!), 'this machine’s Node').toBe(true);
    expect(readme).toContain(`## On a fresh machine (Node ≥ ${floorOf(pkg.engines!.node!)}, npm ≥ ${floorOf(pkg.engines!.npm!)})`);
  });

  it('README names every direct dependency that declares a newer Node, with that Node, and no other', () => {
    const newer = declaresNewerNode();
    const named = new Map([...readme.matchAll(/`([@\w./-]+)`\s+\(Node ≥ (\d+\.\d+)\)/g)].map(([, name, floor]) => [name!, floor!]));
    expect(named).toEqual(newer);
  });
});
