import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sweepTemporaryFiles, writeFileAtomic } from '../util/atomic-write';

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
    const hash = sha256(bytes);
    const target = this.path(hash);
    // An existing file is trusted only if it holds these very bytes: a blob truncated by a full
    // disk or damaged on disk would otherwise make every re-import a silent duplicate of garbage.
    if (existsSync(target) && sameBytes(target, bytes)) return hash;
    mkdirSync(join(this.root, hash.slice(0, 2)), { recursive: true });
    writeFileAtomic(target, bytes);
    return hash;
  }

  get(hash: string): Buffer {
    return readFileSync(this.path(hash));
  }
}

function sameBytes(file: string, bytes: Uint8Array): boolean {
  try {
    if (statSync(file).size !== bytes.byteLength) return false;
    return Buffer.compare(readFileSync(file), bytes) === 0;
  } catch {
    return false;
  }
}
