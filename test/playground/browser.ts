/**
 * What the playground's browser tests share: the system's Chromium driven
 * by playwright-core (no browser download), and the playground's Vite dev
 * server started in the test on a free port.
 *
 * Without /usr/bin/chromium the tests skip with one printed line, except
 * when CI is set: CI installs Chromium, so there a missing browser fails.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { playgroundConfig } from '../../examples/playground/vite.config.ts';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the browser tests should run: yes when `executable` exists, and
 * always when CI is set (CI installs Chromium, so there a missing browser
 * makes the launch, and the tests, fail). Otherwise prints the one line
 * saying why they skip.
 */
export function chromiumAvailable(executable: string = CHROMIUM, env: NodeJS.ProcessEnv = process.env, log = console.log): boolean {
  if (fs.existsSync(executable)) return true;
  if (env.CI) return true;
  log(`skipping the playground's browser tests: ${executable} is not installed (apt-get install chromium)`);
  return false;
}

/** Chromium headless with a fresh profile (playwright takes it as the persistent context's folder); `close` also removes it. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** The playground's dev server over the page files in `root` (the example itself by default). */
export async function startPlayground(root?: string): Promise<{ server: ViteDevServer; url: string }> {
  const port = await freePort();
  const config = playgroundConfig(root);
  // A dependency cache of its own, so that servers of tests running side by side do not share one.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-vite-cache-'));
  const server = await createServer({
    ...config,
    configFile: false,
    cacheDir,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true },
  });
  await server.listen();
  const close = server.close.bind(server);
  server.close = async () => {
    await close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  };
  return { server, url: `http://127.0.0.1:${port}/` };
}

/** Collects the page's console errors and uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

/** The number a figure element shows (its data-value attribute). */
export async function figure(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-value'));
}
