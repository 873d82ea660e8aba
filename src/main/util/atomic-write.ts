import { randomBytes } from 'node:crypto';
import { closeSync, fsync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const fsyncOnPool = promisify(fsync);

const TMP_SUFFIX = /\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes to a temporary sibling, checks every byte reached the file, fsyncs and renames: readers
 * see the old file or the whole new one. On a full disk `writeSync` may write fewer bytes than
 * asked without throwing; a short file must never be renamed into place, so the loop demands
 * progress and the temporary file is removed on any failure.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = temporaryName(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    commit(tmp, path, bytes);
  } catch (e) {
    throw abandon(tmp, path, e);
  }
}

/**
 * `writeFileAtomic` whose fsync waits on libuv's thread pool: several files' fsyncs are in flight
 * together, so the file system commits them in one journal flush instead of one each, and the
 * caller keeps working meanwhile. Only the fsync waits for the disk; open, write (into the page
 * cache), stat and rename are quick and stay on the calling thread, so a write is one trip through
 * the pool (four threads, each held by an fsync in flight), not one per step.
 */
export async function writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = temporaryName(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, bytes);
      await fsyncOnPool(fd);
    } finally {
      closeSync(fd);
    }
    commit(tmp, path, bytes);
  } catch (e) {
    throw abandon(tmp, path, e);
  }
}

/** The synced temporary file into place, once its size on disk is the size written. */
function commit(tmp: string, path: string, bytes: Uint8Array): void {
  checkSize(statSync(tmp).size, bytes);
  renameSync(tmp, path);
}

/** A failed write: the temporary file removed (the target is untouched), the error naming the target. */
function abandon(tmp: string, path: string, e: unknown): Error {
  rmSync(tmp, { force: true });
  return new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
}

function temporaryName(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

/** On a full disk a write may report fewer bytes than asked, or none, without throwing: the loop demands progress. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const n = writeSync(fd, bytes, offset, bytes.byteLength - offset);
    if (n <= 0) throw new Error(`wrote ${offset} of ${bytes.byteLength} bytes`);
    offset += n;
  }
}

function checkSize(onDisk: number, bytes: Uint8Array): void {
  if (onDisk !== bytes.byteLength) throw new Error(`${onDisk} bytes on disk, expected ${bytes.byteLength}`);
}

/**
 * Removes temporary files a killed writer left behind under `root` (one level of sub-folders, the
 * blob store's fan-out). Only names this module makes are touched, and only when older than
 * `minAgeMs`, so another process's write in flight is never pulled from under it.
 */
export function sweepTemporaryFiles(root: string, minAgeMs = 10 * 60_000, depth = 1): number {
  let removed = 0;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return 0;
  }
  for (const name of entries) {
    const full = join(root, name);
    try {
      const st = statSync(full);
      if (TMP_SUFFIX.test(name) && st.isFile()) {
        if (Date.now() - st.mtimeMs < minAgeMs) continue;
        rmSync(full, { force: true });
        removed++;
      } else if (depth > 0 && st.isDirectory()) {
        removed += sweepTemporaryFiles(full, minAgeMs, depth - 1);
      }
    } catch {
      // Vanished or unreadable entry: nothing of ours to sweep there.
    }
  }
  return removed;
}
