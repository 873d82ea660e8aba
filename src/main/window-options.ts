import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is untrusted: no Node, isolated context, OS sandbox; only the preload bridges to main. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: 'Apprentice',
    show: false,
    backgroundColor: '#111418',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: process.env.APPRENTICE_DEVTOOLS === '1',
    },
  };
}

/** Only the app's own files (or the dev server during `npm run dev`) may load in the window. */
export function isAllowedUrl(url: string, devServerUrl: string | undefined): boolean {
  if (url.startsWith('file://')) return true;
  if (url.startsWith('devtools://')) return true;
  if (devServerUrl && url.startsWith(devServerUrl)) return true;
  return false;
}
