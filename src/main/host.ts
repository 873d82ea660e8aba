import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Response } from '../shared/contract';
import { ApiService } from './services/api';
import { answerRequest } from './ipc';
import {
  CONTENT_SECURITY_POLICY,
  cookieValue,
  loopbackHostAllowed,
  loopbackOriginAllowed,
  tokenCookieName,
  tokenMatches,
} from './security';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** The largest message a page may send: a mask data URL of the contract's 16 MB limit plus its envelope. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** A page that stops reading its socket is dropped once this much is queued for it, before the host's memory pays. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export interface LoopbackHost {
  url: string;
  port: number;
  token: string;
  api: ApiService;
  close(): Promise<void>;
}

/**
 * The contract over a WebSocket on 127.0.0.1 only, plus the built renderer, for browsers (tests,
 * machines without Electron). Every request — API or static file — must name this host as
 * 127.0.0.1:<port> or localhost:<port> and carry the random token printed at start; API connections
 * must also come from this host's own origin. Anything a page sends is answered or refused for that
 * request or connection alone: nothing it sends may end the host.
 */
export async function startLoopbackHost(opts: { workspace?: string; rendererDir: string; port?: number }): Promise<LoopbackHost> {
  const rendererDir = resolve(opts.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(rendererDir, 'index.html')} missing): run "npm run build" first`);
  }
  const token = randomBytes(24).toString('hex');
  const api = new ApiService('websocket');
  if (opts.workspace) api.openWorkspace(opts.workspace);

  const server: Server = createServer((req, res) => {
    try {
      serveStatic(req, res, rendererDir, token, port());
    } catch {
      // Never a stack trace to the page; the request fails, the host goes on.
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    // A peer that resets mid-handshake must not become an unhandled 'error' on the host.
    socket.on('error', () => socket.destroy());
    if (!authorisedUpgrade(req, token, port())) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, api));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port()}/?token=${token}`,
    port: port(),
    token,
    api,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((ok) => server.close(() => ok()));
      api.close();
    },
  };
}

/**
 * The built renderer. The page URL carries the token; a valid one sets a cookie (HttpOnly,
 * SameSite=Strict, named by port) so the page's own scripts, styles and WASM load without it.
 */
function serveStatic(req: IncomingMessage, res: ServerResponse, rendererDir: string, token: string, port: number): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
  if (!loopbackHostAllowed(req.headers.host, port)) return plain(res, 403, `refused: this host answers to 127.0.0.1:${port} only`);
  const url = requestUrl(req.url);
  if (!url) return plain(res, 400, 'malformed URL');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return plain(res, 400, 'malformed URL');
  }
  if (path.includes('\0')) return plain(res, 400, 'malformed URL');
  const fromQuery = tokenMatches(url.searchParams.get('token'), token);
  if (!fromQuery && !tokenMatches(cookieValue(req.headers.cookie, tokenCookieName(port)), token)) {
    return plain(res, 403, 'refused: open the URL that "apprentice serve" printed (it carries the token)');
  }
  const file = normalize(join(rendererDir, path === '/' ? 'index.html' : path));
  if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) return plain(res, 404, 'not found');
  const body = readFileSync(file);
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...(fromQuery ? { 'set-cookie': `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict` } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The request target as a URL, or null when it is not one (e.g. "http://[::1"). */
function requestUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(body);
}

function authorisedUpgrade(req: IncomingMessage, token: string, port: number): boolean {
  const url = requestUrl(req.url);
  return (
    url !== null &&
    url.pathname === '/api' &&
    tokenMatches(url.searchParams.get('token'), token) &&
    loopbackHostAllowed(req.headers.host, port) &&
    loopbackOriginAllowed(req.headers.origin, port)
  );
}

function serveConnection(ws: WebSocket, api: ApiService): void {
  const send = (text: string) => {
    if (ws.bufferedAmount > MAX_QUEUED_BYTES) ws.terminate();
    else ws.send(text);
  };
  const unsubscribe = api.onJobEvent((e) => send(JSON.stringify({ event: 'job', payload: e })));
  ws.on('close', unsubscribe);
  // Invalid UTF-8 or a message over the limit: ws has already begun closing this connection with
  // 1007/1009; listening is what keeps the error from ending the host.
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      raw = undefined;
    }
    void answerRequest(api, raw).then((response) => send(serialise(response)));
  });
}

/** A response the contract cannot carry (e.g. a cycle in an output) becomes an error for that request. */
function serialise(response: Response): string {
  try {
    return JSON.stringify(response);
  } catch {
    return JSON.stringify({ id: response.id, ok: false, error: 'internal error: the answer could not be encoded' });
  }
}
