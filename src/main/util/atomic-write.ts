import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const TMP_SUFFIX = /\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes to a temporary sibling, checks every byte reached the file, fsyncs and renames: readers
 * see the old file or the whole new one. On a full disk `writeSync` may write fewer bytes than
 * asked without throwing; a short file must never be renamed into place, so the loop demands
 * progress and the temporary file is removed on any failure.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = temporaryName(path);
  const fd = openSync(tmp, 'w');
  let renamed = false;
  try {
    try {
      let offset = 0;
      while (offset < bytes.byteLength) {
        offset += progress(offset, bytes, writeSync(fd, bytes, offset, bytes.byteLength - offset));
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    checkSize(statSync(tmp).size, bytes);
    renameSync(tmp, path);
    renamed = true;
  } catch (e) {
    throw new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (!renamed) rmSync(tmp, { force: true });
  }
}

/**
 * `writeFileAtomic` on libuv's thread pool, with the same checks: the write, fsync and rename happen
 * off the calling thread, so several files' fsyncs are in flight together and the file system can
 * commit them in one journal flush instead of one flush each, while the caller keeps working.
 */
export async function writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = temporaryName(path);
  let renamed = false;
  try {
    const handle = await open(tmp, 'w');
    try {
      let offset = 0;
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
        offset += progress(offset, bytes, bytesWritten);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    checkSize((await stat(tmp)).size, bytes);
    await rename(tmp, path);
    renamed = true;
  } catch (e) {
    throw new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (!renamed) await rm(tmp, { force: true });
  }
}

function temporaryName(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Bytes a write call reports; on a full disk it may report none without throwing, and the loop must not spin. */
function progress(offset: number, bytes: Uint8Array, written: number): number {
  if (written <= 0) throw new Error(`wrote ${offset} of ${bytes.byteLength} bytes`);
  return written;
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
