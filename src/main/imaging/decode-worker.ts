import { describe } from '../util/errors';
import { DECODE_OPS } from './decode-for-import';
import { TEST_HOOK_MARKERS, TEST_HOOKS_ENV, type DecodeReply, type DecodeRequest } from './decode-protocol';

/**
 * The decode process: PNG, JPEG and DICOM codecs (some native or WASM) run here, apart from the
 * importing process, so a codec that aborts, loops or exhausts the heap costs one file, not the
 * import or the host. It is started by decode-client.ts (electron-vite's `decode-worker` entry) and
 * decodes one request at a time.
 */

const send = process.send?.bind(process);
if (!send) throw new Error('the decode process must be started by the app (no parent channel)');

// The importing process is gone (ended, killed): nothing will ask again.
process.on('disconnect', () => process.exit(0));
process.on('message', (m: DecodeRequest) => void handle(m));

async function handle(m: DecodeRequest): Promise<void> {
  let reply: DecodeReply;
  try {
    if (process.env[TEST_HOOKS_ENV] === '1') misbehaveIfMarked(m.bytes);
    reply = { id: m.id, ok: true, value: await DECODE_OPS[m.op](m.bytes, m.options ?? {}) };
  } catch (e) {
    reply = { id: m.id, ok: false, error: describe(e) };
  }
  send!(reply);
}

function misbehaveIfMarked(bytes: Uint8Array): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (text.includes(TEST_HOOK_MARKERS.abort)) process.abort();
  if (text.includes(TEST_HOOK_MARKERS.hang)) for (;;);
  if (text.includes(TEST_HOOK_MARKERS.oom)) {
    const hoard: number[][] = [];
    for (;;) hoard.push(Array.from({ length: 1e5 }, (_, i) => i + 0.5));
  }
}
