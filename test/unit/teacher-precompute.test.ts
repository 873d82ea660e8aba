import { describe, expect, it } from 'vitest';
import { EmbeddingPrecompute } from '../../src/main/teacher/precompute';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A fake encoder that records when each image's run started and ended. */
function encoder(ms: number) {
  const runs: { imageId: number; start: number; end: number }[] = [];
  const compute = async (imageId: number) => {
    const start = performance.now();
    await sleep(ms);
    runs.push({ imageId, start, end: performance.now() });
    return true;
  };
  return { runs, compute };
}

describe('background embedding precompute (a prompt always comes first)', () => {
  it('computes the scheduled images in order once nothing else is asked', async () => {
    const pre = new EmbeddingPrecompute(20);
    const enc = encoder(5);
    expect(pre.schedule([3, 4, 4, 5], enc.compute)).toBe(3);
    await pre.idle();
    expect(enc.runs.map((r) => r.imageId)).toEqual([3, 4, 5]);
    expect(pre.stats).toMatchObject({ computed: 3, dropped: 0 });
  });

  it('a prompt arriving takes its image out of the queue, and nothing starts while it runs or right after', async () => {
    const pre = new EmbeddingPrecompute(40);
    const enc = encoder(5);
    let promptEnd = 0;
    const prompt = pre.foreground(7, async () => {
      pre.schedule([7, 8, 9], enc.compute); // stepping on queues the next frames meanwhile
      await sleep(60);
      promptEnd = performance.now();
      return 'mask';
    });
    expect(await prompt).toBe('mask');
    // Image 7 was the prompt's own: computed in the foreground, never again in the background.
    await pre.idle();
    expect(enc.runs.map((r) => r.imageId)).toEqual([8, 9]);
    expect(enc.runs[0]!.start).toBeGreaterThanOrEqual(promptEnd + 35);
    expect(pre.stats.dropped).toBe(0);
  });

  it('a prompt on a queued image skips it: the background never computes it', async () => {
    const pre = new EmbeddingPrecompute(30);
    const enc = encoder(5);
    pre.schedule([1, 2, 3], enc.compute);
    await pre.foreground(2, async () => 'decoded');
    await pre.idle();
    expect(enc.runs.map((r) => r.imageId)).toEqual([1, 3]);
    expect(pre.stats).toMatchObject({ computed: 2, dropped: 1 });
  });

  it('a new schedule (stepping on) cancels what was not started; cancel() empties the queue', async () => {
    const pre = new EmbeddingPrecompute(10);
    const enc = encoder(30);
    pre.schedule([1, 2, 3], enc.compute);
    await sleep(20); // image 1 is under way
    pre.schedule([10], enc.compute);
    await pre.idle();
    expect(enc.runs.map((r) => r.imageId)).toEqual([1, 10]);
    expect(pre.stats.dropped).toBe(2);
    pre.schedule([20, 21], enc.compute);
    pre.cancel();
    await pre.idle();
    expect(enc.runs.map((r) => r.imageId)).toEqual([1, 10]);
    expect(pre.pending).toEqual([]);
  });

  it('a failed or cached image is counted and the queue goes on', async () => {
    const pre = new EmbeddingPrecompute(0);
    const done: number[] = [];
    pre.schedule([1, 2, 3], async (id) => {
      if (id === 1) throw new Error('broken file');
      done.push(id);
      return id === 3;
    });
    await pre.idle();
    expect(done).toEqual([2, 3]);
    expect(pre.stats).toMatchObject({ failed: 1, cached: 1, computed: 1 });
  });
});
