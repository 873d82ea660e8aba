import type { Rgb } from '../imaging/raster';
import type { Device } from '../onnx/device';
import type { EncodedImage, EncoderSpec } from './encode-image';

/** One image to encode, posted to the encoder thread with its pixels handed over. */
export interface EncoderRequest {
  id: number;
  spec: EncoderSpec;
  device: Device;
  rgb: Rgb;
}

export type EncoderReply = { id: number; ok: true; result: EncodedImage } | { id: number; ok: false; error: { name: string; message: string } };

/** The array itself when it spans its whole buffer (which can then be handed over), else a copy that does. */
export function ownBuffer<T extends Float32Array | Uint8Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : (a.slice() as T);
}
