import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES, startLoopbackHost, type LoopbackHost } from '../../src/main/host';
import { answerRequest, bindIpc } from '../../src/main/ipc';
import { Workspace } from '../../src/main/workspace/workspace';
import type { ImportResult, JobEvent, Response } from '../../src/shared/contract';
import { REPO, tempDir } from '../helpers/data';

/** Bytes a file the user never chose as an image might hold; no answer may contain them. */
const SECRET = 'root:*:19000:SECRET-7f3a';

/** One raw HTTP/1.1 request, byte for byte as given (fetch would normalise a malformed target). */
function rawRequest(port: number, head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((ok, fail) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => {
      const [headers = '', body = ''] = text.split('\r\n\r\n');
      ok({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1] ?? 0), headers, body });
    });
    socket.on('error', fail);
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => ok(ws));
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', fail);
  });
}

/** Sends one raw message and resolves with the next response (job events are skipped). */
function exchange(ws: WebSocket, message: string | Buffer): Promise<Response> {
  return new Promise((ok) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as Response | { event: string };
      if ('event' in msg) return;
      ws.off('message', onMessage);
      ok(msg);
    };
    ws.on('message', onMessage);
    ws.send(message);
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((ok) => ws.once('close', (code) => ok(code)));
}

describe('the loopback host survives what a local page can send', () => {
  let host: LoopbackHost;
  let dir: string;
  let api: string;
  const live = async () => {
    const ws = await open(api);
    const r = await exchange(ws, JSON.stringify({ id: 1, name: 'app.info', input: {} }));
    ws.close();
    return r.ok;
  };

  beforeAll(async () => {
    dir = tempDir('host-hostile');
    const wsPath = join(dir, 'ws');
    Workspace.open(wsPath, { create: true }).close();
    host = await startLoopbackHost({ workspace: wsPath, rendererDir: join(REPO, 'out/renderer') });
    api = `ws://127.0.0.1:${host.port}/api?token=${host.token}`;
  });
  afterAll(() => host.close());

  it('answers malformed URLs with 400, never a crash or a stack', async () => {
    const at = `Host: 127.0.0.1:${host.port}`;
    for (const target of ['/%', '/%E0%A4%A', `/%?token=${host.token}`, '/%00', `/assets/%00.js?token=${host.token}`, 'http://[::1']) {
      const res = await rawRequest(host.port, `GET ${target} HTTP/1.1\r\n${at}`);
      expect(res.status, target).toBe(400);
      expect(res.body).toBe('malformed URL');
    }
    expect(await live()).toBe(true);
  });

  it('serves its files only to requests that name it as 127.0.0.1 or localhost (DNS rebinding)', async () => {
    const page = `GET /?token=${host.token} HTTP/1.1`;
    expect((await rawRequest(host.port, `${page}\r\nHost: evil.example:${host.port}`)).status).toBe(403);
    expect((await rawRequest(host.port, `${page}\r\nHost: 127.0.0.1:${host.port + 1}`)).status).toBe(403);
    expect((await rawRequest(host.port, `GET /?token=${host.token} HTTP/1.0`)).status).toBe(403); // no Host at all
    expect((await rawRequest(host.port, `${page}\r\nHost: localhost:${host.port}`)).status).toBe(200);
    expect((await rawRequest(host.port, `${page}\r\nHost: 127.0.0.1:${host.port}`)).status).toBe(200);
  });

  it('asks for the token on static files: the page URL carries it, a port-scoped HttpOnly cookie the rest', async () => {
    const base = `http://127.0.0.1:${host.port}`;
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/?token=${'0'.repeat(48)}`)).status).toBe(403);
    const page = await fetch(`${base}/?token=${host.token}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^apprentice_token_${host.port}=${host.token}; `));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(await page.text())![1]!;
    expect((await fetch(`${base}/${script}`)).status).toBe(403);
    expect((await fetch(`${base}/${script}`, { headers: { cookie: `apprentice_token_${host.port + 1}=${host.token}` } })).status).toBe(403);
    const withCookie = await fetch(`${base}/${script}`, { headers: { cookie: `other=1; ${cookie.split(';')[0]}` } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${base}/${script}`, { method: 'POST', headers: { cookie: cookie.split(';')[0]! } })).status).toBe(405);
  });

  it('refuses API connections that name another host, and accepts the localhost origin', async () => {
    await expect(open(api, { host: `evil.example:${host.port}` })).rejects.toThrow(/403/);
    await expect(open(`ws://127.0.0.1:${host.port}/api?token=%`)).rejects.toThrow(/403/);
    const ws = await open(api, { origin: `http://localhost:${host.port}` });
    expect((await exchange(ws, JSON.stringify({ id: 3, name: 'app.info', input: {} }))).ok).toBe(true);
    ws.close();
  });

  it('closes only the connection that sends invalid UTF-8 or a message over the limit', async () => {
    const bad = await open(api);
    const badClosed = closed(bad);
    bad.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await badClosed).toBe(1007);

    const bystander = await open(api);
    const big = await open(api);
    const bigClosed = closed(big);
    big.send(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), { binary: false });
    expect(await bigClosed).toBe(1009);
    expect((await exchange(bystander, JSON.stringify({ id: 4, name: 'workspace.status', input: {} }))).ok).toBe(true);
    bystander.close();
    expect(await live()).toBe(true);
  });

  it('validates every message: not JSON, wrong types, unknown commands, huge inputs, deep nesting', async () => {
    const ws = await open(api);
    const refused = { ok: false, error: 'refused: malformed request' };
    expect(await exchange(ws, `{"id": 1, "name": "app.info", ${SECRET}`)).toEqual({ id: -1, ...refused });
    expect(await exchange(ws, Buffer.from([0x00, 0x01, 0x02]))).toEqual({ id: -1, ...refused });
    expect(await exchange(ws, 'null')).toEqual({ id: -1, ...refused });
    expect(await exchange(ws, '[1, "app.info", {}]')).toEqual({ id: -1, ...refused });
    expect(await exchange(ws, JSON.stringify({ id: '5', name: 'app.info', input: {} }))).toEqual({ id: -1, ...refused });
    expect(await exchange(ws, JSON.stringify({ id: 1.5, name: 'app.info', input: {} }))).toEqual({ id: -1, ...refused });
    // A usable id gets its refusal back, so the caller's pending request settles.
    expect(await exchange(ws, JSON.stringify({ id: 6, name: 42, input: {} }))).toEqual({ id: 6, ...refused });
    expect(await exchange(ws, JSON.stringify({ id: 7, name: 'x'.repeat(1_000_000), input: {} }))).toEqual({ id: 7, ...refused });

    const invalid = await exchange(ws, JSON.stringify({ id: 8, name: 'split.assign', input: { imageIds: Array.from({ length: 100_001 }, (_, i) => i + 1), subset: 'val' } }));
    expect(invalid).toMatchObject({ id: 8, ok: false });
    expect(invalid.ok === false && invalid.error).toMatch(/^invalid input for split.assign: imageIds /);
    const limit = await exchange(ws, JSON.stringify({ id: 9, name: 'images.list', input: { limit: 1e12 } }));
    expect(limit.ok === false && limit.error).toMatch(/^invalid input for images.list: limit /);
    const typed = await exchange(ws, JSON.stringify({ id: 10, name: 'images.list', input: 'all of them' }));
    expect(typed.ok === false && typed.error).toMatch(/^invalid input for images.list: \(input\) /);

    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const nested = await exchange(ws, `{"id": 11, "name": "workspace.status", "input": {"x": ${deep}}}`);
    expect(nested.id === 11 || nested.id === -1).toBe(true); // answered either way: refused or the extra key stripped
    expect(JSON.stringify(nested)).not.toMatch(/call stack/i);
    ws.close();
    expect(await live()).toBe(true);
  });

  it('cannot reach prototypes: inherited names are unknown commands, __proto__ keys change nothing', async () => {
    const ws = await open(api);
    let id = 20;
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      expect(await exchange(ws, JSON.stringify({ id: ++id, name, input: {} }))).toEqual({ id, ok: false, error: `unknown command: ${name}` });
    }
    const polluting = `{"__proto__": {"polluted": "yes", "limit": 0}, "constructor": {"prototype": {"polluted": "yes"}}}`;
    const list = await exchange(ws, `{"id": 30, "name": "images.list", "input": ${polluting}}`);
    expect(list).toMatchObject({ id: 30, ok: true, output: { images: [], total: 0 } });
    const status = await exchange(ws, `{"id": 31, "name": "workspace.status", "input": ${polluting}, "__proto__": {"name": "doctor"}}`);
    expect(status).toMatchObject({ id: 31, ok: true, output: { images: 0 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    ws.close();
  });

  it('never echoes the bytes of a file the user did not choose as an image', async () => {
    const secretFile = join(dir, 'shadow');
    writeFileSync(secretFile, `${SECRET}:::\ndaemon:*:19000:0:99999:7:::\n`);
    const ws = await open(api);
    const asModel = await exchange(ws, JSON.stringify({ id: 40, name: 'models.add', input: { encoder: secretFile, decoder: secretFile, family: 'mobilesam' } }));
    expect(asModel).toMatchObject({ id: 40, ok: false });
    expect(asModel.ok === false && asModel.error).toContain(secretFile); // it names the file…
    expect(JSON.stringify(asModel)).not.toContain('SECRET'); // …never what it holds
    expect(JSON.stringify(asModel)).not.toContain('root:');

    const asWorkspace = await exchange(ws, JSON.stringify({ id: 41, name: 'workspace.open', input: { path: secretFile } }));
    expect(asWorkspace.ok).toBe(false);
    expect(JSON.stringify(asWorkspace)).not.toContain('SECRET');
    // The host's own workspace is still the one served.
    await exchange(ws, JSON.stringify({ id: 42, name: 'workspace.open', input: { path: join(dir, 'ws') } }));

    const images = join(dir, 'images');
    mkdirSync(images);
    for (const name of ['shadow.png', 'shadow.jpg', 'shadow.dcm', 'shadow.tif']) writeFileSync(join(images, name), `${SECRET}\n`.repeat(50));
    // A DICOM preamble and magic, then text where the data elements should be.
    writeFileSync(join(images, 'shadow-p10.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(`${SECRET}\n`.repeat(50))]));
    const done = new Promise<JobEvent>((ok) =>
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { event?: string; payload?: JobEvent };
        if (msg.event === 'job' && (msg.payload!.type === 'done' || msg.payload!.type === 'failed')) ok(msg.payload!);
      }),
    );
    expect(await exchange(ws, JSON.stringify({ id: 43, name: 'import.start', input: { paths: [images], masks: images } }))).toMatchObject({ ok: true });
    const outcome = await done;
    expect(outcome).toMatchObject({ type: 'done', result: { imported: 0 } });
    const failed = outcome.type === 'done' ? (outcome.result as ImportResult).failed : [];
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(outcome)).not.toContain('SECRET');
    ws.close();
  });
});

describe('the Electron IPC binding refuses hostile messages without throwing', () => {
  it('answers every shape of message, and only the app frame', async () => {
    let handler: ((event: unknown, raw: unknown) => Promise<unknown>) | null = null;
    const ipcMain = { handle: (_channel: string, h: typeof handler) => void (handler = h) };
    const calls: string[] = [];
    const api = { dispatch: async (name: string) => (calls.push(name), { name }) };
    bindIpc(ipcMain as never, api as never, (e) => (e as unknown as { trusted: boolean }).trusted);

    expect(await handler!({ trusted: false }, { id: 1, name: 'app.info', input: {} })).toEqual({
      id: -1,
      ok: false,
      error: 'refused: message from an untrusted frame',
    });
    for (const raw of [undefined, null, 'app.info', 7, [], { id: '1', name: 'app.info' }, JSON.parse('{"__proto__": {"id": 1, "name": "app.info"}}')]) {
      expect(await handler!({ trusted: true }, raw)).toEqual({ id: -1, ok: false, error: 'refused: malformed request' });
    }
    expect(await handler!({ trusted: true }, { id: 1 })).toEqual({ id: 1, ok: false, error: 'refused: malformed request' });
    expect(await handler!({ trusted: true }, { id: 2, name: 'x'.repeat(65), input: {} })).toEqual({ id: 2, ok: false, error: 'refused: malformed request' });
    expect(calls).toEqual([]);
    expect(await handler!({ trusted: true }, { id: 3, name: 'app.info', input: {} })).toEqual({ id: 3, ok: true, output: { name: 'app.info' } });
    expect(await answerRequest({ dispatch: async () => Promise.reject(new Error('no image with id 9')) } as never, { id: 4, name: 'images.get', input: { id: 9 } })).toEqual({
      id: 4,
      ok: false,
      error: 'no image with id 9',
    });
  });
});
