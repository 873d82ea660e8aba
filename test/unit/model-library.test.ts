import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTeacherModel,
  checkTeacherFiles,
  getTeacherModel,
  installTeacherModel,
  listLibraryTeachers,
  listTeacherModels,
  removeTeacherModel,
  renameTeacherModel,
  teacherPartPath,
  useLibraryTeacher,
} from '../../src/main/teacher/registry';
import { teacherCommands } from '../../src/main/cli/teacher-commands';
import { libraryFilePath, libraryRoot } from '../../src/main/workspace/model-library';
import { insertTeacherModel } from '../../src/main/workspace/models';
import { createRun } from '../../src/main/workspace/runs';
import { checkWorkspace } from '../../src/main/workspace/verify';
import { Workspace } from '../../src/main/workspace/workspace';
import { writeFixturePair, type FixturePair } from '../fixtures/sam-fixtures';

// One library for the machine: the tests give it a folder of its own (APPRENTICE_HOME), so what
// other test files installed does not count here, and nothing reaches the real home.
const dir = mkdtempSync(join(tmpdir(), 'apprentice-library-'));
const home = join(dir, 'home');
const before = process.env.APPRENTICE_HOME;
let pair: FixturePair;
let other: FixturePair;

/** Every file in the library's blob store, by name (its SHA-256). */
function libraryBlobs(): string[] {
  const root = join(libraryRoot(), 'blobs');
  return readdirSync(root)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(root, d)).map((f) => d + f));
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(() => {
  process.env.APPRENTICE_HOME = home;
  pair = writeFixturePair(join(dir, 'fx'), 'mobilesam');
  other = writeFixturePair(join(dir, 'fx-other'), 'sam', { seed: 77, tag: 'sam-other' });
});

afterAll(() => {
  process.env.APPRENTICE_HOME = before;
});

describe('the machine model library', () => {
  it('lives under APPRENTICE_HOME', () => {
    expect(libraryRoot()).toBe(join(home, 'models'));
  });

  it('installs once and serves two workspaces (no second copy); each workspace records the hash, layout and name it used', async () => {
    const a = Workspace.open(join(dir, 'ws-a'), { create: true });
    const b = Workspace.open(join(dir, 'ws-b'), { create: true });
    try {
      const inA = await addTeacherModel(a, { ...pair, name: 'mobile' });
      expect(inA).toMatchObject({ existing: false, inLibrary: false, name: 'mobile', libraryName: 'mobile' });
      const stored = libraryBlobs();
      expect(stored.sort()).toEqual([sha(pair.encoder), sha(pair.decoder)].sort());
      const inB = await addTeacherModel(b, pair);
      expect(inB).toMatchObject({ existing: false, inLibrary: true, hash: inA.hash, name: 'mobile' });
      expect(libraryBlobs().sort()).toEqual(stored.sort());
      // Neither workspace keeps a copy: both run the library's file, read back against its SHA-256.
      for (const ws of [a, b]) {
        expect(readdirSync(join(ws.root, 'blobs')).filter((d) => /^[0-9a-f]{2}$/.test(d))).toEqual([]);
        expect(teacherPartPath(ws, getTeacherModel(ws), 'encoder')).toBe(libraryFilePath(sha(pair.encoder)));
      }
      const [lib] = listLibraryTeachers();
      expect(lib).toMatchObject({ hash: inA.hash, family: 'mobilesam', name: 'mobile', interface: { layout: 'segment-anything' } });
      expect(lib!.workspaces).toEqual([a.root, b.root]);
      // A library-only install (no workspace) of the same files copies nothing either.
      expect(await installTeacherModel(pair)).toMatchObject({ existing: true, hash: inA.hash });
      // Using it in a workspace that has it returns the same row.
      expect(useLibraryTeacher(b, inA.hash.slice(0, 10))).toMatchObject({ id: inB.id, existing: true });
      expect((await checkWorkspace(a)).problems).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it("sees another process's change to the index at once (the parsed index is reused only while the file is unchanged)", () => {
    const [lib] = listLibraryTeachers();
    expect(lib).toBeDefined();
    // what another process's rename leaves: the index file replaced, same size or not
    const file = join(libraryRoot(), 'index.json');
    const index = JSON.parse(readFileSync(file, 'utf8')) as { models: { hash: string; name: string }[] };
    const entry = index.models.find((m) => m.hash === lib!.hash)!;
    const original = entry.name;
    entry.name = original.split('').reverse().join('') + 'x';
    writeFileSync(`${file}.tmp`, JSON.stringify(index, null, 1));
    renameSync(`${file}.tmp`, file);
    expect(listLibraryTeachers().find((m) => m.hash === lib!.hash)!.name).toBe(entry.name);
    entry.name = original;
    writeFileSync(`${file}.tmp`, JSON.stringify(index, null, 1));
    renameSync(`${file}.tmp`, file);
    expect(listLibraryTeachers().find((m) => m.hash === lib!.hash)!.name).toBe(original);
  });

  it('renames the library entry; workspaces keep the name they recorded', () => {
    const [lib] = listLibraryTeachers();
    expect(renameTeacherModel(lib!.hash, '  MobileSAM (ours) ').name).toBe('MobileSAM (ours)');
    expect(listLibraryTeachers()[0]!.name).toBe('MobileSAM (ours)');
    const a = Workspace.open(join(dir, 'ws-a'));
    try {
      expect(getTeacherModel(a)).toMatchObject({ name: 'mobile', libraryName: 'MobileSAM (ours)' });
    } finally {
      a.close();
    }
    expect(() => renameTeacherModel(lib!.hash, ' ')).toThrow(/cannot be empty/);
  });

  it('reports a damaged library file on use and in the workspace check', async () => {
    const a = Workspace.open(join(dir, 'ws-a'));
    const file = libraryFilePath(sha(pair.decoder))!;
    const good = readFileSync(file);
    try {
      const bad = Buffer.from(good);
      bad[bad.length - 1] ^= 0xff;
      writeFileSync(file, bad);
      utimesSync(file, new Date(), new Date(Date.now() + 60_000));
      expect(() => teacherPartPath(a, getTeacherModel(a), 'decoder')).toThrow(/decoder file .* is damaged: its SHA-256 is [0-9a-f]{64}, not/);
      const check = await checkWorkspace(a);
      expect(check.problems).toMatchObject([{ blob: sha(pair.decoder), state: 'damaged', usedBy: [expect.stringMatching(/^teacher model file of model \d+$/)] }]);
    } finally {
      writeFileSync(file, good);
      a.close();
    }
  });

  it('refuses to remove a model a run used, naming the run and its workspace; removes it from every workspace otherwise', async () => {
    const a = Workspace.open(join(dir, 'ws-a'));
    const b = Workspace.open(join(dir, 'ws-b'));
    try {
      const used = getTeacherModel(b);
      b.db.prepare(`INSERT INTO splits (seed, labeled_ratio, val_ratio, test_ratio, created_at) VALUES (1, 1, 0, 0, 'now')`).run();
      const splitId = (b.db.prepare('SELECT MAX(id) AS id FROM splits').get() as { id: number }).id;
      const runId = createRun(b, { kind: 'one-time', splitId, backend: 'tfjs', config: { mining: { teacher: { kind: 'sam', modelId: used.id } } } });
      // Asked from the other workspace: b's run is found through the library's list of workspaces.
      expect(() => removeTeacherModel(a, used.hash)).toThrow(new RegExp(`a run used it — one-time run ${runId} \\(running\\) of ${b.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, as teacher model ${used.id}`));
      expect(listLibraryTeachers()).toHaveLength(1);
      expect(listTeacherModels(a)).toHaveLength(1);

      const second = await addTeacherModel(a, other);
      // Files the two models share (the fixtures' decoders may be the same bytes) are stored once.
      expect(libraryBlobs().sort()).toEqual([...new Set([pair.encoder, pair.decoder, other.encoder, other.decoder].map(sha))].sort());
      const r = removeTeacherModel(null, second.hash.slice(0, 8));
      expect(r.workspaces).toEqual([a.root]);
      expect(listLibraryTeachers().map((m) => m.hash)).toEqual([used.hash]);
      expect(listTeacherModels(a).map((m) => m.hash)).toEqual([used.hash]);
      expect(libraryBlobs().sort()).toEqual([sha(pair.encoder), sha(pair.decoder)].sort());
    } finally {
      a.close();
      b.close();
    }
  });

  it('on the command line: list, use, rename and remove by hash or by the workspace id', async () => {
    const cli = teacherCommands().models!;
    const c = Workspace.open(join(dir, 'ws-c'), { create: true });
    c.close();
    const listed = (await cli.run(['list'], {}, true)) as { library: { hash: string; name: string; usedHere: number | null }[] };
    expect(listed.library).toHaveLength(1);
    const hash = listed.library[0]!.hash;
    const used = (await cli.run(['use', c.root, hash.slice(0, 8)], {}, true)) as { id: number; hash: string };
    expect(used.hash).toBe(hash);
    const inC = (await cli.run(['list', c.root], {}, true)) as { models: { id: number; hash: string }[]; library: { usedHere: number | null }[] };
    expect(inC.models.map((m) => [m.id, m.hash])).toEqual([[used.id, hash]]);
    expect(inC.library[0]!.usedHere).toBe(used.id);
    expect(await cli.run(['rename', c.root, String(used.id)], { name: 'renamed by id' }, true)).toMatchObject({ renamed: { hash, name: 'renamed by id' } });
    await expect(cli.run(['remove', hash], {}, true)).rejects.toThrow(/one-time run \d+ \(running\) of .*ws-b/);
    await expect(cli.run(['remove', 'beef'], {}, true)).rejects.toThrow(/no model "beef" in the model library/);
  });

  it('still runs a model installed in a workspace before the library, from that workspace', async () => {
    const ws = Workspace.open(join(dir, 'ws-old'), { create: true });
    try {
      const iface = await checkTeacherFiles(other);
      // What an earlier version stored: both files in the workspace's own blob store, a row naming them.
      const files = (['encoder', 'decoder'] as const).map((part) => {
        const bytes = readFileSync(other[part]);
        return { part, path: other[part], sha256: ws.blobs.put(bytes), bytes: bytes.length };
      });
      const id = insertTeacherModel(ws, { family: 'sam', name: 'old teacher', files, interface: iface, createdAt: 'then' });
      const m = getTeacherModel(ws, id);
      expect(m).toMatchObject({ name: 'old teacher', libraryName: null });
      expect(teacherPartPath(ws, m, 'encoder')).toBe(ws.blobs.path(files[0]!.sha256));
      expect((await checkWorkspace(ws)).problems).toEqual([]);
      expect(libraryFilePath(files[0]!.sha256)).toBeNull();
    } finally {
      ws.close();
    }
  });
});
