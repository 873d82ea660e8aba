import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { Request } from '../shared/contract';
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
    const parsed = Request.safeParse(raw);
    if (!parsed.success) return { id: -1, ok: false, error: 'refused: malformed request' };
    try {
      return { id: parsed.data.id, ok: true, output: await api.dispatch(parsed.data.name, parsed.data.input) };
    } catch (e) {
      return { id: parsed.data.id, ok: false, error: describe(e) };
    }
  });
}

export function forwardEvents(api: ApiService, target: () => WebContents | null): () => void {
  return api.onJobEvent((payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(EVENT_CHANNEL, { event: 'job', payload });
  });
}
