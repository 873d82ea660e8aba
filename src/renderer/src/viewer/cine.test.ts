import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cine } from './cine';

describe('Cine', () => {
  afterEach(() => vi.useRealTimers());

  it('ticks at the frame rate until stopped, reporting play and stop', () => {
    vi.useFakeTimers();
    const states: boolean[] = [];
    let ticks = 0;
    const cine = new Cine(() => ticks++, (p) => states.push(p));
    cine.start(10);
    expect(cine.playing).toBe(true);
    vi.advanceTimersByTime(350);
    expect(ticks).toBe(3);
    cine.stop();
    vi.advanceTimersByTime(1000);
    expect(ticks).toBe(3);
    expect(cine.playing).toBe(false);
    expect(states).toEqual([false, true, false]);
  });

  it('restarts at a new rate instead of running two loops', () => {
    vi.useFakeTimers();
    let ticks = 0;
    const cine = new Cine(() => ticks++, () => {});
    cine.start(10);
    cine.start(2);
    vi.advanceTimersByTime(1000);
    expect(ticks).toBe(2);
  });
});
