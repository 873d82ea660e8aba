/**
 * Decoder libraries speak of their own internals ("marker was not found", "read requests waitng on
 * finished stream", "parseDicomDataSetExplicit: buffer overrun"). A radiologist needs what was
 * expected and what was found: these say the file is damaged or cut short, and keep the library's
 * words last for whoever reports the bug.
 */
const DAMAGED_STREAM: RegExp[] = [
  /marker was not found/i,
  /unexpected marker/i,
  /unknown JPEG marker/i,
  /huffman/i,
  /read requests wait(i)?ng on finished stream/i,
  /unrecognised content at end of stream/i,
  /invalid (stored block lengths|distance|code lengths?|block type|literal\/lengths? set)/i,
  /unexpected end of (file|data)/i,
  /incorrect header check/i,
  /too far back/i,
  /crc/i,
  /structural problem/i,
  /buffer overrun/i,
  /premature end/i,
];

export type DecodedFormat = 'PNG' | 'JPEG' | 'DICOM' | 'NIfTI';

export function isDamagedStream(message: string): boolean {
  return DAMAGED_STREAM.some((r) => r.test(message));
}

/** A decoder's complaint as a message a user can act on; messages of our own pass unchanged. */
export function explainDecodeError(format: DecodedFormat, message: string): string {
  if (!isDamagedStream(message)) return message;
  return `the ${format} data is damaged or cut short: expected a complete ${format} stream, found one that stops or breaks part-way (the decoder said: ${message})`;
}
