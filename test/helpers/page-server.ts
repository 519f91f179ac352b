/**
 * A Vite dev server over a test page's folder for the browser tests: the
 * wengert plugin generates the page's `.grad.ts` in memory (write: false),
 * `wengert` resolves to the runtime's sources, and the server listens on a
 * free localhost port. `close` also removes its dependency cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Plugin } from 'vite';
import wengert from '../../compiler/plugin/vite.ts';
import { freePort } from '../playground/browser.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function startPageServer(pageRoot: string, plugins: Plugin[] = []): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-page-vite-'));
  const server = await createServer({
    root: pageRoot,
    configFile: false,
    cacheDir,
    logLevel: 'warn',
    plugins: [...plugins, wengert({ write: false })],
    // model.grad.ts exists only in the plugin's memory: no dependency scan over the page's imports.
    optimizeDeps: { noDiscovery: true, include: [] },
    resolve: { alias: [{ find: /^wengert$/, replacement: path.join(repoRoot, 'runtime/index.ts') }] },
    server: { host: '127.0.0.1', port, strictPort: true, fs: { allow: [repoRoot] } },
    clearScreen: false,
  });
  await server.listen();
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      await server.close();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
