import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobReferences, releaseBlob } from '../../src/main/workspace/blob-release';
import { insertTeacherModel } from '../../src/main/workspace/models';
import { createRun, recordEpoch, storeRunWeights } from '../../src/main/workspace/runs';
import { Workspace } from '../../src/main/workspace/workspace';
import { tempDir } from '../helpers/data';

const ws = Workspace.open(join(tempDir('blob-release'), 'ws'), { create: true });
afterAll(() => ws.close());

const bytes = (s: string) => Buffer.from(s);
const stored = (hash: string) => existsSync(ws.blobs.path(hash));

function newRun(): number {
  const splitId = Number(
    ws.db.prepare(`INSERT INTO splits (seed, labeled_ratio, val_ratio, test_ratio, created_at) VALUES (1, 1, 0, 0, 'now')`).run().lastInsertRowid,
  );
  return createRun(ws, { kind: 'supervised', splitId, backend: 'test', config: {} });
}

const epoch = (n: number, checkpoint: string, best: string | null, replaced: string | null = null) => ({
  epoch: n,
  metrics: { train_loss: 1 / n },
  checkpoint: bytes(checkpoint),
  result: { inProgress: true, epochs: n, best: { epoch: n, blob: best } },
  replaced,
});

describe('blob release by reference count', () => {
  it('deletes a checkpoint once no run names it, and keeps one another run shares', () => {
    const a = storeRunWeights(ws, bytes('weights A'));
    const one = newRun();
    const ck1 = recordEpoch(ws, one, epoch(1, 'checkpoint 1', a));
    const ck2 = recordEpoch(ws, one, epoch(2, 'checkpoint 2', a));
    expect(stored(ck1)).toBe(false); // replaced, named by nobody
    expect(stored(ck2)).toBe(true);
    expect(stored(a)).toBe(true); // still the best weights of run one

    // Run two reaches byte-identical state: one blob, two references.
    const two = newRun();
    expect(recordEpoch(ws, two, epoch(1, 'checkpoint 2', a))).toBe(ck2);
    recordEpoch(ws, one, epoch(3, 'checkpoint 3', a));
    expect(stored(ck2)).toBe(true); // run two still names it
    expect(blobReferences(ws, ck2)).toBe(1);
  });

  it('releases replaced best weights only when the last run that names them moves on', () => {
    const a = storeRunWeights(ws, bytes('weights shared'));
    const b = storeRunWeights(ws, bytes('weights better'));
    const one = newRun();
    const two = newRun();
    recordEpoch(ws, one, epoch(1, 'one 1', a));
    recordEpoch(ws, two, epoch(1, 'two 1', a));
    recordEpoch(ws, one, epoch(2, 'one 2', b, a));
    expect(stored(a)).toBe(true);
    recordEpoch(ws, two, epoch(2, 'two 2', b, a));
    expect(stored(a)).toBe(false);
    expect(stored(b)).toBe(true);
  });

  it('counts teacher model files, and a mention of the hash in other text is no reference', () => {
    const file = storeRunWeights(ws, bytes('an onnx file'));
    insertTeacherModel(ws, { family: 'sam', name: 'x', files: [{ part: 'encoder', path: '/x.onnx', sha256: file, bytes: 12 }], interface: {}, createdAt: 'now' });
    expect(blobReferences(ws, file)).toBe(1);
    releaseBlob(ws, file);
    expect(stored(file)).toBe(true);

    const loose = storeRunWeights(ws, bytes('named only in a config'));
    const splitId = Number(
      ws.db.prepare(`INSERT INTO splits (seed, labeled_ratio, val_ratio, test_ratio, created_at) VALUES (2, 1, 0, 0, 'now')`).run().lastInsertRowid,
    );
    createRun(ws, { kind: 'supervised', splitId, backend: 'test', config: { note: `started from ${loose}` } });
    expect(blobReferences(ws, loose)).toBe(0);
    releaseBlob(ws, loose);
    expect(stored(loose)).toBe(false);
  });
});
