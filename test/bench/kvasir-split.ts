// The 720/90/90 split of ../shared/bench/torch_kvasir.py, reproduced name for name so the app and
// the PyTorch reference train and score on the same images: the file stems sorted, shuffled by
// Python's `random.Random(seed).shuffle`, then test = the first tenth, validation the next, training
// the rest. Python's generator is MT19937 seeded through init_by_array, and its shuffle draws each
// index by rejection sampling on getrandbits, so both are reproduced bit for bit here (checked
// against /usr/bin/python3 by `pythonSplitCheck` when it is installed).
import { execFileSync } from 'node:child_process';

const N = 624;

/** Python's `random.Random(seed)` for a non-negative integer seed below 2³², as far as shuffle needs it. */
class PythonRandom {
  private mt = new Uint32Array(N);
  private i = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`seed must be an integer in [0, 2^32) (got ${seed})`);
    this.initByArray([seed]);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const p = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.i = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const p = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(p, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const p = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(p, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private uint32(): number {
    const mt = this.mt;
    if (this.i >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = mt[this.i++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `_randbelow_with_getrandbits(n)` for 1 ≤ n < 2³². */
  private below(n: number): number {
    const k = 32 - Math.clz32(n);
    for (;;) {
      const r = this.uint32() >>> (32 - k);
      if (r < n) return r;
    }
  }

  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
    return x;
  }
}

export interface NamedSplit {
  train: string[];
  val: string[];
  test: string[];
}

/** torch_kvasir.py's split of these file stems (before its `--labeled` cut of `train`). */
export function torchKvasirSplit(stems: readonly string[], seed: number): NamedSplit {
  // Python sorts str by code point; the stems are ASCII, where that is JavaScript's default order too.
  const names = new PythonRandom(seed).shuffle([...stems].sort());
  const n = Math.floor(names.length / 10);
  return { test: names.slice(0, n), val: names.slice(n, 2 * n), train: names.slice(2 * n) };
}

/**
 * The same split computed by Python itself, when `python` runs: null when it does not, else
 * whether it matches `torchKvasirSplit` name for name.
 */
export function pythonSplitCheck(python: string, stems: readonly string[], seed: number): boolean | null {
  const program =
    'import json, random, sys\n' +
    'names = sorted(json.load(sys.stdin)); random.Random(int(sys.argv[1])).shuffle(names)\n' +
    'print(json.dumps(names))\n';
  let out: string;
  try {
    out = execFileSync(python, ['-c', program, String(seed)], { input: JSON.stringify(stems), encoding: 'utf8' });
  } catch {
    return null;
  }
  const theirs = JSON.parse(out) as string[];
  const ours = torchKvasirSplit(stems, seed);
  const mine = [...ours.test, ...ours.val, ...ours.train];
  return theirs.length === mine.length && theirs.every((s, i) => s === mine[i]);
}
