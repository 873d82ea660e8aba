import { describe, expect, it } from 'vitest';
import { sourceFrame, studentInferFrame } from '../../src/main/imaging/geometry/frames';
import { connectedComponents, DEFAULT_PROMPT_SETTINGS, promptSettings, promptsFromMap, topK, type ProbabilityMap } from '../../src/main/teacher/prompts';
import { seededRandom } from '../../src/main/util/random';

function map(width: number, height: number, fill: (x: number, y: number) => number, src = { w: width, h: height }): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y);
  const frame = src.w === width && src.h === height ? sourceFrame(width, height) : studentInferFrame(src.w, src.h, width);
  return { width, height, data, frame, sourceWidth: src.w, sourceHeight: src.h };
}

describe('prompts from a probability map', () => {
  it('defaults are plain, recordable data', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_PROMPT_SETTINGS))).toEqual({ ...DEFAULT_PROMPT_SETTINGS });
    expect(DEFAULT_PROMPT_SETTINGS.points).toBe(3);
    expect(() => promptSettings({ points: -1 })).toThrow(/points/);
    expect(() => promptSettings({ threshold: 2 })).toThrow(/threshold/);
    expect(() => promptSettings({ box: false, points: 0 })).toThrow(/nothing/);
  });

  it('takes the highest pixels as positive points at pixel centres, and the outer box of the thresholded map', () => {
    const m = map(10, 8, (x, y) => (x >= 2 && x <= 6 && y >= 1 && y <= 4 ? 0.6 : 0.1));
    m.data[3 * 10 + 4] = 0.99;
    m.data[2 * 10 + 5] = 0.95;
    m.data[4 * 10 + 2] = 0.9;
    m.data[7 * 10 + 9] = 0.4; // below threshold: not in the box
    const [p, ...rest] = promptsFromMap(m);
    expect(rest).toEqual([]);
    expect(p!.box).toEqual({ x0: 2, y0: 1, x1: 7, y1: 5 });
    expect(p!.points).toEqual([
      { x: 4.5, y: 3.5, label: 1 },
      { x: 5.5, y: 2.5, label: 1 },
      { x: 2.5, y: 4.5, label: 1 },
    ]);
    expect(p!.mask).toBeNull();
    expect(p!.mapArea).toBe(20);
  });

  it('thresholds: a higher t shrinks the box; nothing above t gives no prompt', () => {
    const m = map(20, 20, (x, y) => Math.max(0, 1 - Math.hypot(x - 10, y - 10) / 10));
    const wide = promptsFromMap(m, { threshold: 0.3 })[0]!.box!;
    const tight = promptsFromMap(m, { threshold: 0.8 })[0]!.box!;
    expect(tight.x1 - tight.x0).toBeLessThan(wide.x1 - wide.x0);
    expect(tight).toEqual({ x0: 8, y0: 8, x1: 13, y1: 13 });
    expect(promptsFromMap(map(5, 5, () => 0.2))).toEqual([]);
  });

  it('breaks ties at random, reproducibly from the seed, and different seeds spread differently', () => {
    const plateau = map(16, 16, (x, y) => (x >= 4 && x < 12 && y >= 4 && y < 12 ? 1 : 0));
    const a = promptsFromMap(plateau, { seed: 7 })[0]!.points;
    const b = promptsFromMap(plateau, { seed: 7 })[0]!.points;
    expect(a).toEqual(b);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) seen.add(JSON.stringify(promptsFromMap(plateau, { seed })[0]!.points));
    expect(seen.size).toBeGreaterThan(5);
    for (const p of a) {
      expect(p.x).toBeGreaterThan(4);
      expect(p.x).toBeLessThan(12);
    }
    // a salt (the image id) changes the stream under one seed
    expect(promptsFromMap(plateau, { seed: 7 }, 1)[0]!.points).not.toEqual(a);
  });

  it('topK: strict order above the cut, random among ties at the cut', () => {
    const v = Float32Array.from([0.2, 0.9, 0.5, 0.5, 0.5, 0.1]);
    const all = [0, 1, 2, 3, 4, 5];
    const picks = new Set<number>();
    for (let s = 0; s < 30; s++) {
      const r = topK(v, all, 2, seededRandom(s));
      expect(r[0]).toBe(1);
      expect([2, 3, 4]).toContain(r[1]);
      picks.add(r[1]!);
    }
    expect(picks.size).toBe(3);
    expect(topK(v, all, 10, seededRandom(1))).toHaveLength(6);
    expect(topK(v, all, 0, seededRandom(1))).toEqual([]);
  });

  it('maps points and boxes from a student frame to source pixels, inside the image', () => {
    // a 1000×500 image seen by the student as 100×100: a map pixel is 10×5 source pixels
    const m = map(100, 100, (x, y) => (x >= 10 && x < 20 && y >= 40 && y < 60 ? 0.9 : 0), { w: 1000, h: 500 });
    const p = promptsFromMap(m)[0]!;
    expect(p.box).toEqual({ x0: 100, y0: 200, x1: 200, y1: 300 });
    for (const pt of p.points) {
      expect(pt.x).toBeGreaterThan(100);
      expect(pt.x).toBeLessThan(200);
      expect((pt.x - 5) % 10).toBeCloseTo(0, 9); // centres of 10-pixel-wide cells
    }
    const edge = map(100, 100, (x) => (x >= 95 ? 1 : 0), { w: 1000, h: 500 });
    const e = promptsFromMap(edge)[0]!;
    expect(e.box!.x1).toBe(1000);
    expect(e.box!.y1).toBe(500);
  });

  it('per-component mode: one prompt per component (largest first), specks dropped', () => {
    const m = map(40, 20, (x, y) => {
      if (x >= 2 && x < 10 && y >= 2 && y < 10) return 0.9; // 64 px
      if (x >= 20 && x < 35 && y >= 5 && y < 15) return 0.8; // 150 px
      if (x === 38 && y === 18) return 0.99; // a 1-pixel speck
      return 0;
    });
    const one = promptsFromMap(m);
    expect(one).toHaveLength(1);
    expect(one[0]!.box).toEqual({ x0: 2, y0: 2, x1: 39, y1: 19 });
    const each = promptsFromMap(m, { perComponent: true, minComponentFraction: 0.005 }); // min 4 px
    expect(each.map((p) => p.box)).toEqual([
      { x0: 20, y0: 5, x1: 35, y1: 15 },
      { x0: 2, y0: 2, x1: 10, y1: 10 },
    ]);
    expect(each.map((p) => p.mapArea)).toEqual([150, 64]);
    for (const p of each) for (const pt of p.points) expect(pt.x >= p.box!.x0 && pt.x <= p.box!.x1).toBe(true);
  });

  it('connected components use 8-connectivity', () => {
    const on = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(connectedComponents(on, 3, 3).components).toEqual([[0, 4, 8]]);
    const apart = Uint8Array.from([1, 0, 1, 0, 0, 0, 1, 0, 1]);
    expect(connectedComponents(apart, 3, 3).components).toHaveLength(4);
  });

  it('the optional mask prompt carries the map', () => {
    const m = map(4, 4, () => 0.7);
    expect(promptsFromMap(m, { maskPrompt: true })[0]!.mask!.map).toBe(m);
  });
});
