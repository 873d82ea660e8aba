import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './data';
import { serve } from './serve';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with every background network feature off (the machine is offline). */
export function launchBrowser(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** `apprentice serve <ws>` opened in Chromium, every request the page makes recorded. */
export async function openApp(workspace: string): Promise<{
  host: Awaited<ReturnType<typeof serve>>;
  browser: BrowserContext;
  page: Page;
  requests: string[];
  close: () => Promise<void>;
}> {
  const host = await serve(workspace);
  const browser = await launchBrowser();
  const page = browser.pages()[0] ?? (await browser.newPage());
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(host.url);
  await page.getByTestId('workspace-summary').waitFor();
  return {
    host,
    browser,
    page,
    requests,
    close: async () => {
      await browser.close();
      await host.stop();
    },
  };
}
