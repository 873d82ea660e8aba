import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sweepTemporaryFiles, writeFileAtomic, writeFileAtomicAsync } from '../util/atomic-write';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Content-addressed files under `<workspace>/blobs/ab/cdef…`. Writes go to a temporary name and are
 * renamed into place, so a crash never leaves a half-written blob under a valid hash.
 */
export class BlobStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
    sweepTemporaryFiles(root);
  }

  path(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a blob hash: ${hash}`);
    return join(this.root, hash.slice(0, 2), hash.slice(2));
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  put(bytes: Uint8Array): string {
    const { hash, target } = this.destination(bytes);
    if (target) writeFileAtomic(target, bytes);
    return hash;
  }

  /**
   * `put` whose fsync waits on libuv's thread pool (writeFileAtomicAsync): an import writes a file's
   * blobs, and the next files', together, so their fsyncs overlap instead of queueing on the main thread.
   */
  async putAsync(bytes: Uint8Array): Promise<string> {
    const { hash, target } = this.destination(bytes);
    if (target) await writeFileAtomicAsync(target, bytes);
    return hash;
  }

  /** The bytes' hash, and the file to write them to unless the store holds them already. */
  private destination(bytes: Uint8Array): { hash: string; target: string | null } {
    const hash = sha256(bytes);
    const target = this.path(hash);
    // An existing file is trusted only if it holds these very bytes: a blob truncated by a full
    // disk or damaged on disk would otherwise make every re-import a silent duplicate of garbage.
    if (existsSync(target) && sameBytes(target, bytes)) return { hash, target: null };
    mkdirSync(join(this.root, hash.slice(0, 2)), { recursive: true });
    return { hash, target };
  }

  /** `putAsync` of each, a few at a time (a multi-frame DICOM has thousands of frames: not thousands of open files). */
  async putAll(list: Uint8Array[]): Promise<string[]> {
    const hashes: string[] = [];
    for (let i = 0; i < list.length; i += PUTS_IN_FLIGHT) {
      hashes.push(...(await Promise.all(list.slice(i, i + PUTS_IN_FLIGHT).map((b) => this.putAsync(b)))));
    }
    return hashes;
  }

  get(hash: string): Buffer {
    return readFileSync(this.path(hash));
  }
}

/** Twice libuv's four threads, so its pool stays busy; more would only queue, each holding a file open. */
const PUTS_IN_FLIGHT = 8;

function sameBytes(file: string, bytes: Uint8Array): boolean {
  try {
    if (statSync(file).size !== bytes.byteLength) return false;
    return Buffer.compare(readFileSync(file), bytes) === 0;
  } catch {
    return false;
  }
}
