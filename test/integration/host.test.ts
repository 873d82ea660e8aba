import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLoopbackHost, type LoopbackHost } from '../../src/main/host';
import { Workspace } from '../../src/main/workspace/workspace';
import { REPO, tempDir } from '../helpers/data';

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => ok(ws));
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', fail);
  });
}

function call(
  ws: WebSocket,
  id: number,
  name: string,
  input: unknown,
): Promise<{ id: number; ok: boolean; output?: unknown; error?: string }> {
  return new Promise((ok) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === id) {
        ws.off('message', onMessage);
        ok(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, name, input }));
  });
}

describe('loopback host', () => {
  let host: LoopbackHost;
  let wsPath: string;
  beforeAll(async () => {
    wsPath = join(tempDir('host'), 'ws');
    Workspace.open(wsPath, { create: true }).close();
    host = await startLoopbackHost({ workspace: wsPath, rendererDir: join(REPO, 'out/renderer') });
  });
  afterAll(() => host.close());

  it('binds 127.0.0.1 only and prints a URL with its token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses API connections without the token, with a wrong token, or from another origin', async () => {
    const base = `ws://127.0.0.1:${host.port}/api`;
    await expect(connect(base)).rejects.toThrow(/403/);
    await expect(connect(`${base}?token=${'0'.repeat(48)}`)).rejects.toThrow(/403/);
    await expect(connect(`${base}?token=${host.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('serves the contract with the token and validates every message', async () => {
    const ws = await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    const info = await call(ws, 1, 'app.info', {});
    expect(info.ok).toBe(true);
    expect(info.output).toMatchObject({ transport: 'websocket', workspace: wsPath });
    const status = await call(ws, 2, 'workspace.status', {});
    expect(status.output).toMatchObject({ images: 0, masks: 0 });
    const bad = await call(ws, 3, 'images.get', { id: 'one' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/invalid input for images.get: id/);
    const unknown = await call(ws, 4, 'fs.readFile', { path: '/etc/passwd' });
    expect(unknown).toMatchObject({ ok: false, error: 'unknown command: fs.readFile' });
    const missing = await call(ws, 5, 'images.get', { id: 99 });
    expect(missing.error).toMatch(/no image with id 99/);
    ws.close();
  });

  it('serves the built renderer with a strict CSP and nothing outside it', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const escape = await fetch(`http://127.0.0.1:${host.port}/..%2f..%2fpackage.json?token=${host.token}`);
    expect(escape.status).toBe(404);
  });
});
