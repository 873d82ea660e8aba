import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blobs';

/**
 * Copies a (possibly multi-GB) file into the content-addressed blob store without holding it in
 * memory: the bytes are hashed while they are copied to a temporary file inside the store, which is
 * fsynced and renamed onto its SHA-256 name — atomically, like `BlobStore.put`. An existing blob with
 * the same hash is kept and the copy discarded.
 */
export async function putFileStreaming(
  blobs: BlobStore,
  file: string,
  opts: { watch?: Uint8Array } = {},
): Promise<{ sha256: string; bytes: number; existed: boolean; watchFound: boolean }> {
  const hash = createHash('sha256');
  let bytes = 0;
  // Optional byte pattern looked for while copying (without a second read of a multi-GB file).
  const watch = opts.watch && opts.watch.length > 0 ? Buffer.from(opts.watch) : null;
  let watchFound = false;
  let tail = Buffer.alloc(0);
  const tmp = join(blobs.root, `incoming-${randomBytes(8).toString('hex')}.tmp`);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      if (watch && !watchFound) {
        const edge = Buffer.concat([tail, chunk.subarray(0, watch.length - 1)]);
        watchFound = edge.indexOf(watch) >= 0 || chunk.indexOf(watch) >= 0;
        tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (watch.length - 1))));
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(file, { highWaterMark: 4 << 20 }), tap, createWriteStream(tmp));
    const sha256 = hash.digest('hex');
    const target = blobs.path(sha256);
    if (existsSync(target)) {
      rmSync(tmp, { force: true });
      return { sha256, bytes, existed: true, watchFound };
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
    return { sha256, bytes, existed: false, watchFound };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
