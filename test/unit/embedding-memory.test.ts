import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDING_MEMORY_ENV, EmbeddingCache, embeddingMemoryBudget, flushEmbeddingWrites, type EmbeddingKey } from '../../src/main/teacher/embeddings';
import { preprocessRecipe } from '../../src/main/teacher/preprocess';
import { Workspace } from '../../src/main/workspace/workspace';

const root = mkdtempSync(join(tmpdir(), 'apprentice-embedding-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MB = 1024 * 1024;
const GB = 1024 * MB;
const key = (c: string): EmbeddingKey => ({ imageSha256: c.repeat(64), frameIndex: 0, encoderSha256: 'e'.repeat(64), recipe: preprocessRecipe('sam', 'nchw', 'float32') });

describe('embedding memory budget', () => {
  it('is 1/16 of the machine within [256 MB, 2 GB], or the override in MB', () => {
    expect(embeddingMemoryBudget({}, 24 * GB)).toBe(1.5 * GB);
    expect(embeddingMemoryBudget({}, 2 * GB)).toBe(256 * MB);
    expect(embeddingMemoryBudget({}, 256 * GB)).toBe(2 * GB);
    expect(embeddingMemoryBudget({ [EMBEDDING_MEMORY_ENV]: '64' }, 24 * GB)).toBe(64 * MB);
    expect(embeddingMemoryBudget({ [EMBEDDING_MEMORY_ENV]: '0' }, 24 * GB)).toBe(0);
    expect(embeddingMemoryBudget({ [EMBEDDING_MEMORY_ENV]: '' }, 24 * GB)).toBe(1.5 * GB);
    for (const bad of ['lots', '-1', 'Infinity'])
      expect(() => embeddingMemoryBudget({ [EMBEDDING_MEMORY_ENV]: bad }, 24 * GB)).toThrow(new RegExp(`${EMBEDDING_MEMORY_ENV} must be a number of megabytes ≥ 0 \\(got '${bad}'\\)`));
  });

  it('keeps the most recently used embeddings that fit in the budget; the rest are read from disk again', async () => {
    const ws = Workspace.open(join(root, 'ws'), { create: true });
    try {
      const bytesEach = 4096 * 4;
      const cache = new EmbeddingCache(3 * bytesEach);
      const made = new Map<string, number>();
      const lookup = (c: string) =>
        cache.get(ws, key(c), async () => {
          made.set(c, (made.get(c) ?? 0) + 1);
          return { data: Float32Array.from({ length: 4096 }, (_, j) => c.charCodeAt(0) * 10000 + j), dims: [1, 4096] };
        });
      for (const c of ['a', 'b', 'c']) expect((await lookup(c)).source).toBe('encoder');
      expect(cache.memoryBytes).toBe(3 * bytesEach);
      expect((await lookup('a')).source).toBe('memory'); // 'a' is now the most recent; 'b' the oldest
      expect((await lookup('d')).source).toBe('encoder'); // over budget: 'b' leaves memory
      expect(cache.memoryBytes).toBe(3 * bytesEach);
      await flushEmbeddingWrites();
      expect((await lookup('c')).source).toBe('memory');
      const b = await lookup('b');
      expect(b.source).toBe('disk');
      expect(b.data[7]).toBe('b'.charCodeAt(0) * 10000 + 7);
      expect([...made.values()].every((n) => n === 1)).toBe(true); // stored once, never recomputed

      // a smaller budget applies at once; 0 keeps nothing in memory
      cache.capacity = bytesEach;
      expect(cache.memoryBytes).toBe(bytesEach);
      cache.capacity = 0;
      expect(cache.memoryBytes).toBe(0);
      expect((await lookup('b')).source).toBe('disk');
      expect(cache.memoryBytes).toBe(0);
      expect(() => {
        cache.capacity = -1;
      }).toThrow(/≥ 0 bytes/);
    } finally {
      ws.close();
    }
  });

  it("lets go of a closed workspace's embeddings and keeps the others'", async () => {
    const one = Workspace.open(join(root, 'one'), { create: true });
    const two = Workspace.open(join(root, 'two'), { create: true });
    try {
      const cache = new EmbeddingCache(64 * MB);
      const make = async () => ({ data: new Float32Array(1024), dims: [1, 1024] });
      await cache.get(one, key('a'), make);
      await cache.get(one, key('b'), make);
      await cache.get(two, key('a'), make);
      await flushEmbeddingWrites();
      expect(cache.memoryBytes).toBe(3 * 4096);
      cache.forgetWorkspace(one);
      expect(cache.memoryBytes).toBe(4096);
      expect((await cache.get(two, key('a'), make)).source).toBe('memory');
      expect((await cache.get(one, key('a'), make)).source).toBe('disk');
    } finally {
      one.close();
      two.close();
    }
  });
});
