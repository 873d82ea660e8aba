import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmbeddingStatus, nextFrames } from './embedding-status';

describe('the encoder at work, as the Viewer shows it', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says how long the embedding has been computing, and nothing for a cached one', async () => {
    const seen: (number | null)[] = [];
    let answer!: () => void;
    const calls: string[] = [];
    const api = {
      call: vi.fn((name: string) => {
        calls.push(name);
        return name === 'segment.embed' ? new Promise((ok) => (answer = () => ok({ source: 'encoder', encoderMs: 4000 }))) : Promise.resolve({ queued: 2 });
      }),
    };
    const status = new EmbeddingStatus(api as never, (s) => seen.push(s), 200);
    status.prepare(5, [6, 7]);
    await vi.advanceTimersByTimeAsync(150);
    expect(seen).toEqual([]); // a cached embedding would have answered by now: no flicker
    await vi.advanceTimersByTimeAsync(1_100);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.at(-1)!).toBeCloseTo(1.2, 5); // ticks every 250 ms from 200 ms on
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.at(-1)).toBeNull();
    expect(calls).toEqual(['segment.embed', 'segment.precompute']);
    expect(api.call).toHaveBeenLastCalledWith('segment.precompute', { imageIds: [6, 7] });
    // The image's embedding now exists: a prompt on it shows no status at all.
    const before = seen.length;
    expect(await status.whileComputing(5, async () => 'mask')).toBe('mask');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.length).toBe(before);
  });

  it('the next frames are the ones after this one in its stack', () => {
    expect(nextFrames(11, [10, 11, 12, 13, 14])).toEqual([12, 13]);
    expect(nextFrames(14, [10, 11, 12, 13, 14])).toEqual([]);
    expect(nextFrames(3, [3])).toEqual([]);
    expect(nextFrames(9, [3, 4])).toEqual([]);
  });
});
