/**
 * JPEG DCT decoder (ITU T.81 baseline, extended sequential and progressive, Huffman coded) for
 * sample precisions the libjpeg-turbo 8-bit codec cannot handle: DICOM's 12-bit "JPEG Extended"
 * (1.2.840.10008.1.2.4.51) and the retired spectral-selection / progressive syntaxes (.53, .55)
 * that CT and MR writers use with 12-bit data. Written for correctness over speed; 8-bit images
 * go through libjpeg-turbo, this only serves as the fallback.
 */

import { BitReader, buildHuffmanTable, readU16, type HuffmanTable } from './jpeg-huffman';

export interface DctImage {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Interleaved samples at full resolution; colour (3 components) already converted to RGB. */
  data: Uint16Array;
}

/** Zig-zag scan position → natural (row-major) coefficient index. */
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
  // Padding so that a corrupt run that overshoots the band never indexes past the block.
  63,
]);

const MAX_PIXELS = 1 << 28;

/** cos table for the separable inverse DCT: IDCT_BASIS[x * 8 + u] = C(u)/2 · cos((2x+1)uπ/16). */
const IDCT_BASIS = (() => {
  const table = new Float64Array(64);
  for (let x = 0; x < 8; x++) {
    for (let u = 0; u < 8; u++) {
      const c = u === 0 ? Math.SQRT1_2 : 1;
      table[x * 8 + u] = (c / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return table;
})();

interface Component {
  id: number;
  h: number;
  v: number;
  quantTable: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Blocks per line including MCU padding: the stride of `coefficients`. */
  blocksPerLineAllocated: number;
  coefficients: Int32Array;
  dcPredictor: number;
  dcTable: HuffmanTable | undefined;
  acTable: HuffmanTable | undefined;
}

interface Frame {
  progressive: boolean;
  precision: number;
  width: number;
  height: number;
  components: Component[];
  maxH: number;
  maxV: number;
  mcusPerLine: number;
  mcusPerColumn: number;
}

type BlockDecoder = (component: Component, offset: number) => void;

class ScanState {
  eobRun = 0;
}

function sequentialBlock(reader: BitReader): BlockDecoder {
  return (component, offset) => {
    const coefficients = component.coefficients;
    const t = reader.decode(component.dcTable);
    component.dcPredictor += reader.signed(t);
    coefficients[offset] = component.dcPredictor;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(component.acTable);
      const size = rs & 15;
      const run = rs >> 4;
      if (size === 0) {
        if (run < 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) break;
      coefficients[offset + ZIGZAG[k]!] = reader.signed(size);
      k++;
    }
  };
}

function progressiveBlock(reader: BitReader, state: ScanState, ss: number, se: number, ah: number, al: number): BlockDecoder {
  if (ss === 0) {
    if (ah === 0) {
      return (component, offset) => {
        const t = reader.decode(component.dcTable);
        component.dcPredictor += reader.signed(t);
        component.coefficients[offset] = component.dcPredictor * (1 << al);
      };
    }
    return (component, offset) => {
      if (reader.bit()) component.coefficients[offset]! |= 1 << al;
    };
  }
  if (ah === 0) {
    return (component, offset) => {
      if (state.eobRun > 0) {
        state.eobRun--;
        return;
      }
      const coefficients = component.coefficients;
      for (let k = ss; k <= se; ) {
        const rs = reader.decode(component.acTable);
        const size = rs & 15;
        const run = rs >> 4;
        if (size === 0) {
          if (run < 15) {
            state.eobRun = (1 << run) - 1 + (run ? reader.bits(run) : 0);
            break;
          }
          k += 16;
          continue;
        }
        k += run;
        if (k > 63) break;
        coefficients[offset + ZIGZAG[k]!] = reader.signed(size) * (1 << al);
        k++;
      }
    };
  }
  // Successive approximation refinement of AC coefficients (T.81 G.1.2.3).
  const plus = 1 << al;
  const minus = -1 << al;
  const refine = (coefficients: Int32Array, index: number) => {
    if (reader.bit() && (coefficients[index]! & plus) === 0) {
      coefficients[index]! += coefficients[index]! >= 0 ? plus : minus;
    }
  };
  return (component, offset) => {
    const coefficients = component.coefficients;
    let k = ss;
    if (state.eobRun === 0) {
      for (; k <= se; k++) {
        const rs = reader.decode(component.acTable);
        const size = rs & 15;
        let run = rs >> 4;
        let value = 0;
        if (size !== 0) {
          value = reader.bit() ? plus : minus;
        } else if (run !== 15) {
          state.eobRun = (1 << run) + (run ? reader.bits(run) : 0);
          break;
        }
        // Walk over already-nonzero coefficients (refining them) and `run` zero ones.
        while (k <= se) {
          const index = offset + ZIGZAG[k]!;
          if (coefficients[index] !== 0) {
            refine(coefficients, index);
          } else {
            if (run === 0) break;
            run--;
          }
          k++;
        }
        if (value !== 0 && k <= 63) coefficients[offset + ZIGZAG[k]!] = value;
      }
    }
    if (state.eobRun > 0) {
      for (; k <= se; k++) {
        const index = offset + ZIGZAG[k]!;
        if (coefficients[index] !== 0) refine(coefficients, index);
      }
      state.eobRun--;
    }
  };
}

function decodeScan(
  data: Uint8Array,
  start: number,
  frame: Frame,
  components: Component[],
  restartInterval: number,
  ss: number,
  se: number,
  ah: number,
  al: number,
): number {
  const reader = new BitReader(data, start);
  const state = new ScanState();
  const decodeBlock = frame.progressive ? progressiveBlock(reader, state, ss, se, ah, al) : sequentialBlock(reader);
  for (const component of components) component.dcPredictor = 0;

  const single = components.length === 1;
  const first = components[0]!;
  const mcuCount = single ? first.blocksPerLine * first.blocksPerColumn : frame.mcusPerLine * frame.mcusPerColumn;
  for (let mcu = 0; mcu < mcuCount; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      reader.restart();
      state.eobRun = 0;
      for (const component of components) component.dcPredictor = 0;
    }
    if (single) {
      // A non-interleaved scan covers only the component's real blocks, in raster order.
      const row = Math.floor(mcu / first.blocksPerLine);
      const col = mcu % first.blocksPerLine;
      decodeBlock(first, (row * first.blocksPerLineAllocated + col) * 64);
    } else {
      const mcuRow = Math.floor(mcu / frame.mcusPerLine);
      const mcuCol = mcu % frame.mcusPerLine;
      for (const component of components) {
        for (let v = 0; v < component.v; v++) {
          for (let h = 0; h < component.h; h++) {
            const row = mcuRow * component.v + v;
            const col = mcuCol * component.h + h;
            decodeBlock(component, (row * component.blocksPerLineAllocated + col) * 64);
          }
        }
      }
    }
  }
  return reader.nextMarker();
}

/** Dequantises and inverse-transforms every block of a component into a plane of samples. */
function reconstructPlane(component: Component, quant: Int32Array, precision: number): { plane: Uint16Array; stride: number } {
  const stride = component.blocksPerLineAllocated * 8;
  const rowsOfBlocks = component.coefficients.length / 64 / component.blocksPerLineAllocated;
  const plane = new Uint16Array(stride * rowsOfBlocks * 8);
  const level = 1 << (precision - 1);
  const maxSample = (1 << precision) - 1;
  const dequantised = new Float64Array(64);
  const rowPass = new Float64Array(64);
  const c = component.coefficients;
  for (let blockRow = 0; blockRow < rowsOfBlocks; blockRow++) {
    for (let blockCol = 0; blockCol < component.blocksPerLineAllocated; blockCol++) {
      const offset = (blockRow * component.blocksPerLineAllocated + blockCol) * 64;
      for (let i = 0; i < 64; i++) dequantised[i] = c[offset + i]! * quant[i]!;
      // Rows (vertical frequency v fixed): rowPass[v][x] = Σu basis[x][u] F[v][u].
      for (let v = 0; v < 8; v++) {
        for (let x = 0; x < 8; x++) {
          let sum = 0;
          for (let u = 0; u < 8; u++) sum += IDCT_BASIS[x * 8 + u]! * dequantised[v * 8 + u]!;
          rowPass[v * 8 + x] = sum;
        }
      }
      for (let y = 0; y < 8; y++) {
        const planeRow = (blockRow * 8 + y) * stride + blockCol * 8;
        for (let x = 0; x < 8; x++) {
          let sum = 0;
          for (let v = 0; v < 8; v++) sum += IDCT_BASIS[y * 8 + v]! * rowPass[v * 8 + x]!;
          const sample = Math.round(sum) + level;
          plane[planeRow + x] = sample < 0 ? 0 : sample > maxSample ? maxSample : sample;
        }
      }
    }
  }
  return { plane, stride };
}

function readFrameHeader(data: Uint8Array, body: number, marker: number): Frame {
  const precision = data[body]!;
  const height = (data[body + 1]! << 8) | data[body + 2]!;
  const width = (data[body + 3]! << 8) | data[body + 4]!;
  const count = data[body + 5]!;
  if (precision !== 8 && precision !== 12) throw new Error(`unsupported JPEG sample precision ${precision}`);
  if (height === 0) throw new Error('JPEG with height defined by a DNL marker is not supported');
  if (width === 0 || count === 0) throw new Error('corrupt JPEG frame header');
  if (width * height * count > MAX_PIXELS) throw new Error(`JPEG too large (${width}×${height}×${count})`);
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const p = body + 6 + i * 3;
    const h = data[p + 1]! >> 4;
    const v = data[p + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new Error('corrupt JPEG: bad sampling factors');
    components.push({
      id: data[p]!,
      h,
      v,
      quantTable: data[p + 2]! & 3,
      blocksPerLine: 0,
      blocksPerColumn: 0,
      blocksPerLineAllocated: 0,
      coefficients: new Int32Array(0),
      dcPredictor: 0,
      dcTable: undefined,
      acTable: undefined,
    });
  }
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcusPerColumn = Math.ceil(height / (8 * maxV));
  for (const component of components) {
    component.blocksPerLine = Math.ceil(Math.ceil((width * component.h) / maxH) / 8);
    component.blocksPerColumn = Math.ceil(Math.ceil((height * component.v) / maxV) / 8);
    component.blocksPerLineAllocated = mcusPerLine * component.h;
    component.coefficients = new Int32Array(component.blocksPerLineAllocated * mcusPerColumn * component.v * 64);
  }
  return { progressive: marker === 0xc2, precision, width, height, components, maxH, maxV, mcusPerLine, mcusPerColumn };
}

function toRgb(frame: Frame, planes: { plane: Uint16Array; stride: number }[], rgbEncoded: boolean): Uint16Array {
  const { width, height, components, maxH, maxV } = frame;
  const count = components.length;
  const out = new Uint16Array(width * height * count);
  for (let c = 0; c < count; c++) {
    const { plane, stride } = planes[c]!;
    const { h, v } = components[c]!;
    for (let y = 0; y < height; y++) {
      const source = Math.floor((y * v) / maxV) * stride;
      const target = y * width * count + c;
      for (let x = 0; x < width; x++) out[target + x * count] = plane[source + Math.floor((x * h) / maxH)]!;
    }
  }
  if (count === 3 && !rgbEncoded) {
    const center = 1 << (frame.precision - 1);
    const maxSample = (1 << frame.precision) - 1;
    const clamp = (value: number) => (value < 0 ? 0 : value > maxSample ? maxSample : Math.round(value));
    for (let i = 0; i < out.length; i += 3) {
      const y = out[i]!;
      const cb = out[i + 1]! - center;
      const cr = out[i + 2]! - center;
      out[i] = clamp(y + 1.402 * cr);
      out[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      out[i + 2] = clamp(y + 1.772 * cb);
    }
  }
  return out;
}

export function decodeJpegDct(data: Uint8Array): DctImage {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('no JPEG start-of-image marker');
  const quantTables: (Int32Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let adobeTransform: number | null = null;
  let scans = 0;
  const u16 = (p: number) => readU16(data, p);

  let position = 2;
  while (position + 1 < data.length) {
    if (data[position] !== 0xff) {
      position++; // tolerate junk between segments
      continue;
    }
    const marker = data[position + 1]!;
    position += 2;
    if (marker === 0xff) {
      position--; // fill byte
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (position + 2 > data.length) break;
    const length = u16(position);
    const body = position + 2;
    const end = position + length;
    if (length < 2 || end > data.length) throw new Error('truncated JPEG segment');

    switch (marker) {
      case 0xdb: {
        for (let p = body; p < end; ) {
          const spec = data[p++]!;
          const table = new Int32Array(64);
          const wide = spec >> 4 !== 0;
          for (let k = 0; k < 64; k++) {
            table[ZIGZAG[k]!] = wide ? u16(p + 2 * k) : data[p + k]!;
          }
          p += wide ? 128 : 64;
          quantTables[spec & 3] = table;
        }
        break;
      }
      case 0xc4: {
        for (let p = body; p < end; ) {
          const spec = data[p]!;
          const counts = data.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          const values = data.slice(p + 17, p + 17 + total);
          (spec >> 4 === 0 ? dcTables : acTables)[spec & 3] = buildHuffmanTable(counts, values);
          p += 17 + total;
        }
        break;
      }
      case 0xc0:
      case 0xc1:
      case 0xc2:
        if (frame) throw new Error('JPEG with more than one frame (hierarchical) is not supported');
        frame = readFrameHeader(data, body, marker);
        break;
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new Error(`unsupported JPEG process (SOF${marker - 0xc0}: lossless, hierarchical or arithmetic coded)`);
      case 0xdd:
        restartInterval = u16(body);
        break;
      case 0xee:
        if (String.fromCharCode(...data.subarray(body, body + 5)) === 'Adobe') adobeTransform = data[body + 11] ?? null;
        break;
      case 0xda: {
        if (!frame) throw new Error('corrupt JPEG: scan before frame header');
        const count = data[body]!;
        const scanComponents: Component[] = [];
        for (let i = 0; i < count; i++) {
          const id = data[body + 1 + i * 2]!;
          const tables = data[body + 2 + i * 2]!;
          const component = frame.components.find((c) => c.id === id);
          if (!component) throw new Error('corrupt JPEG: scan refers to an unknown component');
          component.dcTable = dcTables[tables >> 4];
          component.acTable = acTables[tables & 15];
          scanComponents.push(component);
        }
        const p = body + 1 + count * 2;
        const ss = data[p]!;
        const se = Math.min(data[p + 1]!, 63);
        const ah = data[p + 2]! >> 4;
        const al = data[p + 2]! & 15;
        position = decodeScan(data, end, frame, scanComponents, restartInterval, frame.progressive ? ss : 0, frame.progressive ? se : 63, ah, al);
        scans++;
        continue;
      }
      default:
        break; // APPn, COM, DNL and others carry nothing the pixels need
    }
    position = end;
  }

  if (!frame) throw new Error('no JPEG frame header found');
  if (scans === 0) throw new Error('JPEG has no scan data');
  const decodedFrame = frame;
  const planes = decodedFrame.components.map((component) => {
    const quant = quantTables[component.quantTable];
    if (!quant) throw new Error('corrupt JPEG: missing quantisation table');
    return reconstructPlane(component, quant, decodedFrame.precision);
  });
  const ids = decodedFrame.components.map((c) => c.id);
  const rgbEncoded =
    adobeTransform === 0 || (adobeTransform === null && ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42);
  return {
    width: decodedFrame.width,
    height: decodedFrame.height,
    components: decodedFrame.components.length,
    precision: decodedFrame.precision,
    data: toRgb(decodedFrame, planes, rgbEncoded),
  };
}
