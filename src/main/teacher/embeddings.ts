import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Workspace } from '../workspace/workspace';

/**
 * SAM is frozen, so an image's embedding never changes for a given encoder and preprocessing: it is
 * computed once, kept in the blob store as raw little-endian float32, and found again by key.
 *
 * Key = (image SHA-256, frame index, encoder SHA-256, preprocessing recipe, MODEL_RGB_RULE).
 * Index: one small JSON file per key under `<ws>/blobs/teacher-embeddings/<sha256(key)>.json`,
 * naming the blob — deterministic and written atomically (temp + rename), so concurrent writers
 * never corrupt a shared index and a lost race only costs a recomputation. (A `teacher_embeddings`
 * table keyed the same way could replace it, if queries over cached embeddings are ever needed.)
 * In front of it, an in-memory LRU of the most recent embeddings (4 MB each for SAM).
 *
 * A new embedding is handed back before its 4 MB reach the disk: the index entry (and the blob's
 * hash, which names it) is written before `get` returns, the blob itself in the background, to a
 * temporary name renamed into place and without fsync — this is a cache: after a crash an entry may
 * point to a missing or short blob, which reads as a miss (the size is checked), never as a wrong
 * embedding. Lookups in this process wait for a pending blob of theirs; `flushEmbeddingWrites`
 * waits for all of them (releaseTeacherSessions calls it).
 */

/** Bump when imaging/pixels' rule for "the image as the models see it" changes. */
export const MODEL_RGB_RULE = 'model-rgb-v1';

export interface EmbeddingKey {
  imageSha256: string;
  frameIndex: number;
  encoderSha256: string;
  recipe: string;
}

export interface Embedding {
  data: Float32Array;
  dims: number[];
}

export interface EmbeddingLookup extends Embedding {
  source: 'memory' | 'disk' | 'encoder';
  /** Time spent in the encoder for this call (0 when cached). */
  encoderMs: number;
}

interface IndexEntry {
  blob: string;
  dims: number[];
  imageSha256: string;
  frameIndex: number;
  encoderSha256: string;
  recipe: string;
  rule: string;
  createdAt: string;
}

export function embeddingKeyId(k: EmbeddingKey): string {
  return createHash('sha256').update(`${k.imageSha256}\n${k.frameIndex}\n${k.encoderSha256}\n${k.recipe}\n${MODEL_RGB_RULE}`).digest('hex');
}

export interface EmbeddingCacheStats {
  encoderRuns: number;
  memoryHits: number;
  diskHits: number;
}

export class EmbeddingCache {
  readonly stats: EmbeddingCacheStats = { encoderRuns: 0, memoryHits: 0, diskHits: 0 };
  /** Called each time the encoder really runs (tests prove caching with it). */
  onEncode: ((key: EmbeddingKey) => void) | null = null;
  private readonly lru = new Map<string, Embedding>();
  /** In-flight computations, so two concurrent requests for one image run the encoder once. */
  private readonly pending = new Map<string, Promise<EmbeddingLookup>>();

  constructor(readonly capacity = 8) {}

  private memKey(ws: Workspace, id: string): string {
    return `${ws.root}\n${id}`;
  }

  private remember(key: string, e: Embedding): void {
    this.lru.delete(key);
    this.lru.set(key, e);
    while (this.lru.size > this.capacity) this.lru.delete(this.lru.keys().next().value!);
  }

  clearMemory(): void {
    this.lru.clear();
  }

  /** Whether an embedding is stored (memory or disk), without computing it. */
  has(ws: Workspace, key: EmbeddingKey): boolean {
    const id = embeddingKeyId(key);
    return this.lru.has(this.memKey(ws, id)) || readIndex(ws, id) !== null;
  }

  async get(ws: Workspace, key: EmbeddingKey, compute: () => Promise<Embedding>): Promise<EmbeddingLookup> {
    const id = embeddingKeyId(key);
    const mk = this.memKey(ws, id);
    const hit = this.lru.get(mk);
    if (hit) {
      this.remember(mk, hit);
      this.stats.memoryHits++;
      return { ...hit, source: 'memory', encoderMs: 0 };
    }
    const inFlight = this.pending.get(mk);
    if (inFlight) return inFlight.then((r) => ({ ...r, source: 'memory' as const, encoderMs: 0 }));
    const job = this.load(ws, id, key, compute);
    this.pending.set(mk, job);
    try {
      const r = await job;
      this.remember(mk, { data: r.data, dims: r.dims });
      return r;
    } finally {
      this.pending.delete(mk);
    }
  }

  private async load(ws: Workspace, id: string, key: EmbeddingKey, compute: () => Promise<Embedding>): Promise<EmbeddingLookup> {
    const entry = readIndex(ws, id);
    if (entry) {
      let stored = readEmbeddingBlob(ws, entry);
      const writing = stored ? undefined : pendingBlobs.get(this.memKey(ws, id));
      if (writing) {
        // Indexed by this process a moment ago, its blob still on the way.
        await writing;
        stored = readEmbeddingBlob(ws, entry);
      }
      if (stored) {
        this.stats.diskHits++;
        return { ...stored, source: 'disk', encoderMs: 0 };
      }
    }
    const t0 = performance.now();
    const e = await compute();
    const encoderMs = performance.now() - t0;
    this.stats.encoderRuns++;
    this.onEncode?.(key);
    const expected = e.dims.reduce((a, b) => a * b, 1);
    if (e.data.length !== expected) throw new Error(`encoder returned ${e.data.length} values for dims [${e.dims.join(',')}]`);
    store(ws, this.memKey(ws, id), id, key, e);
    return { data: e.data, dims: e.dims, source: 'encoder', encoderMs };
  }
}

/** Blob writes still under way, by `${ws.root}\n${key id}`. */
const pendingBlobs = new Map<string, Promise<void>>();

/** Waits until every embedding computed so far is on disk (or failed to get there). */
export async function flushEmbeddingWrites(): Promise<void> {
  while (pendingBlobs.size) await Promise.all(pendingBlobs.values());
}

/**
 * Writes the index entry now and the blob in the background (see the header). The embedding's
 * data must not change afterwards — like everything the cache hands out, it is read-only.
 */
function store(ws: Workspace, pendingKey: string, id: string, key: EmbeddingKey, e: Embedding): void {
  const bytes = new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  const blob = createHash('sha256').update(bytes).digest('hex');
  const target = ws.blobs.path(blob);
  writeIndex(ws, id, {
    blob,
    dims: e.dims,
    imageSha256: key.imageSha256,
    frameIndex: key.frameIndex,
    encoderSha256: key.encoderSha256,
    recipe: key.recipe,
    rule: MODEL_RGB_RULE,
    createdAt: new Date().toISOString(),
  });
  if (blobSize(target) === bytes.length) return; // already there (a short one, left by a crash, is replaced)
  const write = writeBlob(target, bytes).finally(() => {
    if (pendingBlobs.get(pendingKey) === write) pendingBlobs.delete(pendingKey);
  });
  pendingBlobs.set(pendingKey, write);
}

function blobSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** Temp file + rename, no fsync; a failure only leaves the entry a miss. */
async function writeBlob(target: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** The process-wide cache the teacher uses by default. */
export const embeddingCache = new EmbeddingCache();

function indexDir(ws: Workspace): string {
  return join(ws.blobs.root, 'teacher-embeddings');
}

function readIndex(ws: Workspace, id: string): IndexEntry | null {
  let text: string;
  try {
    text = readFileSync(join(indexDir(ws), `${id}.json`), 'utf8');
  } catch {
    return null; // no entry
  }
  try {
    return JSON.parse(text) as IndexEntry;
  } catch {
    return null; // a damaged entry is a miss; the next computation rewrites it
  }
}

function writeIndex(ws: Workspace, id: string, entry: IndexEntry): void {
  const dir = indexDir(ws);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id}.json`);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry));
  renameSync(tmp, file);
}

function readEmbeddingBlob(ws: Workspace, entry: IndexEntry): Embedding | null {
  if (!/^[0-9a-f]{64}$/.test(entry.blob)) return null;
  const n = entry.dims.reduce((a, b) => a * b, 1);
  let fd: number;
  try {
    fd = openSync(ws.blobs.path(entry.blob), 'r');
  } catch {
    return null; // not (or not yet) there
  }
  try {
    if (fstatSync(fd).size !== n * 4) return null;
    // Straight into an aligned buffer (no intermediate Buffer, which may sit at any offset of Node's pool).
    const data = new Float32Array(n);
    const bytes = new Uint8Array(data.buffer);
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, done);
      if (got === 0) return null;
      done += got;
    }
    return { data, dims: entry.dims };
  } finally {
    closeSync(fd);
  }
}
