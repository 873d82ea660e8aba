/**
 * The small part of the protobuf wire format and of onnx.proto the student's exporter needs
 * (no protobuf library is installed: protobufjs is not a dependency of onnxruntime-node 1.30).
 * Field numbers are those of onnx/onnx.proto (IR version 8).
 */

class Writer {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, 2 * this.buf.length));
  }

  private flush(): void {
    if (this.pos > 0) this.chunks.push(this.buf.slice(0, this.pos));
    this.pos = 0;
  }

  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n; // two's complement, 10 bytes
    this.ensure(10);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      this.buf[this.pos++] = byte;
    } while (x > 0n);
    return this;
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.flush();
    this.chunks.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
    return this;
  }

  packedInts(field: number, vs: readonly number[]): this {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export const DataType = { FLOAT: 1, INT64: 7 } as const;

export type Attr =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'string'; value: string };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs?: Attr[];
  /** Operator domain: '' (ONNX) or e.g. 'com.microsoft' (onnxruntime contrib ops). */
  domain?: string;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  type: 'float' | 'int64';
  data: Float32Array | number[];
}

export interface OnnxValueInfo {
  name: string;
  elemType: 'float';
  /** numbers, or a string for a symbolic dimension such as "batch" */
  shape: (number | string)[];
}

export interface OnnxModel {
  producer: string;
  producerVersion: string;
  opset: number;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function writeAttr(w: Writer, a: Attr): void {
  w.string(1, a.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
  }
  w.int(20, ATTR_TYPE[a.type]);
}

function writeTensor(w: Writer, t: OnnxInitializer): void {
  w.packedInts(1, t.dims);
  w.int(2, t.type === 'float' ? DataType.FLOAT : DataType.INT64);
  w.string(8, t.name);
  if (t.type === 'float') {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    w.bytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength).slice()); // raw_data, little-endian
  } else {
    const raw = new Uint8Array(t.data.length * 8);
    const dv = new DataView(raw.buffer);
    Array.from(t.data).forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    w.bytes(9, raw);
  }
}

function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DataType.FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Serialises a ModelProto. */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, m.producer);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.op);
        for (const a of n.attrs ?? []) nw.message(5, (aw) => writeAttr(aw, a));
        if (n.domain) nw.string(7, n.domain);
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const i of m.inputs) g.message(11, (vw) => writeValueInfo(vw, i));
    for (const o of m.outputs) g.message(12, (vw) => writeValueInfo(vw, o));
  });
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, m.opset);
  });
  const domains = new Set(m.nodes.map((n) => n.domain).filter((d): d is string => !!d));
  for (const d of domains)
    w.message(8, (op) => {
      op.string(1, d);
      op.int(2, 1);
    });
  return w.finish();
}
