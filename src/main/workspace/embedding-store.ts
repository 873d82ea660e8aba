import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { blobReferences } from './blob-release';
import type { Workspace } from './workspace';

// Storage of the teacher's embedding cache (the cache itself is teacher/embeddings.ts): one small
// JSON index entry per key under `<ws>/blobs/teacher-embeddings/<key id>.json`, naming a blob of
// raw little-endian float32. Entries are written atomically (temp + rename), so concurrent writers
// never corrupt a shared index and a lost race only costs a recomputation.

/** What an index entry records: the blob and everything the key was made of. */
export interface EmbeddingEntry {
  blob: string;
  dims: number[];
  imageSha256: string;
  frameIndex: number;
  encoderSha256: string;
  recipe: string;
  rule: string;
  createdAt: string;
}

function indexDir(ws: Workspace): string {
  return join(ws.blobs.root, 'teacher-embeddings');
}

export function readEmbeddingEntry(ws: Workspace, id: string): EmbeddingEntry | null {
  let text: string;
  try {
    text = readFileSync(join(indexDir(ws), `${id}.json`), 'utf8');
  } catch {
    return null; // no entry
  }
  try {
    return JSON.parse(text) as EmbeddingEntry;
  } catch {
    return null; // a damaged entry is a miss; the next computation rewrites it
  }
}

export function writeEmbeddingEntry(ws: Workspace, id: string, entry: EmbeddingEntry): void {
  const dir = indexDir(ws);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id}.json`);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry));
  renameSync(tmp, file);
}

/** Size of the stored blob in bytes, -1 when it is not there. */
export function embeddingBlobSize(ws: Workspace, blob: string): number {
  try {
    return statSync(ws.blobs.path(blob)).size;
  } catch {
    return -1;
  }
}

/**
 * Temp file + rename, without fsync: this is a cache, and an entry whose blob is missing or short
 * after a crash reads as a miss. A failure only leaves the entry a miss.
 */
export async function writeEmbeddingBlob(ws: Workspace, blob: string, bytes: Uint8Array): Promise<void> {
  const target = ws.blobs.path(blob);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Whether an index entry's blob field can name a blob at all (a damaged entry may hold anything). */
const isBlobName = (blob: unknown): blob is string => typeof blob === 'string' && /^[0-9a-f]{64}$/.test(blob);

/** The float32 values an entry's blob must hold, or null when the entry names no blob. */
function blobValues(entry: EmbeddingEntry): number | null {
  return isBlobName(entry.blob) ? entry.dims.reduce((a, b) => a * b, 1) : null;
}

/** The entry's embedding, or null when its blob is missing or not the size the dims say. */
export function readEmbeddingBlob(ws: Workspace, entry: EmbeddingEntry): { data: Float32Array; dims: number[] } | null {
  const n = blobValues(entry);
  if (n === null) return null;
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

/**
 * readEmbeddingBlob on libuv's threads: the 4 MB copy from the page cache happens off the main
 * thread, so a read started ahead of need overlaps the work in between.
 */
export async function readEmbeddingBlobAsync(ws: Workspace, entry: EmbeddingEntry): Promise<{ data: Float32Array; dims: number[] } | null> {
  const n = blobValues(entry);
  if (n === null) return null;
  let file;
  try {
    file = await open(ws.blobs.path(entry.blob), 'r');
  } catch {
    return null; // not (or not yet) there
  }
  try {
    if ((await file.stat()).size !== n * 4) return null;
    const data = new Float32Array(n);
    const bytes = new Uint8Array(data.buffer);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await file.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) return null;
      done += bytesRead;
    }
    return { data, dims: entry.dims };
  } catch {
    return null; // unreadable now: a miss, as the synchronous read would say
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * Deletes the index entries `keep` rejects (and unreadable ones), then each of their blobs that no
 * kept entry and no workspace row names. Entries whose key can never be asked for again — made by
 * preprocessing the app no longer does — would otherwise hold 4 MB each for good. A reader racing
 * this sees a miss, never a wrong embedding. Returns what was deleted.
 */
export async function pruneEmbeddings(ws: Workspace, keep: (entry: EmbeddingEntry) => boolean): Promise<{ entries: number; bytes: number }> {
  const dir = indexDir(ws);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch {
    return { entries: 0, bytes: 0 }; // no cache yet
  }
  const kept = new Set<string>();
  const dropped: { file: string; blob: string | null }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let entry: EmbeddingEntry | null = null;
    try {
      entry = JSON.parse(await readFile(file, 'utf8')) as EmbeddingEntry;
    } catch {
      // unreadable: a miss for every reader, so nothing is lost by removing it
    }
    const blob = entry && isBlobName(entry.blob) ? entry.blob : null;
    if (entry && blob && keep(entry)) kept.add(blob);
    else dropped.push({ file, blob });
  }
  let bytes = 0;
  for (const d of dropped) {
    await rm(d.file, { force: true });
    if (!d.blob || kept.has(d.blob) || blobReferences(ws, d.blob) > 0) continue;
    kept.add(d.blob); // two dropped entries naming one blob: count and delete it once
    const size = await stat(ws.blobs.path(d.blob)).then((st) => st.size, () => 0);
    await rm(ws.blobs.path(d.blob), { force: true });
    bytes += size;
  }
  return { entries: dropped.length, bytes };
}
