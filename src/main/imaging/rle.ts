/**
 * DICOM RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (segment count + up to 15
 * offsets, little endian) followed by PackBits-coded segments, one per byte plane: for each sample
 * (R, G, B or the single grey sample) its bytes from most to least significant.
 *
 * Output: `bytesPerSample`-byte little-endian samples, pixel-interleaved, ready to be viewed as a
 * typed array of the stored width.
 */
export function decodeRle(
  frame: Uint8Array,
  pixelCount: number,
  samplesPerPixel: number,
  bytesPerSample: number,
): Uint8Array {
  if (frame.length < 64) throw new Error(`RLE frame too short for its header (${frame.length} bytes)`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segmentCount = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segmentCount !== expected) {
    throw new Error(`RLE frame has ${segmentCount} segments, expected ${expected}`);
  }
  const offsets: number[] = [];
  for (let i = 0; i < segmentCount; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  offsets.push(frame.length);

  const out = new Uint8Array(pixelCount * expected);
  const pixelStride = expected;
  for (let segment = 0; segment < segmentCount; segment++) {
    const start = offsets[segment]!;
    const end = Math.min(offsets[segment + 1]!, frame.length);
    if (start < 64 || start > frame.length) throw new Error(`RLE segment ${segment} starts outside the frame`);
    const sample = Math.floor(segment / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample); // segments go MSB first
    let target = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < pixelCount) {
      const header = frame[p++]!;
      if (header < 128) {
        const count = Math.min(header + 1, end - p, pixelCount - written);
        for (let i = 0; i < count; i++) {
          out[target] = frame[p + i]!;
          target += pixelStride;
        }
        p += header + 1;
        written += count;
      } else if (header > 128) {
        const value = frame[p++];
        if (value === undefined) break;
        const count = Math.min(257 - header, pixelCount - written);
        for (let i = 0; i < count; i++) {
          out[target] = value;
          target += pixelStride;
        }
        written += count;
      }
      // 128 is a no-op by definition.
    }
    if (written < pixelCount) {
      throw new Error(`RLE segment ${segment} holds ${written} of ${pixelCount} bytes`);
    }
  }
  return out;
}
