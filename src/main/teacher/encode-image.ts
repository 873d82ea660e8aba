import type { Frame } from '../imaging/geometry/frames';
import type { Rgb } from '../imaging/raster';
import type { DeviceSession, ResolvedDevice } from '../onnx/device';
import { loadOrt } from '../onnx/runtime';
import type { TeacherFamily } from './families';
import { tensorFloat32, toHalf } from './half';
import type { EncoderInterface, LayoutId } from './layouts';
import { preprocessForLayout, withInputArena } from './preprocess';
import { TeacherModelError } from './teacher-error';

/** What the encoder needs to know of a teacher model: plain data, so it can cross to the encoder thread. */
export interface EncoderSpec {
  modelId: number;
  /** The encoder file as the app runs it (teacherPartPath: checked against its SHA-256). */
  path: string;
  family: TeacherFamily;
  layout: LayoutId;
  encoder: EncoderInterface;
}

export interface EncodedImage {
  /** Every output the decoder needs, concatenated in the interface's order (embeddingParts splits them). */
  data: Float32Array;
  dims: number[];
  /** The frame the encoder saw the image in. */
  frame: Frame;
  device: ResolvedDevice;
  notes: string[];
  /** The session run alone. */
  runMs: number;
}

/** An image through the teacher's encoder: its preprocessing into the pooled input arena, the run, the outputs. */
export async function encodeImage(enc: DeviceSession, spec: EncoderSpec, rgb: Rgb): Promise<EncodedImage> {
  const iface = spec.encoder;
  // The arena is free again once the run is over (onnxruntime keeps no reference to feeds).
  return withInputArena(async (arena) => {
    const input = preprocessForLayout(rgb, spec.layout, spec.family, iface, arena);
    const ort = await loadOrt();
    const tensor =
      input.type === 'uint8'
        ? new ort.Tensor('uint8', input.data as Uint8Array, input.dims)
        : iface.inputType === 'float16'
          ? new ort.Tensor('float16', toHalf(input.data as Float32Array), input.dims)
          : new ort.Tensor('float32', input.data as Float32Array, input.dims);
    const t0 = performance.now();
    const out = await enc.session.run({ [iface.input]: tensor });
    const runMs = performance.now() - t0;
    // Every output the decoder needs (SAM: the embedding; transformers: its positional embedding
    // too) is cached, concatenated in the interface's order.
    const names = (iface.outputs ?? [{ name: iface.output }]).map((o) => o.name);
    const missing = names.filter((n) => !out[n]);
    if (missing.length) throw new TeacherModelError(`teacher model ${spec.modelId}: the encoder gave no ${missing.join(', ')} output`);
    const done = { frame: input.frame, device: enc.device, notes: enc.notes, runMs };
    // fp16 encoders answer in float16; the cache holds float32
    if (names.length === 1) return { ...done, data: tensorFloat32(out[names[0]!]!), dims: [...out[names[0]!]!.dims] };
    const parts = names.map((n) => tensorFloat32(out[n]!));
    const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { ...done, data, dims: [data.length] };
  });
}
