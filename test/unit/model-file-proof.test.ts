import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { damagedModelFile, proveModelFile } from '../../src/main/workspace/model-library';

const dir = mkdtempSync(join(tmpdir(), 'apprentice-model-proof-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('reading a model file back ahead of use', () => {
  it('hashes a large file without holding the thread, and the check that follows trusts it', async () => {
    const bytes = randomBytes(256 << 20);
    const file = join(dir, 'encoder.onnx');
    const copy = join(dir, 'encoder-copy.onnx');
    writeFileSync(file, bytes);
    writeFileSync(copy, bytes);
    const expected = sha(bytes);
    // The synchronous check on a copy: the whole hash is one stretch the thread cannot answer in.
    const t0 = performance.now();
    expect(damagedModelFile(copy, expected)).toBeNull();
    const syncMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    const start = performance.now();
    await proveModelFile(file, expected);
    const end = performance.now();
    clearInterval(timer);
    const marks = [start, ...ticks.filter((t) => t > start && t < end), end];
    const longestGap = Math.max(...marks.slice(1).map((t, i) => t - marks[i]!));
    expect(longestGap).toBeLessThan(syncMs / 2);
    // Proven whole: the synchronous check that follows does not hash it again.
    const t1 = performance.now();
    expect(damagedModelFile(file, expected)).toBeNull();
    expect(performance.now() - t1).toBeLessThan(syncMs / 10);
  });

  it('leaves a damaged or missing file for the check to report', async () => {
    const good = randomBytes(1 << 20);
    const file = join(dir, 'decoder.onnx');
    writeFileSync(file, good);
    const expected = sha(good);
    good[10] ^= 1;
    writeFileSync(file, good);
    await proveModelFile(file, expected);
    expect(damagedModelFile(file, expected)).toMatch(/is damaged: its SHA-256 is [0-9a-f]{64}, not /);
    await proveModelFile(join(dir, 'absent.onnx'), expected);
    expect(damagedModelFile(join(dir, 'absent.onnx'), expected)).toMatch(/is missing/);
  });
});
