// Stored DICOM pixel types, shared by the main process (storage) and the renderer (viewer), so a
// dtype name always means the same typed array on both sides.
export type PixelDType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';
export type TypedPixels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

export const PIXEL_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
} as const;

/** Little-endian raw bytes → typed array (copying, so alignment never matters). */
export function typedFromBytes(dtype: PixelDType, bytes: Uint8Array): TypedPixels {
  const Ctor = PIXEL_ARRAYS[dtype];
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
}
