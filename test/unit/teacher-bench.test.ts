import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTeacherFiles } from '../../src/main/teacher/registry';
import { run } from '../bench/teacher';
import { heavyEncoderGmacs, writeHeavyEncoderFixture } from '../fixtures/heavy-encoder-fixture';
import { writeFixturePair } from '../fixtures/sam-fixtures';
import { tinyVitEncoderCost, writeTinyVitEncoderFixture } from '../fixtures/tinyvit-encoder-fixture';

const dir = mkdtempSync(join(tmpdir(), 'apprentice-teacher-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('teacher bench (tiny runs)', () => {
  it('the heavy encoder fixture has SAM\'s encoder interface and the stated cost', async () => {
    // Default size: 17 GMAC of convolutions. Only its I/O is checked here (running it takes ~0.5 s).
    expect(heavyEncoderGmacs()).toBeCloseTo(17.18, 1);
    const heavy = writeHeavyEncoderFixture(dir);
    const pair = writeFixturePair(dir, 'sam');
    const iface = await checkTeacherFiles({ encoder: heavy.path, decoder: pair.decoder, family: 'sam' });
    expect(iface.encoder).toMatchObject({ input: 'input_image', layout: 'nchw', inputType: 'float32', inputShape: [1, 3, 1024, 1024], output: 'image_embeddings', outputShape: [1, 256, 64, 64] });
  });

  it('the TinyViT encoder fixture has SAM\'s encoder interface and MobileSAM\'s encoder size', async () => {
    // MobileSAM's paper gives its image encoder 5.78 M parameters; ours is built from the same
    // configuration (batch norms folded, so their running statistics are not counted).
    const cost = tinyVitEncoderCost();
    expect(Math.abs(cost.parameters / 5.78e6 - 1)).toBeLessThan(0.02);
    expect(cost.gmacs).toBeGreaterThan(30);
    const tiny = writeTinyVitEncoderFixture(dir);
    const pair = writeFixturePair(dir, 'sam');
    const iface = await checkTeacherFiles({ encoder: tiny.path, decoder: pair.decoder, family: 'sam' });
    expect(iface.encoder).toMatchObject({ input: 'input_image', layout: 'nchw', inputType: 'float32', inputShape: [1, 3, 1024, 1024], output: 'image_embeddings', outputShape: [1, 256, 64, 64] });
  });

  it('returns one object with positive medians for every measurement', async () => {
    // --blocks 0: the fixture keeps SAM's exact I/O (patch embed + neck) but costs ~1 GMAC.
    const r = await run(['--blocks', '0', '--runs', '1', '--warmup', '0', '--decoder-runs', '3', '--decoder-warmup', '1'], true);
    for (const k of ['encoder_ms', 'encoder_raw_ms', 'decoder_ms', 'decoder_raw_ms', 'cached_segment_ms', 'encoder_ratio', 'decoder_ratio']) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k] as number, k).toBeGreaterThan(0);
    }
    expect(typeof r.encoder_goal_met).toBe('boolean');
    expect(typeof r.decoder_goal_met).toBe('boolean');
    // A whole cached segment call contains the decode.
    expect(r.cached_segment_ms as number).toBeGreaterThanOrEqual(r.decoder_ms as number);
    expect(r.teacher).toMatchObject({ kind: 'fixture', family: 'sam' });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON, as --json prints it
  });
});
