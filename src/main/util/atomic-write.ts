import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const TMP_SUFFIX = /\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes to a temporary sibling, checks every byte reached the file, fsyncs and renames: readers
 * see the old file or the whole new one. On a full disk `writeSync` may write fewer bytes than
 * asked without throwing; a short file must never be renamed into place, so the loop demands
 * progress and the temporary file is removed on any failure.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w');
  let renamed = false;
  try {
    try {
      let offset = 0;
      while (offset < bytes.byteLength) {
        const n = writeSync(fd, bytes, offset, bytes.byteLength - offset);
        if (n <= 0) throw new Error(`wrote ${offset} of ${bytes.byteLength} bytes`);
        offset += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const written = statSync(tmp).size;
    if (written !== bytes.byteLength) throw new Error(`${written} bytes on disk, expected ${bytes.byteLength}`);
    renameSync(tmp, path);
    renamed = true;
  } catch (e) {
    throw new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (!renamed) rmSync(tmp, { force: true });
  }
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
