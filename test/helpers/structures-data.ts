import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { seededRandom } from '../../src/main/util/random';

/**
 * Lossless synthetic images for tests whose numbers must not move with a JPEG decoder: a noisy
 * background with a red disc (structure 1) and a blue square (structure 2) at seeded places.
 * Returns each file's label map (0, 1, 2) beside its path.
 */
export function writeTwoStructureImages(dir: string, count: number, width = 80, height = 72): { file: string; labels: Uint8Array }[] {
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(7);
  const out: { file: string; labels: Uint8Array }[] = [];
  for (let n = 0; n < count; n++) {
    const png = new PNG({ width, height });
    const labels = new Uint8Array(width * height);
    const cx = 15 + random() * (width - 30);
    const cy = 15 + random() * (height - 30);
    const r = 8 + random() * 6;
    const sx = Math.floor(random() * (width - 18));
    const sy = Math.floor(random() * (height - 18));
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        let rgb = [90 + random() * 40, 90 + random() * 40, 90 + random() * 40];
        if (x >= sx && x < sx + 16 && y >= sy && y < sy + 16) {
          labels[i] = 2;
          rgb = [40, 60, 200 + random() * 40];
        }
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
          labels[i] = 1;
          rgb = [210 + random() * 40, 50, 40];
        }
        png.data.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], i * 4);
      }
    const file = join(dir, `synthetic-${String(n).padStart(3, '0')}.png`);
    writeFileSync(file, PNG.sync.write(png));
    out.push({ file, labels });
  }
  return out;
}
