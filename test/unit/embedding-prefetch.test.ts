import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddingCache, flushEmbeddingWrites, type EmbeddingKey } from '../../src/main/teacher/embeddings';
import { preprocessRecipe } from '../../src/main/teacher/preprocess';
import { Workspace } from '../../src/main/workspace/workspace';

const root = mkdtempSync(join(tmpdir(), 'apprentice-prefetch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const key = (c: string): EmbeddingKey => ({ imageSha256: c.repeat(64), frameIndex: 0, encoderSha256: 'e'.repeat(64), recipe: preprocessRecipe('sam', 'nchw', 'float32') });
const neverEncode = async () => {
  throw new Error('the encoder must not run: the embedding is stored');
};

describe('embedding prefetch', () => {
  it('reads stored embeddings ahead; the lookup takes the read, the encoder never runs for it', async () => {
    const ws = Workspace.open(join(root, 'ws'), { create: true });
    try {
      const stored = ['a', 'b', 'c'].map((c, i) => ({ key: key(c), data: Float32Array.from({ length: 1024 }, (_, j) => i * 1000 + j) }));
      const writer = new EmbeddingCache();
      for (const s of stored) await writer.get(ws, s.key, async () => ({ data: s.data, dims: [1, 1024] }));
      await flushEmbeddingWrites();

      const cache = new EmbeddingCache();
      cache.prefetch(ws, [stored[0]!.key, stored[1]!.key, key('d')]); // 'd' is not stored: skipped, never encoded
      const a = await cache.get(ws, stored[0]!.key, neverEncode);
      expect(a.source).toBe('disk');
      expect(Array.from(a.data)).toEqual(Array.from(stored[0]!.data));
      expect(cache.stats).toMatchObject({ diskHits: 1, prefetchHits: 1, encoderRuns: 0 });

      // a later prefetch drops reads not taken ('b'); 'a' is in memory now and is not read again
      cache.prefetch(ws, [stored[0]!.key, stored[2]!.key]);
      const b = await cache.get(ws, stored[1]!.key, neverEncode);
      expect(Array.from(b.data)).toEqual(Array.from(stored[1]!.data));
      expect(cache.stats).toMatchObject({ diskHits: 2, prefetchHits: 1 });
      expect((await cache.get(ws, stored[0]!.key, neverEncode)).source).toBe('memory');
      const c = await cache.get(ws, stored[2]!.key, neverEncode);
      expect(Array.from(c.data)).toEqual(Array.from(stored[2]!.data));
      expect(cache.stats).toMatchObject({ diskHits: 3, prefetchHits: 2, memoryHits: 1, encoderRuns: 0 });

      // a key nobody stored is still computed by its lookup
      let encoded = 0;
      const d = await cache.get(ws, key('d'), async () => {
        encoded++;
        return { data: new Float32Array(4), dims: [4] };
      });
      expect(d.source).toBe('encoder');
      expect(encoded).toBe(1);
      await flushEmbeddingWrites();
    } finally {
      ws.close();
    }
  });
});
