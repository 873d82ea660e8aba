import type { Rgb } from '../imaging/raster';
import type { Device } from '../onnx/device';
import type { Ort } from '../onnx/runtime';
import type { EncodedImage, EncoderSpec } from './encode-image';

/** One image to encode, posted to the encoder thread with its pixels handed over. */
export interface EncodeRequest {
  id: number;
  kind: 'encode';
  spec: EncoderSpec;
  device: Device;
  rgb: Rgb;
}

/** An encoder file's inputs and outputs as onnxruntime reads them (installing a model checks them). */
export interface GraphRequest {
  id: number;
  kind: 'graph';
  path: string;
}

export type EncoderRequest = EncodeRequest | GraphRequest;

/** onnxruntime's value metadata, as plain data. */
export interface RawGraph {
  inputs: readonly Ort.InferenceSession.ValueMetadata[];
  outputs: readonly Ort.InferenceSession.ValueMetadata[];
}

export type EncoderReply =
  | { id: number; ok: true; result: EncodedImage | RawGraph }
  | { id: number; ok: false; error: { teacherModel: boolean; message: string } };

/** The array itself when it spans its whole buffer (which can then be handed over), else a copy that does. */
export function ownBuffer<T extends Float32Array | Uint8Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : (a.slice() as T);
}
