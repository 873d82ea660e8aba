import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { BlobStore } from './blobs';
import { putFileStreaming, sha256File } from './blob-stream';

// The machine's one model library: teacher files are installed once per user and used by every
// workspace, which refers to a model by its hash. A small JSON index (written atomically, under a
// lock file so the app and a CLI in a terminal do not lose each other's changes) and a
// content-addressed blob store, beside each other under `<APPRENTICE_HOME>/models/`.

/** A model file as the library and the workspaces record it (the registry's TeacherFile). */
export interface LibraryFile {
  part: string;
  /** Where the user's file was when it was installed (provenance only). */
  path: string;
  sha256: string;
  bytes: number;
  externalData?: { location: string; sha256: string; bytes: number }[];
}

export interface LibraryModel {
  /** modelHash(family, files): what workspaces refer to. */
  hash: string;
  family: string;
  layout: string | null;
  name: string;
  files: LibraryFile[];
  /** What the registry's checks found; typed by the registry. */
  interface: unknown;
  addedAt: string;
  /** Workspace folders that registered the model, so a removal can look for their runs. */
  workspaces: string[];
}

interface Index {
  version: 1;
  models: LibraryModel[];
}

export class ModelLibraryError extends Error {}

/**
 * The per-user folder: $APPRENTICE_HOME, else the platform's app-data folder. Read on every call, so
 * a test (or a second profile) that sets the variable gets its own library.
 */
export function apprenticeHome(): string {
  const set = process.env.APPRENTICE_HOME?.trim();
  if (set) return resolve(set);
  if (process.platform === 'win32') return join(process.env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'Apprentice');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Apprentice');
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'apprentice');
}

export function libraryRoot(): string {
  return join(apprenticeHome(), 'models');
}

const stores = new Map<string, BlobStore>();

function libraryBlobs(): BlobStore {
  const root = join(libraryRoot(), 'blobs');
  let store = stores.get(root);
  if (!store) stores.set(root, (store = new BlobStore(root)));
  return store;
}

/**
 * A model's identity: its family (the same files are fed differently as SAM and as MedSAM) and the
 * SHA-256 of every file, external data included, by part and location.
 */
export function modelHash(family: string, files: readonly LibraryFile[]): string {
  const parts = [...files]
    .sort((a, b) => a.part.localeCompare(b.part))
    .map((f) => [f.part, f.sha256, (f.externalData ?? []).map((d) => [d.location, d.sha256])]);
  return createHash('sha256').update(JSON.stringify([family, parts])).digest('hex');
}

const indexPath = () => join(libraryRoot(), 'index.json');

function readIndex(): Index {
  const file = indexPath();
  if (!existsSync(file)) return { version: 1, models: [] };
  let index: Index;
  try {
    index = JSON.parse(readFileSync(file, 'utf8')) as Index;
  } catch (e) {
    throw new ModelLibraryError(`the model library's index ${file} cannot be read (${(e as Error).message}); restore it or move it away to start an empty library`);
  }
  if (index.version !== 1 || !Array.isArray(index.models)) {
    throw new ModelLibraryError(`the model library's index ${file} was written by another version of Apprentice (version ${String(index.version)})`);
  }
  return index;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
// A lock held longer than any index update takes was left by a killed process.
const STALE_LOCK_MS = 30_000;

/** Read-modify-write of the index under a lock file: two processes never lose each other's change. */
function updateIndex<T>(change: (index: Index) => T): T {
  mkdirSync(libraryRoot(), { recursive: true });
  const lock = join(libraryRoot(), 'index.lock');
  for (let waited = 0; ; waited += 50) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
      } catch {
        // released meanwhile
      }
      if (waited > 10_000) throw new ModelLibraryError(`the model library ${libraryRoot()} is locked by another process (${lock}); try again`);
      sleep(50);
    }
  }
  try {
    const index = readIndex();
    const result = change(index);
    writeFileAtomic(indexPath(), new TextEncoder().encode(JSON.stringify(index, null, 1)));
    return result;
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * The index as last read and the file state it was read at: every teacher call looks its model up,
 * and reading and parsing the index each time cost ~0.3 ms of it. Any change by any process
 * replaces the file (atomic rename), which changes the state and makes the next reader parse again.
 */
let lastRead: { state: string; index: Index } | null = null;

export function libraryModels(): readonly LibraryModel[] {
  const file = indexPath();
  let state: string;
  try {
    const st = statSync(file);
    state = `${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return [];
  }
  if (lastRead?.state !== state) lastRead = { state, index: readIndex() };
  return lastRead.index.models;
}

/** A library model by its full hash or an unambiguous prefix of at least 6 hex digits; null when none. */
export function findLibraryModel(ref: string): LibraryModel | null {
  const key = ref.trim().toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(key)) return null;
  const found = libraryModels().filter((m) => m.hash.startsWith(key));
  if (found.length > 1) throw new ModelLibraryError(`"${ref}" names ${found.length} library models; give more of the hash`);
  return found[0] ?? null;
}

/** Streams a (possibly multi-GB) file into the library's blob store, hashed while copying. */
export function storeLibraryFile(path: string, opts: { watch?: Uint8Array } = {}) {
  return putFileStreaming(libraryBlobs(), path, opts);
}

const namedBy = (models: readonly LibraryModel[], sha: string) =>
  models.some((m) => m.files.some((f) => f.sha256 === sha || (f.externalData ?? []).some((d) => d.sha256 === sha)));

/** Removes a file a failed install stored, unless a library model names it. */
export function dropLibraryFile(sha256: string): void {
  if (namedBy(libraryModels(), sha256)) return;
  rmSync(libraryBlobs().path(sha256), { force: true });
}

/** The library's copy of a file, or null when the library does not hold it. */
export function libraryFilePath(sha256: string): string | null {
  const path = libraryBlobs().path(sha256);
  return existsSync(path) ? path : null;
}

export function libraryHasFile(sha256: string): boolean {
  return libraryFilePath(sha256) !== null;
}

// Files proven whole in this process, by path, size and modification time: a multi-GB encoder is
// hashed once per process, not at every session opened from it.
const verified = new Set<string>();

/**
 * Reads a stored model file back against its SHA-256 before it is used: a file damaged on disk
 * would otherwise run as a silently different model. Returns null when whole, else what is wrong.
 */
export function damagedModelFile(path: string, sha256: string): string | null {
  let st;
  try {
    st = statSync(path);
  } catch {
    return `${path} is missing`;
  }
  const key = verifiedKey(path, st);
  if (verified.has(key)) return null;
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const found = hash.digest('hex');
  if (found !== sha256) return `${path} is damaged: its SHA-256 is ${found}, not ${sha256}`;
  verified.add(key);
  return null;
}

const verifiedKey = (path: string, st: { size: number; mtimeMs: number }) => `${path}\0${st.size}\0${st.mtimeMs}`;

/**
 * `damagedModelFile`'s reading, ahead of it and without holding the thread: the file is hashed as it
 * streams in, so the app answers meanwhile (a large SAM encoder is gigabytes). A whole file is then
 * known whole to `damagedModelFile`; a damaged or missing one is left for it to report.
 */
export async function proveModelFile(path: string, sha256: string): Promise<void> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  const key = verifiedKey(path, st);
  if (verified.has(key)) return;
  const found = await sha256File(path).catch(() => null);
  if (found === sha256) verified.add(key);
}

/**
 * A folder holding a model file and its external-data files under the names the model gives them
 * (onnxruntime looks for them beside the model): `<store>/teacher-run/<model sha256>/model.onnx`
 * and each location, hard links to the blobs (a copy where links are not possible). Made once,
 * each entry atomically (temp name + rename), so a reader never sees a partial file.
 */
export function runFolderIn(blobs: BlobStore, sha256: string, data: readonly { location: string; sha256: string; bytes: number }[]): string {
  const folder = join(blobs.root, 'teacher-run', sha256);
  const place = (blob: string, name: string, bytes?: number) => {
    const target = join(folder, name);
    if (existsSync(target) && (bytes === undefined || statSync(target).size === bytes)) return;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      linkSync(blobs.path(blob), tmp);
    } catch {
      copyFileSync(blobs.path(blob), tmp);
    }
    try {
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
  };
  place(sha256, 'model.onnx');
  for (const d of data) place(d.sha256, d.location, d.bytes);
  return join(folder, 'model.onnx');
}

export function libraryRunFolder(sha256: string, data: readonly { location: string; sha256: string; bytes: number }[]): string {
  return runFolderIn(libraryBlobs(), sha256, data);
}

/** Records an installed model; one already there (same hash) is kept as it is, name included. */
export function recordLibraryModel(m: Omit<LibraryModel, 'hash' | 'workspaces'>): { model: LibraryModel; existing: boolean } {
  const hash = modelHash(m.family, m.files);
  return updateIndex((index) => {
    const there = index.models.find((x) => x.hash === hash);
    if (there) return { model: there, existing: true };
    const model: LibraryModel = { ...m, hash, workspaces: [] };
    index.models.push(model);
    return { model, existing: false };
  });
}

/** Notes that a workspace uses the model (a removal then looks at that workspace's runs too). */
export function noteWorkspaceUses(hash: string, workspaceRoot: string): void {
  if (libraryModels().find((m) => m.hash === hash)?.workspaces.includes(workspaceRoot) !== false) return;
  updateIndex((index) => {
    const m = index.models.find((x) => x.hash === hash);
    if (m && !m.workspaces.includes(workspaceRoot)) m.workspaces.push(workspaceRoot);
  });
}

export function renameLibraryModel(hash: string, name: string): LibraryModel {
  const clean = name.trim();
  if (!clean) throw new ModelLibraryError('a model name cannot be empty');
  return updateIndex((index) => {
    const m = index.models.find((x) => x.hash === hash);
    if (!m) throw new ModelLibraryError(`no model ${hash.slice(0, 12)} in the library ${libraryRoot()}`);
    m.name = clean;
    return m;
  });
}

/**
 * Drops the model from the index, then its files that no other library model names (an encoder may
 * be shared by two decoders or families) and its run folders. The caller has checked the runs.
 */
export function removeLibraryModel(hash: string): LibraryModel {
  const removed = updateIndex((index) => {
    const at = index.models.findIndex((x) => x.hash === hash);
    if (at < 0) throw new ModelLibraryError(`no model ${hash.slice(0, 12)} in the library ${libraryRoot()}`);
    return index.models.splice(at, 1)[0]!;
  });
  const blobs = libraryBlobs();
  const left = libraryModels();
  for (const f of removed.files) {
    if (!namedBy(left, f.sha256)) rmSync(join(blobs.root, 'teacher-run', f.sha256), { recursive: true, force: true });
    for (const sha of [f.sha256, ...(f.externalData ?? []).map((d) => d.sha256)]) dropLibraryFile(sha);
  }
  return removed;
}
