import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startLoopbackHost } from './host';
import { doctor } from './services/doctor';
import { listImages, workspaceStatus } from './workspace/images';
import { describe } from './util/errors';
import { importImages } from './workspace/import';
import { createSplit, listSplits } from './workspace/splits';
import { Workspace } from './workspace/workspace';
import { packageRoot } from './util/package-root';
import { ProgressBar } from './util/progress-bar';

const USAGE = `apprentice — few labels, a small student, a frozen SAM teacher

Usage: apprentice <command> [options]   (every command takes --json: one JSON object on stdout)

  init <ws>                               make a new workspace folder
  import <ws> <file|folder>... [--masks <folder>]
                                          import PNG/JPEG (masks matched by file name) and DICOM
  split <ws> --labeled 0.75 --val 0.1 --test 0.1 --seed 1
                                          assign train/val/test and labeled/unlabeled
  split <ws> --list                       list stored splits
  status <ws>                             counts of images, masks and per split
  list <ws>                               images with id, source, format, size, split, mask
  serve <ws> [--port N]                   the app in a browser: loopback host on 127.0.0.1 with a token
  doctor                                  versions, student backends and teacher providers usable here
`;

type Flags = Record<string, string | boolean | undefined>;

interface Command {
  options: ParseArgsConfig['options'];
  run(positionals: string[], flags: Flags, json: boolean): Promise<unknown>;
}

class UsageError extends Error {}

function requireWs(positionals: string[], create = false): Workspace {
  const path = positionals[0];
  if (!path) throw new UsageError('missing workspace folder');
  return Workspace.open(path, { create });
}

function num(flags: Flags, name: string, fallback?: number): number {
  const v = flags[name];
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got ${String(v)})`);
  return n;
}

const COMMANDS: Record<string, Command> = {
  init: {
    options: {},
    async run(pos) {
      const ws = requireWs(pos, true);
      const status = workspaceStatus(ws);
      ws.close();
      return { workspace: status.path, created: true };
    },
  },
  import: {
    options: { masks: { type: 'string' } },
    async run(pos, flags, json) {
      const ws = requireWs(pos);
      const paths = pos.slice(1);
      if (paths.length === 0) throw new UsageError('import needs at least one file or folder');
      const bar = json ? null : new ProgressBar('import');
      const onSigint = new AbortController();
      const stop = () => onSigint.abort();
      process.once('SIGINT', stop);
      try {
        const result = await importImages(ws, { paths, masks: flags.masks as string | undefined }, {
          signal: onSigint.signal,
          onProgress: (p) => bar?.update(p.done, p.total),
        });
        bar?.done();
        return result;
      } finally {
        process.off('SIGINT', stop);
        ws.close();
      }
    },
  },
  split: {
    options: { labeled: { type: 'string' }, val: { type: 'string' }, test: { type: 'string' }, seed: { type: 'string' }, list: { type: 'boolean' } },
    async run(pos, flags) {
      const ws = requireWs(pos);
      try {
        if (flags.list) return { splits: listSplits(ws) };
        return createSplit(ws, {
          labeled: num(flags, 'labeled', 1),
          val: num(flags, 'val', 0.1),
          test: num(flags, 'test', 0.1),
          seed: num(flags, 'seed', 1),
        });
      } finally {
        ws.close();
      }
    },
  },
  status: {
    options: {},
    async run(pos) {
      const ws = requireWs(pos);
      try {
        return workspaceStatus(ws);
      } finally {
        ws.close();
      }
    },
  },
  list: {
    options: {},
    async run(pos) {
      const ws = requireWs(pos);
      try {
        return { images: listImages(ws).images };
      } finally {
        ws.close();
      }
    },
  },
  serve: {
    options: { port: { type: 'string' } },
    async run(pos, flags) {
      if (!pos[0]) throw new UsageError('missing workspace folder');
      Workspace.open(pos[0]).close(); // fail now, clearly, on a folder that is not a workspace
      const rendererDir = join(packageRoot(), 'out', 'renderer');
      if (!existsSync(join(rendererDir, 'index.html'))) buildRenderer();
      const host = await startLoopbackHost({ workspace: pos[0], rendererDir, port: flags.port ? num(flags, 'port') : undefined });
      process.stderr.write(`Apprentice is serving ${pos[0]} on 127.0.0.1 only. Open:\n`);
      process.stdout.write(JSON.stringify({ url: host.url, port: host.port }) + '\n');
      await new Promise<void>((ok) => {
        process.once('SIGINT', ok);
        process.once('SIGTERM', ok);
      });
      await host.close();
      return null;
    },
  },
  doctor: {
    options: {},
    async run() {
      return doctor();
    },
  },
};

function buildRenderer(): void {
  process.stderr.write('The renderer is not built yet; building it once (npm run build)…\n');
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: packageRoot(), stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('npm run build failed; see the messages above');
}

function printHuman(name: string, result: unknown): void {
  if (result === null) return;
  if (name === 'list') {
    for (const im of (result as ReturnType<typeof listImages>).images) {
      console.log(`${String(im.id).padStart(6)}  ${im.format.padEnd(5)} ${`${im.width}×${im.height}`.padEnd(10)} ${(im.split ?? '-').padEnd(9)} ${im.hasMask ? 'mask' : '    '}  ${im.sourcePath}${im.frameIndex ? ` [frame ${im.frameIndex}]` : ''}`);
    }
    return;
  }
  if (name === 'import') {
    const r = result as Awaited<ReturnType<typeof importImages>>;
    console.log(`imported ${r.imported} images, ${r.masks} masks; ${r.duplicates} already present; ${r.failed.length} failed`);
    for (const f of r.failed) console.log(`  ✗ ${f.file}: ${f.error}`);
    return;
  }
  console.log(JSON.stringify(result, null, 2));
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const json = rest.includes('--json');
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const result = await command.run(positionals, values as Flags, json);
    if (json) {
      if (result !== null) process.stdout.write(JSON.stringify(result) + '\n');
    } else printHuman(name, result);
    return 0;
  } catch (e) {
    const message = describe(e);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    else process.stderr.write(`apprentice ${name}: ${message}\n${e instanceof UsageError ? '\n' + USAGE : ''}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
