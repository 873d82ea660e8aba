import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepTemporaryFiles, writeFileAtomic, writeFileAtomicAsync } from '../../src/main/util/atomic-write';
import { BlobStore, sha256 } from '../../src/main/workspace/blobs';

const FIXTURE = join(__dirname, '../fixtures/write-under-file-limit.ts');

describe('writes that cannot lie', () => {
  it.each(['sync', 'async'])('a short write on a full disk throws, names the file, and leaves neither the target nor a temporary file (%s)', (how) => {
    const dir = mkdtempSync(join(tmpdir(), 'apprentice-full-'));
    const target = join(dir, 'blob');
    // ulimit -f counts 1 KiB blocks: the kernel writes 16 KiB of the 64 KiB, then refuses (EFBIG).
    const r = spawnSync('bash', ['-c', `ulimit -f 16; exec "${process.execPath}" --import tsx "${FIXTURE}" "${target}" 65536 ${how}`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error: string | null; exists: boolean; left: string[] };
    expect(out.error).toContain(target);
    expect(out.exists).toBe(false);
    expect(out.left).toEqual([]);
  });

  it('writes the whole file when there is room', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apprentice-room-'));
    const target = join(dir, 'f');
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    writeFileAtomic(target, bytes);
    expect(Buffer.compare(readFileSync(target), bytes)).toBe(0);
  });

  it('writes the whole file off the main thread too, replacing what was there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apprentice-room-'));
    const target = join(dir, 'f');
    writeFileSync(target, 'old');
    const bytes = new Uint8Array(200_000).map((_, i) => i % 241);
    await writeFileAtomicAsync(target, bytes);
    expect(Buffer.compare(readFileSync(target), bytes)).toBe(0);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('putAsync rewrites a truncated blob too, and putAll stores each blob, hashes in order', async () => {
    const root = mkdtempSync(join(tmpdir(), 'apprentice-blobs-'));
    const store = new BlobStore(root);
    const list = Array.from({ length: 19 }, (_, k) => new Uint8Array(3_000 + k).map((_, i) => (i * (k + 3)) % 256));
    const truncated = store.path(sha256(list[5]!));
    mkdirSync(join(truncated, '..'), { recursive: true });
    writeFileSync(truncated, list[5]!.subarray(0, 1_000));
    const hashes = await store.putAll(list);
    expect(hashes).toEqual(list.map((b) => sha256(b)));
    for (const [k, h] of hashes.entries()) expect(Buffer.compare(store.get(h), list[k]!)).toBe(0);
    expect(await store.putAsync(list[0]!)).toBe(hashes[0]);
  });

  it('a truncated blob already under a valid hash is rewritten, not counted as stored', () => {
    const root = mkdtempSync(join(tmpdir(), 'apprentice-blobs-'));
    const store = new BlobStore(root);
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 13) % 256);
    const path = store.path(sha256(bytes));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes.subarray(0, 4_000));
    expect(store.put(bytes)).toBe(sha256(bytes));
    expect(sha256(readFileSync(path))).toBe(sha256(bytes));
  });

  it('opening the store sweeps stale temporary files and keeps fresh ones (a write in flight)', () => {
    const root = mkdtempSync(join(tmpdir(), 'apprentice-sweep-'));
    mkdirSync(join(root, 'ab'));
    const stale = join(root, 'ab', 'cdef.0123456789ab.tmp');
    const fresh = join(root, 'ab', 'cdef.ba9876543210.tmp');
    const other = join(root, 'ab', 'notes.tmp');
    for (const f of [stale, fresh, other]) writeFileSync(f, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stale, hourAgo, hourAgo);
    utimesSync(other, hourAgo, hourAgo);
    new BlobStore(root);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(sweepTemporaryFiles(root, 0)).toBe(1);
  });
});
