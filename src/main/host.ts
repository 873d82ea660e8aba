import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { Request, type Response } from '../shared/contract';
import { ApiService } from './services/api';
import { CONTENT_SECURITY_POLICY } from './security';
import { describe } from './util/errors';

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

export interface LoopbackHost {
  url: string;
  port: number;
  token: string;
  api: ApiService;
  close(): Promise<void>;
}

/**
 * The contract over a WebSocket on 127.0.0.1 only, plus the built renderer, for browsers (tests,
 * machines without Electron). Every API connection must carry the random token printed at start and
 * come from this host's own origin; anything else is refused before the contract sees it.
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
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(rendererDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    if (!authorised(req, token, port())) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
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

function authorised(req: IncomingMessage, token: string, port: number): boolean {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== '/api') return false;
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return false;
  // A browser always sends Origin: only pages this host served may connect (no DNS rebinding, no other sites).
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://127.0.0.1:${port}`) return false;
  return true;
}

function serveConnection(ws: WebSocket, api: ApiService): void {
  const unsubscribe = api.onJobEvent((e) => ws.send(JSON.stringify({ event: 'job', payload: e })));
  ws.on('close', unsubscribe);
  ws.on('message', async (data) => {
    let id = -1;
    let response: Response;
    try {
      const req = Request.parse(JSON.parse(data.toString()));
      id = req.id;
      response = { id, ok: true, output: await api.dispatch(req.name, req.input) };
    } catch (e) {
      response = { id, ok: false, error: describe(e) };
    }
    ws.send(JSON.stringify(response));
  });
}
