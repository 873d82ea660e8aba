import { app, BrowserWindow, ipcMain, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindIpc, forwardEvents } from './ipc';
import { CONTENT_SECURITY_POLICY } from './security';
import { ApiService } from './services/api';
import { isAllowedUrl, windowOptions } from './window-options';

const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const api = new ApiService('ipc');
let win: BrowserWindow | null = null;

function createWindow(): void {
  win = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs')));
  win.once('ready-to-show', () => win?.show());
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAllowedUrl(url, devServerUrl)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.on('closed', () => (win = null));
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(join(here, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  // Patient data never leaves the machine: the window may load nothing but the app itself.
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => cb({ cancel: !isAllowedUrl(details.url, devServerUrl) }));
  session.defaultSession.webRequest.onHeadersReceived((details, cb) =>
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }),
  );
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  bindIpc(ipcMain, api, (e) => e.senderFrame !== null && isAllowedUrl(e.senderFrame.url, devServerUrl));
  forwardEvents(api, () => win?.webContents ?? null);
  const initial = process.argv.find((a, i) => i > 0 && a.startsWith('--workspace='));
  if (initial) api.openWorkspace(initial.slice('--workspace='.length));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  api.close();
  app.quit();
});
