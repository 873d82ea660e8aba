/** Huffman tables and the entropy-coded-segment bit reader shared by the JPEG DCT and lossless decoders. */

export interface HuffmanTable {
  /** Largest code of each length (index 1..16), -1 when there is none. */
  maxCode: Int32Array;
  /** Index into `values` of the first code of each length, minus that code. */
  offset: Int32Array;
  values: Uint8Array;
  /** For codes of at most 8 bits: indexed by the next 8 bits, (length << 8) | value; 0 = longer code. */
  fast: Uint16Array;
}

export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(18);
  const fast = new Uint16Array(256);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++) {
    const count = counts[length - 1] ?? 0;
    offset[length] = index - code;
    for (let i = 0; i < count && length <= 8; i++) {
      const value = values[index + i];
      if (value === undefined) break;
      const first = (code + i) << (8 - length);
      fast.fill((length << 8) | value, first, first + (1 << (8 - length)));
    }
    if (count > 0) {
      code += count;
      index += count;
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, offset, values, fast };
}

/**
 * Reads an entropy-coded segment: removes 0xFF00 stuffing, stops at the next marker and from then
 * on feeds zero bits, so a truncated or corrupt stream ends in wrong pixels or a thrown error,
 * never in an endless loop or an out-of-bounds read.
 */
export class BitReader {
  position: number;
  private accumulator = 0;
  private available = 0;
  private atMarker = false;

  constructor(
    private readonly data: Uint8Array,
    start: number,
  ) {
    this.position = start;
  }

  private fill(): void {
    while (this.available <= 24) {
      let byte = 0;
      if (!this.atMarker && this.position < this.data.length) {
        byte = this.data[this.position]!;
        if (byte === 0xff) {
          const next = this.data[this.position + 1];
          if (next === 0x00) {
            this.position += 2;
          } else {
            this.atMarker = true;
            byte = 0;
          }
        } else {
          this.position += 1;
        }
      }
      this.accumulator = ((this.accumulator << 8) | byte) >>> 0;
      this.available += 8;
    }
  }

  bit(): number {
    if (this.available === 0) this.fill();
    this.available -= 1;
    return (this.accumulator >>> this.available) & 1;
  }

  /** Up to 16 bits, most significant first. */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.available < n) this.fill();
    this.available -= n;
    return (this.accumulator >>> this.available) & ((1 << n) - 1);
  }

  /** Value of an n-bit magnitude category (T.81 F.2.2.1 EXTEND). */
  signed(n: number): number {
    if (n === 0) return 0;
    if (n > 16) throw new Error('corrupt JPEG: magnitude category out of range');
    const value = this.bits(n);
    return value < 1 << (n - 1) ? value - (1 << n) + 1 : value;
  }

  decode(table: HuffmanTable | undefined): number {
    if (!table) throw new Error('corrupt JPEG: scan uses an undefined Huffman table');
    if (this.available < 16) this.fill();
    const entry = table.fast[(this.accumulator >>> (this.available - 8)) & 0xff]!;
    if (entry !== 0) {
      this.available -= entry >> 8;
      return entry & 0xff;
    }
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | ((this.accumulator >>> (this.available - length)) & 1);
      if (code <= table.maxCode[length]!) {
        const value = table.values[table.offset[length]! + code];
        if (value === undefined) break;
        this.available -= length;
        return value;
      }
    }
    throw new Error('corrupt JPEG: invalid Huffman code');
  }

  /** At a restart interval boundary: drop the padding bits and step over the RSTn marker. */
  restart(): void {
    this.accumulator = 0;
    this.available = 0;
    const d = this.data;
    let p = this.position;
    while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1]! >= 0xd0 && d[p + 1]! <= 0xd7)) {
      if (d[p] === 0xff && d[p + 1] !== 0x00 && d[p + 1] !== 0xff) break; // another marker: leave it for the caller
      p++;
    }
    if (p + 1 < d.length && d[p] === 0xff && d[p + 1]! >= 0xd0 && d[p + 1]! <= 0xd7) {
      this.position = p + 2;
      this.atMarker = false;
    } else {
      this.position = p;
    }
  }

  /** Position of the next marker that is not RSTn: where header parsing resumes after a scan. */
  nextMarker(): number {
    const d = this.data;
    for (let p = this.position; p + 1 < d.length; p++) {
      if (d[p] !== 0xff) continue;
      const next = d[p + 1]!;
      if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return p;
    }
    return d.length;
  }
}

/** Big-endian 16-bit read used by the marker-segment parsers. */
export function readU16(data: Uint8Array, position: number): number {
  return ((data[position] ?? 0) << 8) | (data[position + 1] ?? 0);
}
