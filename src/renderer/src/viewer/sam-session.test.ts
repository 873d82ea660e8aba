import { describe, expect, it } from 'vitest';
import type { Prompts } from '../prompting/prompt-tool';
import { SamSession, type SamRoundTrip } from './sam-session';

const click = (x: number): Prompts => ({ points: [{ x, y: 1, label: 1 }], box: null });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SamSession', () => {
  it('asks nothing without an image or without prompts', async () => {
    const asked: Prompts[] = [];
    let state: { imageId: number | null; prompts: Prompts } = { imageId: null, prompts: click(1) };
    const s = new SamSession(() => state, async (_id, p) => void asked.push(p), () => {}, () => {});
    await s.ask();
    state = { imageId: 3, prompts: { points: [], box: null } };
    await s.ask();
    expect(asked).toEqual([]);
  });

  it('keeps one request in flight and then asks once more with the newest prompts', async () => {
    let prompts = click(1);
    const calls: { id: number; p: Prompts; d: ReturnType<typeof deferred<string>> }[] = [];
    const answers: SamRoundTrip<string>[] = [];
    const s = new SamSession(
      () => ({ imageId: 7, prompts }),
      (id, p) => {
        const d = deferred<string>();
        calls.push({ id, p, d });
        return d.promise;
      },
      (a) => answers.push(a),
      () => {},
    );
    void s.ask();
    prompts = click(2);
    void s.ask();
    prompts = click(3);
    void s.ask();
    expect(calls.length).toBe(1);
    calls[0]!.d.resolve('first');
    await settle();
    expect(calls.length).toBe(2);
    expect(calls[1]!.p).toEqual(click(3));
    calls[1]!.d.resolve('last');
    await settle();
    expect(answers.map((a) => [a.result, a.prompts.points[0]!.x])).toEqual([
      ['first', 1],
      ['last', 3],
    ]);
    expect(calls.length).toBe(2);
  });

  it('reports the click time and clears the error as a request starts; a failure says why', async () => {
    let t = 100;
    const errors: (string | null)[] = [];
    const answers: SamRoundTrip<number>[] = [];
    let fail = false;
    const s = new SamSession(
      () => ({ imageId: 1, prompts: click(1) }),
      async () => {
        t += 40;
        if (fail) throw new Error('teacher missing');
        return 5;
      },
      (a) => answers.push(a),
      (m) => errors.push(m),
      () => t,
    );
    await s.ask();
    expect(answers[0]!.clickMs).toBe(40);
    fail = true;
    await s.ask();
    expect(errors).toEqual([null, null, 'teacher missing']);
    expect(answers.length).toBe(1);
  });
});
