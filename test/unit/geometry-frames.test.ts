import { describe, expect, it } from 'vitest';
import {
  boxToSource,
  centreSquare,
  clampBox,
  frameRegion,
  frameExtentInSource,
  fromFrame,
  LOW_RES_SIDE,
  lowResFrame,
  mapBox,
  mapPoint,
  samResizedSize,
  sourceFrame,
  studentInferFrame,
  studentTrainFrame,
  TEACHER_SIDE,
  teacherFrame,
  toFrame,
  wholeImage,
  type Frame,
} from '../../src/main/imaging/geometry/frames';
import { maskToModelFrame } from '../../src/main/student/data';
import { seededRandom } from '../../src/main/util/random';

const random = seededRandom(42);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function framesFor(w: number, h: number): Frame[] {
  return [
    sourceFrame(w, h),
    teacherFrame('sam', w, h),
    teacherFrame('mobilesam', w, h),
    teacherFrame('medsam', w, h),
    studentTrainFrame(w, h, 224),
    studentInferFrame(w, h, 224),
    studentTrainFrame(w, h, 96),
  ];
}

describe('teacher coordinates', () => {
  it('follows SAM ResizeLongestSide: longest side → 1024, the other rounded, padding outside the image', () => {
    expect(samResizedSize(1920, 1080)).toEqual({ width: 1024, height: 576 });
    expect(samResizedSize(622, 529)).toEqual({ width: 1024, height: 871 }); // 529·1024/622 = 870.9
    const f = teacherFrame('sam', 622, 529);
    expect(toFrame(f, { x: 622, y: 529 })).toEqual({ x: 1024, y: 871 });
    // SAM's apply_coords: x · new_w / old_w
    expect(toFrame(f, { x: 311, y: 100 }).x).toBeCloseTo((311 * 1024) / 622, 9);
  });

  it('MedSAM stretches to 1024×1024 (box / [W,H,W,H] · 1024)', () => {
    const f = teacherFrame('medsam', 622, 529);
    const b = mapBox(sourceFrame(622, 529), f, { x0: 0, y0: 0, x1: 622, y1: 529 });
    expect(b).toEqual({ x0: 0, y0: 0, x1: 1024, y1: 1024 });
  });

  it('student train frame: short side → S, centred crop; inference frame: whole image → S×S', () => {
    const t = studentTrainFrame(640, 480, 224);
    // 640×480 → 299×224 (299 = round(640·224/480) = 298.67→299), crop left round(75/2) = 38
    expect(toFrame(t, { x: 0, y: 0 })).toEqual({ x: -38, y: 0 });
    expect(toFrame(t, { x: 320, y: 240 }).x).toBeCloseTo(149.5 - 38, 9);
    expect(toFrame(t, { x: 320, y: 240 }).y).toBeCloseTo(112, 9);
    const extent = frameExtentInSource(t, 640, 480);
    expect(extent.y0).toBe(0);
    expect(extent.y1).toBe(480);
    expect(extent.x0).toBeGreaterThan(0);
    expect(extent.x1).toBeLessThan(640);
    const i = studentInferFrame(640, 480, 224);
    expect(toFrame(i, { x: 640, y: 480 })).toEqual({ x: 224, y: 224 });
  });

  it('round trips between every pair of frames (property, 100 random images)', () => {
    for (let n = 0; n < 100; n++) {
      const w = int(1, 4000);
      const h = int(1, 4000);
      const frames = framesFor(w, h);
      for (let k = 0; k < 3; k++) {
        const p = { x: random() * w, y: random() * h };
        for (const a of frames) {
          expect(fromFrame(a, toFrame(a, p)).x).toBeCloseTo(p.x, 6);
          expect(fromFrame(a, toFrame(a, p)).y).toBeCloseTo(p.y, 6);
          for (const b of frames) {
            const q = mapPoint(sourceFrame(w, h), a, p);
            const back = mapPoint(b, a, mapPoint(a, b, q));
            expect(back.x).toBeCloseTo(q.x, 5);
            expect(back.y).toBeCloseTo(q.y, 5);
          }
        }
      }
    }
  });

  it('boxes mapped back to source and clamped stay inside the image and ordered (property)', () => {
    for (let n = 0; n < 500; n++) {
      const w = int(1, 3000);
      const h = int(1, 3000);
      for (const f of framesFor(w, h)) {
        // any box in the frame, including beyond its edges (padding, outside the crop)
        const xs = [random() * f.width * 1.4 - 0.2 * f.width, random() * f.width * 1.4 - 0.2 * f.width];
        const ys = [random() * f.height * 1.4 - 0.2 * f.height, random() * f.height * 1.4 - 0.2 * f.height];
        const b = boxToSource(f, { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) }, w, h);
        expect(b.x0).toBeGreaterThanOrEqual(0);
        expect(b.y0).toBeGreaterThanOrEqual(0);
        expect(b.x1).toBeLessThanOrEqual(w);
        expect(b.y1).toBeLessThanOrEqual(h);
        expect(b.x0).toBeLessThanOrEqual(b.x1);
        expect(b.y0).toBeLessThanOrEqual(b.y1);
      }
    }
  });

  it('a box inside the image maps into the frame and back unchanged', () => {
    for (let n = 0; n < 200; n++) {
      const w = int(2, 3000);
      const h = int(2, 3000);
      const x0 = random() * w, x1 = x0 + random() * (w - x0);
      const y0 = random() * h, y1 = y0 + random() * (h - y0);
      const box = { x0, y0, x1, y1 };
      for (const f of framesFor(w, h)) {
        const back = boxToSource(f, mapBox(sourceFrame(w, h), f, box), w, h);
        expect(back.x0).toBeCloseTo(x0, 6);
        expect(back.x1).toBeCloseTo(x1, 6);
        expect(back.y0).toBeCloseTo(y0, 6);
        expect(back.y1).toBeCloseTo(y1, 6);
      }
    }
  });

  it('clampBox orders swapped corners', () => {
    expect(clampBox({ x0: 50, y0: 40, x1: -5, y1: 10 }, 30, 30)).toEqual({ x0: 0, y0: 10, x1: 30, y1: 30 });
  });

  it('refuses nonsense sizes', () => {
    expect(() => teacherFrame('sam', 0, 10)).toThrow(/bad image size/);
  });
});

describe('frames round trips', () => {
  it('source → SAM 1024 → low-res 256 → source returns the point; the low-res grid is the 1024 frame at 1/4', () => {
    for (let n = 0; n < 200; n++) {
      const w = int(1, 4000);
      const h = int(1, 4000);
      for (const family of ['sam', 'mobilesam', 'medsam'] as const) {
        const teacher = teacherFrame(family, w, h);
        const low = lowResFrame(teacher);
        expect([low.width, low.height]).toEqual([LOW_RES_SIDE, LOW_RES_SIDE]);
        const p = { x: random() * w, y: random() * h };
        const inTeacher = toFrame(teacher, p);
        const inLow = mapPoint(teacher, low, inTeacher);
        expect(inLow.x).toBeCloseTo((inTeacher.x * LOW_RES_SIDE) / TEACHER_SIDE, 9);
        expect(inLow.y).toBeCloseTo((inTeacher.y * LOW_RES_SIDE) / TEACHER_SIDE, 9);
        const back = fromFrame(low, inLow);
        expect(back.x).toBeCloseTo(p.x, 6);
        expect(back.y).toBeCloseTo(p.y, 6);
      }
    }
  });

  it('source → student → source: the training crop region maps onto the whole S×S frame and back', () => {
    for (let n = 0; n < 200; n++) {
      const w = int(1, 4000);
      const h = int(1, 4000);
      const side = int(8, 512);
      const f = studentTrainFrame(w, h, side);
      const r = centreSquare(w, h, side);
      const box = mapBox(sourceFrame(w, h), f, { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height });
      expect(box.x0).toBeCloseTo(0, 6);
      expect(box.y0).toBeCloseTo(0, 6);
      expect(box.x1).toBeCloseTo(side, 6);
      expect(box.y1).toBeCloseTo(side, 6);
      expect(frameRegion(studentInferFrame(w, h, side)).width).toBeCloseTo(w, 6);
      expect(wholeImage(w, h)).toEqual({ x: 0, y: 0, width: w, height: h });
    }
  });

  it('training pixels and prompt coordinates agree: a mask pixel is set exactly where its centre lies in the mapped box', () => {
    // 640×480 at 224: the long side rounds (298.67 → 299) and the crop offset too (38); an exact
    // centre square would sit 0.56 px to the left of the frame the prompts use.
    const [w, h, side] = [640, 480, 224];
    const rect = { x0: 200, y0: 100, x1: 400, y1: 300 };
    const mask = new Uint8Array(w * h);
    for (let y = rect.y0; y < rect.y1; y++) mask.fill(1, y * w + rect.x0, y * w + rect.x1);
    const frame = studentTrainFrame(w, h, side);
    const box = mapBox(sourceFrame(w, h), frame, rect);
    const model = maskToModelFrame({ width: w, height: h, data: mask }, side, centreSquare(w, h, side));
    const midRow = Math.floor((box.y0 + box.y1) / 2);
    const midCol = Math.floor((box.x0 + box.x1) / 2);
    for (let x = 0; x < side; x++) expect(model[midRow * side + x]).toBe(x + 0.5 > box.x0 && x + 0.5 < box.x1 ? 1 : 0);
    for (let y = 0; y < side; y++) expect(model[y * side + midCol]).toBe(y + 0.5 > box.y0 && y + 0.5 < box.y1 ? 1 : 0);
  });
});
