import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/services/api';
import { EmbeddingCache, embeddingKeyId, flushEmbeddingWrites, MODEL_RGB_RULE, pruneStaleEmbeddings, type EmbeddingKey } from '../../src/main/teacher/embeddings';
import { preprocessRecipe } from '../../src/main/teacher/preprocess';
import { readEmbeddingEntry, writeEmbeddingBlob, writeEmbeddingEntry } from '../../src/main/workspace/embedding-store';
import { Workspace } from '../../src/main/workspace/workspace';

const root = mkdtempSync(join(tmpdir(), 'apprentice-prune-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hex = (c: string) => c.repeat(64);

describe('stale embedding cache entries', () => {
  it('are deleted with their blobs; current entries, blobs they share and blobs rows name stay', async () => {
    const ws = Workspace.open(join(root, 'ws'), { create: true });
    try {
      // a current entry, through the real cache
      const current: EmbeddingKey = { imageSha256: hex('a'), frameIndex: 0, encoderSha256: hex('e'), recipe: preprocessRecipe('sam', 'nchw', 'float32') };
      const data = Float32Array.from({ length: 64 }, (_, i) => i);
      await new EmbeddingCache().get(ws, current, async () => ({ data, dims: [1, 64] }));
      await flushEmbeddingWrites();
      const currentEntry = readEmbeddingEntry(ws, embeddingKeyId(current))!;
      expect(currentEntry.recipe).toBe(current.recipe);

      // stale: the recipe name before Pillow's fixed-point resize; one with its own blob, one
      // sharing the current entry's blob; and an entry made under an older pixel rule
      const oldBlob = hex('1');
      await writeEmbeddingBlob(ws, oldBlob, new Uint8Array(256));
      const stale = { dims: [1, 64], imageSha256: hex('b'), frameIndex: 0, encoderSha256: hex('e'), createdAt: new Date(0).toISOString() };
      writeEmbeddingEntry(ws, 'old-own-blob', { ...stale, blob: oldBlob, recipe: 'sam-longest1024-bilinear-meanstd-pad-nchw', rule: MODEL_RGB_RULE });
      writeEmbeddingEntry(ws, 'old-shared-blob', { ...stale, blob: currentEntry.blob, recipe: 'sam-longest1024-bilinear-meanstd-pad-nchw', rule: MODEL_RGB_RULE });
      writeEmbeddingEntry(ws, 'old-rule', { ...stale, blob: oldBlob, recipe: current.recipe, rule: 'model-rgb-v0' });
      const index = join(ws.blobs.root, 'teacher-embeddings');
      writeFileSync(join(index, 'damaged.json'), '{"blob": ');

      const freed = await pruneStaleEmbeddings(ws);
      expect(freed).toEqual({ entries: 4, bytes: 256 });
      expect(readdirSync(index).sort()).toEqual([`${embeddingKeyId(current)}.json`]);
      expect(existsSync(ws.blobs.path(oldBlob))).toBe(false);
      expect(existsSync(ws.blobs.path(currentEntry.blob))).toBe(true);
      // the current entry still answers from disk
      const again = await new EmbeddingCache().get(ws, current, async () => {
        throw new Error('the encoder must not run: the entry is on disk');
      });
      expect(again.source).toBe('disk');
      expect(Array.from(again.data)).toEqual(Array.from(data));
      expect(await pruneStaleEmbeddings(ws)).toEqual({ entries: 0, bytes: 0 });
    } finally {
      ws.close();
    }
  });

  it('opening a workspace in the app sweeps them in the background', async () => {
    const path = join(root, 'opened');
    const ws = Workspace.open(path, { create: true });
    const blob = hex('2');
    try {
      await writeEmbeddingBlob(ws, blob, new Uint8Array(64));
      writeEmbeddingEntry(ws, 'old', { blob, dims: [16], imageSha256: hex('c'), frameIndex: 0, encoderSha256: hex('e'), recipe: 'sam-longest1024-bilinear-meanstd-pad-nchw', rule: MODEL_RGB_RULE, createdAt: new Date(0).toISOString() });
    } finally {
      ws.close();
    }
    const file = join(path, 'blobs', 'teacher-embeddings', 'old.json');
    expect(existsSync(file)).toBe(true);
    const api = new ApiService('websocket');
    try {
      await api.dispatch('workspace.open', { path });
      for (let i = 0; i < 100 && existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(file)).toBe(false);
    } finally {
      await api.close();
    }
  });

  it('a workspace without a cache has nothing to prune', async () => {
    const ws = Workspace.open(join(root, 'empty'), { create: true });
    try {
      expect(await pruneStaleEmbeddings(ws)).toEqual({ entries: 0, bytes: 0 });
    } finally {
      ws.close();
    }
  });
});
