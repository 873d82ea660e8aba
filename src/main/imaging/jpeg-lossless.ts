/**
 * JPEG lossless (ITU T.81 Annex H, process 14: DICOM 1.2.840.10008.1.2.4.57 and .70), all seven
 * predictors, point transform, restart intervals, interleaved or one-scan-per-component colour.
 *
 * jpeg-lossless-decoder-js handles the common files, but it returns an all-zero image instead of
 * an error on streams it cannot follow (fo-dicom GH1261: 16-bit precision with SSSS=16
 * differences); this decoder either decodes or says why not, so it is tried first.
 */
import { BitReader, buildHuffmanTable, readU16, type HuffmanTable } from './jpeg-huffman';

export interface LosslessImage {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Interleaved samples. */
  data: Uint8Array | Uint16Array;
}

interface LosslessComponent {
  id: number;
  table: HuffmanTable | undefined;
  plane: Uint16Array;
}

function predict(predictor: number, a: number, b: number, c: number): number {
  switch (predictor) {
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return c;
    case 4:
      return a + b - c;
    case 5:
      return a + ((b - c) >> 1);
    case 6:
      return b + ((a - c) >> 1);
    default:
      return (a + b) >> 1;
  }
}

function decodeScan(
  data: Uint8Array,
  start: number,
  width: number,
  height: number,
  precision: number,
  components: LosslessComponent[],
  predictor: number,
  pointTransform: number,
  restartInterval: number,
): number {
  const reader = new BitReader(data, start);
  const initial = 1 << (precision - pointTransform - 1);
  const total = width * height;
  let firstRowOfInterval = 0; // rows before this one belong to an earlier restart interval
  let sinceRestart = 0;
  for (let i = 0; i < total; i++) {
    if (restartInterval > 0 && sinceRestart === restartInterval) {
      reader.restart();
      sinceRestart = 0;
      firstRowOfInterval = Math.floor(i / width);
    }
    const x = i % width;
    const y = (i - x) / width;
    const restartedHere = sinceRestart === 0 && restartInterval > 0;
    for (const component of components) {
      const plane = component.plane;
      let prediction: number;
      if (i === 0 || restartedHere) prediction = initial;
      else if (y === firstRowOfInterval) prediction = plane[i - 1]!;
      else if (x === 0) prediction = plane[i - width]!;
      else prediction = predict(predictor, plane[i - 1]!, plane[i - width]!, plane[i - width - 1]!);
      const category = reader.decode(component.table);
      // SSSS = 16 carries no extra bits: the difference is 32768 (T.81 H.1.2.2).
      const difference = category === 16 ? 32768 : reader.signed(category);
      plane[i] = (prediction + difference) & 0xffff;
    }
    sinceRestart++;
  }
  return reader.nextMarker();
}

export function decodeJpegLossless(data: Uint8Array): LosslessImage {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('no JPEG start-of-image marker');
  const tables: (HuffmanTable | undefined)[] = [];
  let frame: { precision: number; width: number; height: number; components: LosslessComponent[] } | null = null;
  let restartInterval = 0;
  let pointTransform = 0;
  const scanned = new Set<number>();

  let position = 2;
  while (position + 1 < data.length) {
    if (data[position] !== 0xff) {
      position++;
      continue;
    }
    const marker = data[position + 1]!;
    position += 2;
    if (marker === 0xff) {
      position--;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    const length = readU16(data, position);
    const body = position + 2;
    const end = position + length;
    if (length < 2 || end > data.length) throw new Error('truncated JPEG segment');

    if (marker === 0xc4) {
      for (let p = body; p < end; ) {
        const spec = data[p]!;
        const counts = data.subarray(p + 1, p + 17);
        const total = counts.reduce((sum, n) => sum + n, 0);
        if (spec >> 4 === 0) tables[spec & 3] = buildHuffmanTable(counts, data.slice(p + 17, p + 17 + total));
        p += 17 + total;
      }
    } else if (marker === 0xc3) {
      const precision = data[body]!;
      const height = readU16(data, body + 1);
      const width = readU16(data, body + 3);
      const count = data[body + 5]!;
      if (precision < 2 || precision > 16) throw new Error(`unsupported JPEG lossless precision ${precision}`);
      if (!width || !height) throw new Error('JPEG lossless image without dimensions (DNL is not supported)');
      if (width * height * count > 1 << 28) throw new Error('JPEG lossless image too large');
      const components: LosslessComponent[] = [];
      for (let i = 0; i < count; i++) {
        const sampling = data[body + 7 + i * 3]!;
        if (sampling !== 0x11) throw new Error('subsampled JPEG lossless components are not supported');
        components.push({ id: data[body + 6 + i * 3]!, table: undefined, plane: new Uint16Array(width * height) });
      }
      frame = { precision, width, height, components };
    } else if ((marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)) {
      throw new Error(`not a JPEG lossless (process 14) stream: SOF${marker - 0xc0}`);
    } else if (marker === 0xdd) {
      restartInterval = readU16(data, body);
    } else if (marker === 0xda) {
      if (!frame) throw new Error('corrupt JPEG: scan before frame header');
      const count = data[body]!;
      const scanComponents: LosslessComponent[] = [];
      for (let i = 0; i < count; i++) {
        const id = data[body + 1 + i * 2]!;
        const component = frame.components.find((c) => c.id === id);
        if (!component) throw new Error('corrupt JPEG: scan refers to an unknown component');
        component.table = tables[data[body + 2 + i * 2]! >> 4];
        scanComponents.push(component);
        scanned.add(id);
      }
      const predictor = data[body + 1 + count * 2]!;
      pointTransform = data[body + 3 + count * 2]! & 15;
      if (predictor < 1 || predictor > 7) throw new Error(`invalid JPEG lossless predictor ${predictor}`);
      position = decodeScan(
        data,
        end,
        frame.width,
        frame.height,
        frame.precision,
        scanComponents,
        predictor,
        pointTransform,
        restartInterval,
      );
      continue;
    }
    position = end;
  }

  if (!frame) throw new Error('no JPEG lossless frame header found');
  if (scanned.size < frame.components.length) throw new Error('JPEG lossless stream ends before all components were decoded');
  const { width, height, precision, components } = frame;
  const count = components.length;
  const pixels = width * height;
  const data8or16 = precision <= 8 ? new Uint8Array(pixels * count) : new Uint16Array(pixels * count);
  const mask = (1 << precision) - 1;
  for (let c = 0; c < count; c++) {
    const plane = components[c]!.plane;
    for (let i = 0; i < pixels; i++) data8or16[i * count + c] = (plane[i]! << pointTransform) & mask;
  }
  return { width, height, components: count, precision, data: data8or16 };
}
