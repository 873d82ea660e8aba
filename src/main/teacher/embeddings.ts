import { createHash, webcrypto } from 'node:crypto';
import { totalmem } from 'node:os';
import {
  embeddingBlobSize,
  pruneEmbeddings,
  readEmbeddingBlob,
  readEmbeddingBlobAsync,
  readEmbeddingEntry as readIndex,
  writeEmbeddingBlob,
  writeEmbeddingEntry as writeIndex,
} from '../workspace/embedding-store';
import type { Workspace } from '../workspace/workspace';
import { teacherRecipes } from './preprocess';

/**
 * SAM is frozen, so an image's embedding never changes for a given encoder and preprocessing: it is
 * computed once, kept in the blob store as raw little-endian float32, and found again by key.
 *
 * Key = (image SHA-256, frame index, encoder SHA-256, preprocessing recipe, MODEL_RGB_RULE).
 * Index: one small JSON entry per key, naming the blob (workspace/embedding-store.ts). (A
 * `teacher_embeddings` table keyed the same way could replace it, if queries over cached
 * embeddings are ever needed.)
 * In front of it, an in-memory LRU of the most recent embeddings (4 MB each for SAM), within a
 * byte budget sized to the machine (`embeddingMemoryBudget`): continuous mining revisits every
 * unlabeled image each epoch, and from memory a revisit costs the decoder alone, with no 4 MB read
 * competing with it for the cores.
 *
 * A new embedding is handed back before its 4 MB reach the disk: its SHA-256 (which names the blob)
 * is computed off the main thread, then the blob is written to a temporary name renamed into place
 * without fsync, then the index entry — all in the background, so the caller (a prompt waiting for
 * its mask, the next image in a queue) does not wait for hashing and file writes. This is a cache:
 * after a crash an entry may point to a missing or short blob, which reads as a miss (the size is
 * checked), never as a wrong embedding. Lookups in this process wait for a pending write of theirs
 * (and `has` counts it as stored); `flushEmbeddingWrites` waits for all of them
 * (releaseTeacherSessions calls it).
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

/**
 * Removes cached embeddings that no lookup can ask for again: made under another MODEL_RGB_RULE or
 * by a preprocessing recipe the app no longer produces (after an upgrade that changed one).
 */
export async function pruneStaleEmbeddings(ws: Workspace): Promise<{ entries: number; bytes: number }> {
  const recipes = teacherRecipes();
  return pruneEmbeddings(ws, (e) => e.rule === MODEL_RGB_RULE && recipes.has(e.recipe));
}

export function embeddingKeyId(k: EmbeddingKey): string {
  return createHash('sha256').update(`${k.imageSha256}\n${k.frameIndex}\n${k.encoderSha256}\n${k.recipe}\n${MODEL_RGB_RULE}`).digest('hex');
}

export interface EmbeddingCacheStats {
  encoderRuns: number;
  memoryHits: number;
  diskHits: number;
  /** Disk hits whose read had been started ahead by `prefetch`. */
  prefetchHits: number;
}

/** Overrides the memory budget of the embedding cache, in MB (0: keep none in memory). */
export const EMBEDDING_MEMORY_ENV = 'APPRENTICE_EMBEDDING_MEMORY_MB';

const MB = 1024 * 1024;

/**
 * Bytes of embeddings kept in memory: APPRENTICE_EMBEDDING_MEMORY_MB when set, else 1/16 of the machine's
 * memory within [256 MB, 2 GB] — 1.5 GB (~380 SAM embeddings) on a 24 GB workstation, next to a
 * student whose training peaks near 5 GB.
 */
export function embeddingMemoryBudget(env: NodeJS.ProcessEnv = process.env, machineBytes = totalmem()): number {
  const given = env[EMBEDDING_MEMORY_ENV];
  if (given !== undefined && given.trim() !== '') {
    const mb = Number(given);
    if (!Number.isFinite(mb) || mb < 0) throw new Error(`${EMBEDDING_MEMORY_ENV} must be a number of megabytes ≥ 0 (got '${given}')`);
    return Math.round(mb * MB);
  }
  return Math.min(2048 * MB, Math.max(256 * MB, Math.floor(machineBytes / 16)));
}

export class EmbeddingCache {
  readonly stats: EmbeddingCacheStats = { encoderRuns: 0, memoryHits: 0, diskHits: 0, prefetchHits: 0 };
  /** Called each time the encoder really runs (tests prove caching with it). */
  onEncode: ((key: EmbeddingKey) => void) | null = null;
  private readonly lru = new Map<string, Embedding>();
  private bytes = 0;
  /** In-flight computations, so two concurrent requests for one image run the encoder once. */
  private readonly pending = new Map<string, Promise<EmbeddingLookup>>();
  /** Disk reads started by `prefetch`, by memory key, until a lookup takes them. */
  private prefetched = new Map<string, Promise<Embedding | null>>();

  /** `capacityBytes`: the memory budget (`embeddingMemoryBudget`); least recently used go first. */
  constructor(private capacityBytes = processBudget()) {}

  get capacity(): number {
    return this.capacityBytes;
  }

  /** A new budget, applied at once. */
  set capacity(bytes: number) {
    if (!(bytes >= 0)) throw new Error(`embedding memory budget must be ≥ 0 bytes (got ${bytes})`);
    this.capacityBytes = bytes;
    this.evict();
  }

  /** Bytes of embeddings held in memory now. */
  get memoryBytes(): number {
    return this.bytes;
  }

  private memKey(ws: Workspace, id: string): string {
    return `${ws.root}\n${id}`;
  }

  private remember(key: string, e: Embedding): void {
    const old = this.lru.get(key);
    if (old) {
      this.lru.delete(key);
      this.bytes -= old.data.byteLength;
    }
    this.lru.set(key, e);
    this.bytes += e.data.byteLength;
    this.evict();
  }

  private evict(): void {
    while (this.bytes > this.capacityBytes && this.lru.size) {
      const [key, e] = this.lru.entries().next().value!;
      this.lru.delete(key);
      this.bytes -= e.data.byteLength;
    }
  }

  clearMemory(): void {
    this.lru.clear();
    this.bytes = 0;
    this.prefetched.clear();
  }

  /** Lets go of the memory held for one workspace's embeddings (the app closed it); its disk cache stays. */
  forgetWorkspace(ws: Workspace): void {
    const prefix = this.memKey(ws, '');
    for (const [key, e] of this.lru) {
      if (!key.startsWith(prefix)) continue;
      this.lru.delete(key);
      this.bytes -= e.data.byteLength;
    }
    for (const key of this.prefetched.keys()) if (key.startsWith(prefix)) this.prefetched.delete(key);
  }

  /** Whether an embedding is stored (memory or disk), without computing it. */
  has(ws: Workspace, key: EmbeddingKey): boolean {
    const id = embeddingKeyId(key);
    const mk = this.memKey(ws, id);
    return this.lru.has(mk) || pendingBlobs.has(mk) || readIndex(ws, id) !== null;
  }

  /**
   * Starts reading these stored embeddings from disk in the background (never the encoder), for
   * lookups about to come: continuous mining knows a batch's images before it asks the teacher
   * about each. Reads started by an earlier call and not taken yet are dropped (their memory with
   * them); keys in memory, being computed, or not stored are skipped.
   */
  prefetch(ws: Workspace, keys: EmbeddingKey[]): void {
    const next = new Map<string, Promise<Embedding | null>>();
    for (const key of keys) {
      const id = embeddingKeyId(key);
      const mk = this.memKey(ws, id);
      if (this.lru.has(mk) || this.pending.has(mk) || pendingBlobs.has(mk) || next.has(mk)) continue;
      const started = this.prefetched.get(mk);
      if (started) {
        next.set(mk, started);
        continue;
      }
      const entry = readIndex(ws, id);
      if (entry) next.set(mk, readEmbeddingBlobAsync(ws, entry));
    }
    this.prefetched = next;
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
    // Computed by this process a moment ago (by another cache), still on its way to the disk.
    const mk = this.memKey(ws, id);
    const ahead = this.prefetched.get(mk);
    if (ahead) {
      this.prefetched.delete(mk);
      const read = await ahead;
      if (read) {
        this.stats.diskHits++;
        this.stats.prefetchHits++;
        return { ...read, source: 'disk', encoderMs: 0 };
      }
    }
    const writing = pendingBlobs.get(mk);
    if (writing) await writing;
    const entry = readIndex(ws, id);
    const stored = entry ? readEmbeddingBlob(ws, entry) : null;
    if (stored) {
      this.stats.diskHits++;
      return { ...stored, source: 'disk', encoderMs: 0 };
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

/** Embeddings still on their way to the disk (hash, blob, index), by `${ws.root}\n${key id}`. */
const pendingBlobs = new Map<string, Promise<void>>();

/** Waits until every embedding computed so far is on disk (or failed to get there). */
export async function flushEmbeddingWrites(): Promise<void> {
  while (pendingBlobs.size) await Promise.all(pendingBlobs.values());
}

/**
 * Stores an embedding in the background (see the header): hash, blob, then the index entry, which
 * is written only once its blob is there. The embedding's data must not change afterwards — like
 * everything the cache hands out, it is read-only.
 */
function store(ws: Workspace, pendingKey: string, id: string, key: EmbeddingKey, e: Embedding): void {
  const bytes = new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  const write = (async () => {
    // webcrypto hashes on a worker thread: ~0.4 ms of the main thread instead of ~2 ms for 4 MB.
    const blob = Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
    // An existing blob of the right size is kept; a short one, left by a crash, is replaced.
    if (embeddingBlobSize(ws, blob) !== bytes.length) await writeEmbeddingBlob(ws, blob, bytes);
    if (embeddingBlobSize(ws, blob) !== bytes.length) return; // not written: the key stays a miss
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
  })()
    .catch(() => undefined) // a cache write that fails leaves a miss, never a wrong entry
    .finally(() => {
      if (pendingBlobs.get(pendingKey) === write) pendingBlobs.delete(pendingKey);
    });
  pendingBlobs.set(pendingKey, write);
}

/** The budget of a cache made without one: a malformed override is reported, not fatal to the app. */
function processBudget(): number {
  try {
    return embeddingMemoryBudget();
  } catch (e) {
    process.emitWarning(`${(e as Error).message}; using the default budget`);
    return embeddingMemoryBudget({});
  }
}

/** The process-wide cache the teacher uses by default. */
export const embeddingCache = new EmbeddingCache(processBudget());
