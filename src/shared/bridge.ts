import type { Response } from './contract';

/**
 * The window bridge: all the preload exposes to the page. One invoke channel for commands, one for
 * events; the main process validates every message against the contract, so nothing of Node or
 * Electron reaches the page. The preload implements this type and the renderer's api.ts consumes it.
 */
export const API_CHANNEL = 'apprentice:api';
export const EVENT_CHANNEL = 'apprentice:event';
/** The global the preload defines; absent under `apprentice serve`, where the page uses the WebSocket. */
export const BRIDGE_GLOBAL = 'apprenticeIpc';

export interface BridgeEvent {
  event: string;
  payload: unknown;
}

export interface IpcBridge {
  invoke(name: string, input: unknown): Promise<Response>;
  subscribe(listener: (message: BridgeEvent) => void): () => void;
}

declare global {
  interface Window {
    apprenticeIpc?: IpcBridge;
  }
}
