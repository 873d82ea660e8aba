import { contextBridge, ipcRenderer } from 'electron';

// The whole bridge: one invoke channel for commands, one for events. The main process validates
// every message against the contract; nothing of Node or Electron reaches the page.
const API_CHANNEL = 'apprentice:api';
const EVENT_CHANNEL = 'apprentice:event';
let nextId = 1;

contextBridge.exposeInMainWorld('apprenticeIpc', {
  invoke: (name: string, input: unknown) => ipcRenderer.invoke(API_CHANNEL, { id: nextId++, name, input }),
  subscribe: (listener: (message: { event: string; payload: unknown }) => void) => {
    const wrapped = (_e: unknown, message: { event: string; payload: unknown }) => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
  },
});
