import type { DecodeOp, DecodeOptions } from './decode-for-import';

/** One file's bytes to decode; the decode process answers every request with one reply of the same id. */
export interface DecodeRequest {
  id: number;
  op: DecodeOp;
  bytes: Uint8Array;
  /** What the op reads besides the bytes (the SEG threshold), when it takes any. */
  options?: DecodeOptions;
}

export type DecodeReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/**
 * Lets a test make the decode process abort, hang or exhaust its heap on a marked file, the way a
 * native codec bug would; read only when APPRENTICE_DECODE_TEST_HOOKS=1 is in its environment.
 */
export const TEST_HOOKS_ENV = 'APPRENTICE_DECODE_TEST_HOOKS';
export const TEST_HOOK_MARKERS = {
  abort: 'apprentice-decode-test:abort',
  hang: 'apprentice-decode-test:hang',
  oom: 'apprentice-decode-test:oom',
} as const;
