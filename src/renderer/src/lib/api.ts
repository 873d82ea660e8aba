import type { ApprenticeApi, CommandInput, CommandName, CommandOutput, EventName, EventPayload, Response } from '../../../shared/contract';
import type { BridgeEvent } from '../../../shared/bridge';

type Listener = (payload: unknown) => void;

/** Electron IPC through the preload when present, else the loopback WebSocket named by the page URL. */
export function connectApi(): ApprenticeApi {
  const listeners = new Map<string, Set<Listener>>();
  const deliver = (m: BridgeEvent) => listeners.get(m.event)?.forEach((l) => l(m.payload));
  const on = <K extends EventName>(name: K, listener: (p: EventPayload<K>) => void) => {
    if (!listeners.has(name)) listeners.set(name, new Set());
    listeners.get(name)!.add(listener as Listener);
    return () => void listeners.get(name)!.delete(listener as Listener);
  };
  const unwrap = (r: Response) => {
    if (!r.ok) throw new Error(r.error);
    return r.output;
  };

  const bridge = window.apprenticeIpc;
  if (bridge) {
    bridge.subscribe(deliver);
    return {
      call: async <K extends CommandName>(name: K, input: CommandInput<K>) => unwrap(await bridge.invoke(name, input)) as CommandOutput<K>,
      on,
    };
  }

  const token = new URLSearchParams(location.search).get('token') ?? '';
  const socket = new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`);
  const opened = new Promise<void>((ok, fail) => {
    socket.addEventListener('open', () => ok());
    socket.addEventListener('error', () => fail(new Error('cannot reach the Apprentice host (wrong or missing token?)')));
  });
  const pending = new Map<number, (r: Response) => void>();
  let nextId = 1;
  socket.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as Response | BridgeEvent;
    if ('event' in msg) deliver(msg);
    else pending.get(msg.id)?.(msg);
  });
  return {
    call: async <K extends CommandName>(name: K, input: CommandInput<K>) => {
      await opened;
      const id = nextId++;
      const response = await new Promise<Response>((ok) => {
        pending.set(id, ok);
        socket.send(JSON.stringify({ id, name, input }));
      });
      pending.delete(id);
      return unwrap(response) as CommandOutput<K>;
    },
    on,
  };
}

export const api = connectApi();
