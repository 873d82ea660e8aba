import { describe, expect, it } from 'vitest';
import { API_CHANNEL, bindIpc } from '../../src/main/ipc';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security';
import { ApiService } from '../../src/main/services/api';
import { isAllowedUrl, windowOptions } from '../../src/main/window-options';

describe('Electron window options (the window cannot open here)', () => {
  it('keeps the renderer isolated and sandboxed without Node', () => {
    const o = windowOptions('/app/out/preload/index.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('allows only the app itself to load', () => {
    expect(isAllowedUrl('file:///app/out/renderer/index.html', undefined)).toBe(true);
    expect(isAllowedUrl('https://example.com/', undefined)).toBe(false);
    expect(isAllowedUrl('http://localhost:5173/', undefined)).toBe(false);
    expect(isAllowedUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
  });

  it('has a CSP with no remote sources and no eval', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|'unsafe-eval'/);
  });
});

describe('IPC binding', () => {
  type Handler = (event: { senderFrame: { url: string } | null }, raw: unknown) => Promise<unknown>;
  function bound(): Handler {
    let handler: Handler | null = null;
    const fakeIpc = { handle: (channel: string, h: Handler) => (channel === API_CHANNEL ? (handler = h) : undefined) };
    bindIpc(fakeIpc as never, new ApiService('ipc'), (e) => e.senderFrame !== null && isAllowedUrl(e.senderFrame.url, undefined));
    return handler!;
  }
  const trusted = { senderFrame: { url: 'file:///app/out/renderer/index.html' } };

  it('answers valid messages from the app frame', async () => {
    const r = await bound()(trusted, { id: 1, name: 'app.info', input: {} });
    expect(r).toMatchObject({ id: 1, ok: true, output: { transport: 'ipc', workspace: null } });
  });

  it('refuses untrusted frames, malformed envelopes, unknown commands and bad inputs', async () => {
    const h = bound();
    expect(await h({ senderFrame: { url: 'https://evil.example/' } }, { id: 1, name: 'app.info', input: {} })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/untrusted/),
    });
    expect(await h(trusted, 'app.info')).toMatchObject({ ok: false, error: expect.stringMatching(/malformed/) });
    expect(await h(trusted, { id: 2, name: 'shell.exec', input: {} })).toMatchObject({ ok: false, error: 'unknown command: shell.exec' });
    expect(await h(trusted, { id: 3, name: 'workspace.open', input: { path: 42 } })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/invalid input for workspace.open: path/),
    });
    expect(await h(trusted, { id: 4, name: 'workspace.status', input: {} })).toMatchObject({ ok: false, error: 'no workspace is open' });
  });
});
