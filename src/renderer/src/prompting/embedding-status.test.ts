import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmbeddingStatus, nextFrames } from './embedding-status';

describe('the encoder at work, as the Viewer shows it', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says how long the embedding has been computing, and nothing once it exists', async () => {
    const seen: (number | null)[] = [];
    let answer!: () => void;
    const api = { call: vi.fn(() => Promise.resolve({ queued: 2 })) };
    const status = new EmbeddingStatus(api as never, (s) => seen.push(s), 200);
    const first = status.whileComputing(5, () => new Promise<string>((ok) => (answer = () => ok('mask'))));
    await vi.advanceTimersByTimeAsync(150);
    expect(seen).toEqual([]); // a cached embedding would have answered by now: no flicker
    await vi.advanceTimersByTimeAsync(1_100);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.at(-1)!).toBeCloseTo(1.2, 5); // ticks every 250 ms from 200 ms on
    answer();
    expect(await first).toBe('mask');
    expect(seen.at(-1)).toBeNull();
    // The image's embedding now exists: a prompt on it shows no status at all.
    const before = seen.length;
    expect(await status.whileComputing(5, async () => 'again')).toBe('again');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.length).toBe(before);
    status.ahead([6, 7]);
    expect(api.call).toHaveBeenLastCalledWith('segment.precompute', { imageIds: [6, 7] });
  });

  it('the next frames are the ones after this one in its stack', () => {
    expect(nextFrames(11, [10, 11, 12, 13, 14])).toEqual([12, 13]);
    expect(nextFrames(14, [10, 11, 12, 13, 14])).toEqual([]);
    expect(nextFrames(3, [3])).toEqual([]);
    expect(nextFrames(9, [3, 4])).toEqual([]);
  });
});
