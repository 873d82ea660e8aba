/**
 * The app's one writer for the subset of the ONNX protobuf it needs: the student's exported model
 * and training-step graph, the device probe's one-node model, and the teacher test fixtures. It
 * writes only; reading and checking models is onnxruntime's job (teacher/registry.ts). No protobuf
 * library is installed (protobufjs is not a dependency of onnxruntime-node 1.30).
 *
 * Field numbers follow onnx/onnx.proto (IR version 8): ModelProto{ir_version=1, producer_name=2,
 * producer_version=3, doc_string=6, graph=7, opset_import=8}, GraphProto{node=1, name=2,
 * initializer=5, input=11, output=12}, NodeProto{input=1, output=2, name=3, op_type=4,
 * attribute=5, domain=7}, AttributeProto{name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20},
 * TensorProto{dims=1, data_type=2, name=8, raw_data=9, external_data=13, data_location=14},
 * ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1,
 * shape=2}, TensorShapeProto{dim=1}, Dimension{dim_value=1, dim_param=2}.
 */

export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_BOOL = 9;

export type ElemType = typeof ONNX_FLOAT | typeof ONNX_UINT8 | typeof ONNX_INT32 | typeof ONNX_INT64 | typeof ONNX_BOOL;

/** A dimension: a fixed size, or a symbolic name (dynamic), e.g. "batch". */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: ElemType;
  shape: Dim[];
}

export interface Initializer {
  name: string;
  elemType: typeof ONNX_FLOAT | typeof ONNX_INT64 | typeof ONNX_UINT8;
  dims: number[];
  values: ArrayLike<number>;
  /** Store the values outside the model, in this file (relative to the model), as big exports do. */
  externalFile?: string;
}

/** Plain numbers and number[] are written as INT / INTS, strings as STRING; wrap floats as {float} / {floats}. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | { tensor: Initializer };
export type Attrs = Record<string, AttrValue>;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Attrs;
  /** Operator domain: '' (ONNX) or e.g. 'com.microsoft' (onnxruntime contrib ops, imported at version 1). */
  domain?: string;
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  initializers?: Initializer[];
  /** Default-domain opset; 17 unless given. */
  opset?: number;
  producer?: string;
  producerVersion?: string;
  docString?: string;
}

/**
 * Appends into a growing buffer and keeps large payloads (weights) as their own chunks, so a model
 * of hundreds of MB is copied once, at `finish`.
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

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value)); // negative values: two's complement, 10 bytes
    this.ensure(10);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.buf[this.pos++] = byte;
    } while (v !== 0n);
    return this;
  }

  private tag(field: number, wire: 0 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
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

  float(field: number, value: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
    return this;
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.chunks.reduce((s, c) => s + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** The bytes an initializer stores, little-endian (what an external-data file holds for it). */
export function initializerBytes(t: Initializer): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.values.length !== n) throw new Error(`initializer ${t.name}: ${t.values.length} values for dims [${t.dims.join(',')}]`);
  if (t.elemType === ONNX_FLOAT) {
    const f = Float32Array.from(t.values);
    return new Uint8Array(f.buffer);
  }
  if (t.elemType === ONNX_UINT8) return Uint8Array.from(t.values);
  const b = new BigInt64Array(n);
  for (let i = 0; i < n; i++) b[i] = BigInt(Math.trunc(t.values[i]!));
  return new Uint8Array(b.buffer);
}

function writeTensor(w: Writer, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.elemType);
  w.string(8, t.name);
  const data = initializerBytes(t);
  if (t.externalFile) {
    const entry = (k: string, v: string) => w.message(13, (e) => e.string(1, k).string(2, v));
    entry('location', t.externalFile);
    entry('offset', '0');
    entry('length', String(data.length));
    w.int(14, 1); // data_location = EXTERNAL
  } else {
    w.bytes(9, data);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

// AttributeProto.AttributeType
const FLOAT = 1;
const INT = 2;
const STRING = 3;
const TENSOR = 4;
const FLOATS = 6;
const INTS = 7;

function writeAttr(w: Writer, name: string, value: AttrValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.int(3, value).int(20, INT);
  else if (typeof value === 'string') w.string(4, value).int(20, STRING);
  else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, INTS);
  } else if ('float' in value) w.float(2, value.float).int(20, FLOAT);
  else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, FLOATS);
  } else w.message(5, (t) => writeTensor(t, value.tensor)).int(20, TENSOR);
}

/** Serialises a graph as an ONNX model (IR 8). */
export function encodeModel(g: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, g.producer ?? 'apprentice');
  if (g.producerVersion) w.string(3, g.producerVersion);
  if (g.docString) w.string(6, g.docString);
  w.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const y of n.outputs) node.string(2, y);
        node.string(3, n.name ?? `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => writeAttr(a, k, v));
        if (n.domain) node.string(7, n.domain);
      }),
    );
    graph.string(2, g.name);
    for (const t of g.initializers ?? []) graph.message(5, (tw) => writeTensor(tw, t));
    for (const v of g.inputs) graph.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) graph.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (op) => op.string(1, '').int(2, g.opset ?? 17));
  for (const d of new Set(g.nodes.map((n) => n.domain).filter((d): d is string => !!d))) w.message(8, (op) => op.string(1, d).int(2, 1));
  return w.finish();
}

/** The smallest useful model: y = Identity(x), x float32 [1]. The device probe loads it. */
export function identityModel(): Uint8Array {
  return encodeModel({
    name: 'identity',
    inputs: [{ name: 'x', elemType: ONNX_FLOAT, shape: [1] }],
    outputs: [{ name: 'y', elemType: ONNX_FLOAT, shape: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}
