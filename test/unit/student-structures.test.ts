import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initStudentBackend } from '../../src/main/student/backend';
import { trainStudent, type TrainConfig } from '../../src/main/student/train';
import { importImages } from '../../src/main/workspace/import';
import { createSplit } from '../../src/main/workspace/splits';
import { Workspace } from '../../src/main/workspace/workspace';
import { KVASIR_IMAGES, KVASIR_MASKS, tempDir } from '../helpers/data';
import { TINY_STUDENT } from '../helpers/tiny-student';

const SETTINGS: Partial<TrainConfig> = { ...TINY_STUDENT, seed: 1, engine: 'onnxruntime' };

let dir: string;
let binary: Workspace;

function curve(ws: Workspace, runId: number, name: string): number[] {
  return (ws.db.prepare('SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY epoch').all(runId, name) as { value: number }[]).map((r) => r.value);
}

beforeAll(async () => {
  await initStudentBackend({ prefer: 'wasm' });
  dir = tempDir('student-structures');
  binary = Workspace.open(join(dir, 'binary'), { create: true });
  const files = readdirSync(KVASIR_IMAGES).sort().slice(0, 16).map((f) => join(KVASIR_IMAGES, f));
  await importImages(binary, { paths: files, masks: KVASIR_MASKS });
  createSplit(binary, { labeled: 1, val: 0.25, test: 0, seed: 1 });
});

afterAll(() => {
  binary?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('several structures', () => {
  it('binary path (one structure) gives the numbers it gave before channels per structure', async () => {
    const r = await trainStudent(binary, SETTINGS);
    const got = Object.fromEntries(['train_loss', 'val_loss', 'val_dice', 'val_iou'].map((n) => [n, curve(binary, r.runId, n)]));
    // Recorded from the one-channel student before the head had a channel per structure (commit 25460aa).
    const before = {
      train_loss: [0.6985607147216797, 0.6824998656908671],
      val_loss: [0.7695264558703916, 0.6818656615648098],
      val_dice: [0.01926444762347573, 0.13219546519918818],
      val_iou: [0.00977067998157213, 0.07081958401053282],
    };
    for (const [name, values] of Object.entries(before)) values.forEach((v, i) => expect(got[name]![i]).toBeCloseTo(v, 5));
  }, 120_000);
});
