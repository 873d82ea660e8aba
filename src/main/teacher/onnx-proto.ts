/**
 * A tiny writer for the subset of the ONNX protobuf (onnx/onnx.proto3) needed to build small graphs
 * from standard operators: the provider probe's one-node model and the test fixtures. It writes only;
 * reading and checking models is onnxruntime's job (see registry.ts).
 *
 * Field numbers follow onnx.proto3: ModelProto{ir_version=1, producer_name=2, graph=7,
 * opset_import=8}, GraphProto{node=1, name=2, initializer=5, input=11, output=12},
 * NodeProto{input=1, output=2, name=3, op_type=4, attribute=5}, AttributeProto{name=1, f=2, i=3,
 * t=5, floats=7, ints=8, type=20}, TensorProto{dims=1, data_type=2, name=8, raw_data=9},
 * ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1, shape=2},
 * TensorShapeProto{dim=1}, Dimension{dim_value=1, dim_param=2}.
 */

export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_BOOL = 9;

export type ElemType = typeof ONNX_FLOAT | typeof ONNX_UINT8 | typeof ONNX_INT32 | typeof ONNX_INT64 | typeof ONNX_BOOL;

/** A dimension: a fixed size, or a symbolic name (dynamic). */
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

export type AttrValue = number | number[] | { float: number } | { floats: number[] } | { tensor: Initializer };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Plain numbers and number[] are written as INT / INTS; wrap floats as {float} / {floats}. */
  attrs?: Record<string, AttrValue>;
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  initializers?: Initializer[];
  opset?: number;
  producer?: string;
}

class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.tag(field, 2).varint(bytes.length);
    this.push(bytes);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function rawData(t: Initializer): Uint8Array {
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
  if (t.externalFile) {
    // TensorProto.external_data (13): StringStringEntryProto{key=1, value=2}; data_location (14) = EXTERNAL.
    const entry = (k: string, v: string) => w.message(13, (e) => e.string(1, k).string(2, v));
    entry('location', t.externalFile);
    entry('offset', '0');
    entry('length', String(rawData(t).length));
    w.int(14, 1);
  } else {
    w.bytes(9, rawData(t));
  }
}

/** The bytes an initializer stores (what an external-data file holds for it). */
export function initializerBytes(t: Initializer): Uint8Array {
  return rawData(t);
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

function writeAttr(w: Writer, name: string, value: AttrValue): void {
  w.string(1, name);
  if (typeof value === 'number') {
    w.int(3, value).int(20, 2);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if ('float' in value) {
    w.float(2, value.float).int(20, 1);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  } else {
    w.message(5, (t) => writeTensor(t, value.tensor)).int(20, 4);
  }
}

/** Serialises a graph as an ONNX model (IR 8, default-domain opset 17 unless given). */
export function encodeModel(g: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, g.producer ?? 'apprentice-onnx-proto');
  w.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const y of n.outputs) node.string(2, y);
        node.string(3, n.name ?? `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => writeAttr(a, k, v));
      }),
    );
    graph.string(2, g.name);
    for (const t of g.initializers ?? []) graph.message(5, (tw) => writeTensor(tw, t));
    for (const v of g.inputs) graph.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) graph.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (op) => op.string(1, '').int(2, g.opset ?? 17));
  return w.finish();
}

/** The smallest useful model: y = Identity(x), x float32 [1]. The provider probe loads it. */
export function identityModel(): Uint8Array {
  return encodeModel({
    name: 'identity',
    inputs: [{ name: 'x', elemType: ONNX_FLOAT, shape: [1] }],
    outputs: [{ name: 'y', elemType: ONNX_FLOAT, shape: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}
