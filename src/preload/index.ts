import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNEL, BRIDGE_GLOBAL, EVENT_CHANNEL, type BridgeEvent, type IpcBridge } from '../shared/bridge';

let nextId = 1;

const bridge: IpcBridge = {
  invoke: (name, input) => ipcRenderer.invoke(API_CHANNEL, { id: nextId++, name, input }),
  subscribe: (listener) => {
    const wrapped = (_e: unknown, message: BridgeEvent) => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
