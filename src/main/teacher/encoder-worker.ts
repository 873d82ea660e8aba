/**
 * The teacher's encoder thread (started by encoder-thread.ts). onnxruntime-node runs a session on
 * the calling JavaScript thread, so a SAM encoder run — seconds for ViT-B/H on a workstation CPU —
 * would stop the app's main process for that long: no IPC answered, no progress shown, a prompt
 * queued behind background precomputation. Here it runs beside it instead. Its sessions live as
 * long as the thread: releaseTeacherSessions ends it.
 */
import { parentPort } from 'node:worker_threads';
import { createSession, type DeviceSession } from '../onnx/device';
import { encodeImage } from './encode-image';
import { ownBuffer, type EncodeRequest, type EncoderReply, type EncoderRequest } from './encoder-protocol';
import { TeacherModelError } from './teacher-error';

if (!parentPort) throw new Error('encoder-worker.ts runs as a worker thread (encoder-thread.ts starts it)');
const port = parentPort;

/** Open sessions by file and device: a workspace's teacher is asked again and again. */
const sessions = new Map<string, Promise<DeviceSession>>();

function sessionFor(path: string, device: EncodeRequest['device']): Promise<DeviceSession> {
  const key = `${path}\n${device}`;
  let s = sessions.get(key);
  if (!s) {
    s = createSession(path, device);
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

port.on('message', (m: EncoderRequest) => {
  void (async () => {
    let reply: EncoderReply;
    const transfer: ArrayBuffer[] = [];
    try {
      if (m.kind === 'graph') {
        // Opened on the CPU for its metadata alone, and closed: a large encoder takes seconds to load.
        const { session } = await createSession(m.path, 'cpu');
        try {
          reply = { id: m.id, ok: true, result: { inputs: session.inputMetadata, outputs: session.outputMetadata } };
        } finally {
          await session.release();
        }
      } else {
        const r = await encodeImage(await sessionFor(m.spec.path, m.device), m.spec, m.rgb);
        // Handed over, not copied: a buffer of its own (an output may be a view of a larger one).
        const data = ownBuffer(r.data);
        transfer.push(data.buffer as ArrayBuffer);
        reply = { id: m.id, ok: true, result: { ...r, data } };
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      reply = { id: m.id, ok: false, error: { teacherModel: error instanceof TeacherModelError, message: error.message } };
    }
    port.postMessage(reply, transfer);
  })();
});
