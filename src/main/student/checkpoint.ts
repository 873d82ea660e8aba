import type { AdamState } from './adam';
import { paramSpecs, type UnetConfig, type WeightArrays } from './unetpp';

/**
 * One binary container for named float32 tensors plus a JSON header — the student's weight files
 * and its training checkpoints:
 *
 *   bytes 0–7   "APTNSR01"
 *   bytes 8–11  header length H (uint32 LE)
 *   12…12+H     header JSON (UTF-8), space-padded so the data starts 4-byte aligned
 *   then        float32 LE data; header.tensors[i] = {name, shape, offset, length} in floats
 *
 * Weight files: meta.format = "apprentice-student-weights", meta.config = the UnetConfig, one tensor
 * per model parameter (names and HWIO layout of unetpp.ts). Checkpoints: meta.format =
 * "apprentice-student-checkpoint" with the training state in meta, tensors "w/<name>",
 * "adam.m/<name>", "adam.v/<name>".
 */

const MAGIC = 'APTNSR01';

export interface TensorEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function encodeBundle(meta: Record<string, unknown>, tensors: TensorEntry[]): Buffer {
  let offset = 0;
  const index = tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  let header = Buffer.from(JSON.stringify({ meta, tensors: index }), 'utf8');
  const pad = (4 - ((12 + header.length) % 4)) % 4;
  if (pad) header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.allocUnsafe(12 + header.length + offset * 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  const base = 12 + header.length;
  const view = new Float32Array(out.buffer, out.byteOffset + base, offset);
  for (let i = 0; i < tensors.length; i++) view.set(tensors[i]!.data, index[i]!.offset);
  return out;
}

export interface Bundle {
  meta: Record<string, unknown>;
  tensors: Map<string, TensorEntry>;
}

export function decodeBundle(bytes: Uint8Array): Bundle {
  if (bytes.length < 12 || Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1') !== MAGIC) {
    throw new Error('not an Apprentice student weights/checkpoint file (bad magic)');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 12, hlen).toString('utf8')) as {
    meta: Record<string, unknown>;
    tensors: { name: string; shape: number[]; offset: number; length: number }[];
  };
  const base = 12 + hlen;
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (bytes.length < base + total * 4) throw new Error('student weights/checkpoint file is truncated');
  // copy once into an aligned buffer (the input may not be 4-byte aligned)
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(bytes.subarray(base, base + total * 4));
  const tensors = new Map<string, TensorEntry>();
  for (const t of header.tensors) tensors.set(t.name, { name: t.name, shape: t.shape, data: all.subarray(t.offset, t.offset + t.length) });
  return { meta: header.meta, tensors };
}

// ---------------------------------------------------------------------------------------------- weights

export const WEIGHTS_FORMAT = 'apprentice-student-weights';
export const CHECKPOINT_FORMAT = 'apprentice-student-checkpoint';

export function encodeWeights(config: UnetConfig, weights: WeightArrays, extra: Record<string, unknown> = {}): Buffer {
  const tensors = paramSpecs(config).map((s) => ({ name: s.name, shape: s.shape, data: weights.get(s.name)! }));
  return encodeBundle({ format: WEIGHTS_FORMAT, version: 1, config, layout: 'NHWC; conv filters HWIO', ...extra }, tensors);
}

/**
 * Reads a weights file (or the weights of a checkpoint). With `config`, checks every tensor is
 * present with the model's shape; otherwise uses the file's own config.
 */
export function decodeWeights(bytes: Uint8Array, config?: UnetConfig): { config: UnetConfig; weights: WeightArrays; meta: Record<string, unknown> } {
  const b = decodeBundle(bytes);
  const format = b.meta.format;
  const prefix = format === CHECKPOINT_FORMAT ? 'w/' : '';
  if (format !== WEIGHTS_FORMAT && format !== CHECKPOINT_FORMAT) throw new Error(`unknown student file format "${String(format)}"`);
  const cfg = config ?? (b.meta.config as UnetConfig | undefined) ?? ((b.meta.model as { config?: UnetConfig } | undefined)?.config as UnetConfig);
  if (!cfg) throw new Error('the weights file names no model configuration');
  const weights: WeightArrays = new Map();
  for (const s of paramSpecs(cfg)) {
    const t = b.tensors.get(prefix + s.name);
    if (!t) throw new Error(`the weights file lacks "${s.name}" (is it for a different model width or depth?)`);
    if (t.shape.join('×') !== s.shape.join('×')) throw new Error(`"${s.name}" is ${t.shape.join('×')} in the file, the model needs ${s.shape.join('×')}`);
    weights.set(s.name, t.data);
  }
  return { config: cfg, weights, meta: b.meta };
}

// ---------------------------------------------------------------------------------------------- checkpoints

export interface CheckpointState {
  /** Epochs completed (the next epoch to run is `epoch + 1`, 1-based). */
  epoch: number;
  lr: number;
  /** The augmentation/shuffle RNG is re-seeded per epoch from (seed, epoch): this is all its state. */
  rng: { seed: number; nextEpoch: number };
  plateau: { best: number; badEpochs: number };
  best: { epoch: number; valLoss: number; valDice: number; valIou: number; blob: string | null };
  epochsWithoutImprovement: number;
  [k: string]: unknown;
}

export function encodeCheckpoint(config: UnetConfig, weights: WeightArrays, adam: AdamState, state: CheckpointState): Buffer {
  const tensors: TensorEntry[] = [];
  for (const s of paramSpecs(config)) {
    tensors.push({ name: `w/${s.name}`, shape: s.shape, data: weights.get(s.name)! });
    if (s.trainable && adam.m.has(s.name)) {
      tensors.push({ name: `adam.m/${s.name}`, shape: s.shape, data: adam.m.get(s.name)! });
      tensors.push({ name: `adam.v/${s.name}`, shape: s.shape, data: adam.v.get(s.name)! });
    }
  }
  return encodeBundle({ format: CHECKPOINT_FORMAT, version: 1, config, adamStep: adam.step, state }, tensors);
}

export function decodeCheckpoint(bytes: Uint8Array): { config: UnetConfig; weights: WeightArrays; adam: AdamState; state: CheckpointState } {
  const b = decodeBundle(bytes);
  if (b.meta.format !== CHECKPOINT_FORMAT) throw new Error('not a student training checkpoint');
  const config = b.meta.config as UnetConfig;
  const { weights } = decodeWeights(bytes, config);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const s of paramSpecs(config)) {
    const tm = b.tensors.get(`adam.m/${s.name}`);
    const tv = b.tensors.get(`adam.v/${s.name}`);
    if (tm && tv) {
      m.set(s.name, tm.data);
      v.set(s.name, tv.data);
    }
  }
  return { config, weights, adam: { step: b.meta.adamStep as number, m, v }, state: b.meta.state as CheckpointState };
}
