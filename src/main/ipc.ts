import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { Request, type Response } from '../shared/contract';
import type { ApiService } from './services/api';
import { describe } from './util/errors';

import { API_CHANNEL, EVENT_CHANNEL } from '../shared/bridge';

export { API_CHANNEL, EVENT_CHANNEL };

/**
 * Binds the contract to Electron IPC. Messages from any frame but the app's own are refused; every
 * message is parsed against the envelope and then the command's schema (inside `dispatch`).
 */
export function bindIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  api: ApiService,
  isTrustedSender: (e: IpcMainInvokeEvent) => boolean,
): void {
  ipcMain.handle(API_CHANNEL, async (event, raw: unknown) => {
    if (!isTrustedSender(event)) return { id: -1, ok: false, error: 'refused: message from an untrusted frame' };
    return answerRequest(api, raw);
  });
}

/**
 * The one way a message from a page (IPC or WebSocket) becomes a response: the envelope is checked
 * here, the command's input inside `dispatch`. A refused envelope still answers to its id when it
 * has a usable one, so the caller's pending promise settles; the refusal never echoes the message.
 */
export async function answerRequest(api: ApiService, raw: unknown): Promise<Response> {
  const parsed = Request.safeParse(raw);
  if (!parsed.success) return { id: idOf(raw), ok: false, error: 'refused: malformed request' };
  try {
    return { id: parsed.data.id, ok: true, output: await api.dispatch(parsed.data.name, parsed.data.input) };
  } catch (e) {
    return { id: parsed.data.id, ok: false, error: describe(e) };
  }
}

function idOf(raw: unknown): number {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : -1;
}

export function forwardEvents(api: ApiService, target: () => WebContents | null): () => void {
  return api.onJobEvent((payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(EVENT_CHANNEL, { event: 'job', payload });
  });
}
