/**
 * The only error type the DICOM decoder lets escape: callers can show `message` to the user as-is,
 * and anything else escaping would be a bug in the decoder rather than a property of the file.
 */
export class DicomError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DicomError';
  }
}

/** A readable reason from whatever a parser or codec threw (strings, objects, numbers, Errors). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (thrown && typeof thrown === 'object') {
    // dicom-parser throws { exception, dataSet } when it gives up part-way through a data set.
    const inner = (thrown as { exception?: unknown }).exception;
    if (inner !== undefined) return describeThrown(inner);
    const message = (thrown as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(thrown);
}
