import { JobRequest } from '../../shared/contract';
import { describeForApp } from '../util/errors';
import { runJobRequest } from './training-jobs';
import type { FromWorker, ToWorker } from './worker-protocol';

/**
 * The job worker: a process of its own (Electron's utilityProcess in the app, a forked Node under
 * `serve`), so minutes of CPU-bound training never share the event loop of a window or host. It
 * receives one validated request as JSON, reports progress, and ends with one `done` or `failed`.
 * Cancel (a message, or SIGINT/SIGTERM) aborts the work, which checkpoints and stops as in the CLI.
 */

interface Channel {
  send(m: FromWorker): void;
  onMessage(listener: (m: ToWorker) => void): void;
  /** Sends the last message and ends the process once it has left (native sessions may hold it open). */
  finish(m: FromWorker, code: number): void;
}

function parentChannel(): Channel {
  const port = (process as NodeJS.Process & { parentPort?: Electron.ParentPort }).parentPort;
  if (port)
    return {
      send: (m) => port.postMessage(m),
      onMessage: (l) => port.on('message', (e) => l(e.data as ToWorker)),
      finish: (m, code) => {
        port.postMessage(m);
        setTimeout(() => process.exit(code), 50);
      },
    };
  const send = process.send?.bind(process);
  if (send)
    return {
      send: (m) => send(m),
      onMessage: (l) => process.on('message', (m) => l(m as ToWorker)),
      finish: (m, code) => send(m, undefined, {}, () => process.exit(code)),
    };
  throw new Error('the job worker must be started by the app (no parent channel)');
}

const channel = parentChannel();
const controller = new AbortController();
let started = false;

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => controller.abort());

channel.onMessage((m) => {
  if (m.type === 'cancel') controller.abort();
  else if (m.type === 'start' && !started) {
    started = true;
    void run(m.request);
  }
});

async function run(raw: unknown): Promise<void> {
  let reply: FromWorker;
  try {
    const request = JobRequest.parse(raw);
    const result = await runJobRequest(request, {
      signal: controller.signal,
      onProgress: (progress) => channel.send({ type: 'progress', progress }),
    });
    reply = { type: 'done', result };
  } catch (e) {
    // The worker serves the app only: remedies name the app's tabs and buttons.
    reply = { type: 'failed', error: controller.signal.aborted ? 'cancelled' : describeForApp(e) };
  }
  channel.finish(reply, reply.type === 'done' ? 0 : 1);
}
