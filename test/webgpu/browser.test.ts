/**
 * The browser test: a page served on localhost (Vite, with the wengert
 * plugin generating model.grad.ts from page/model.ts in memory) runs the
 * generated gradient on WebGPU in headless Chromium (the system's
 * /usr/bin/chromium driven by playwright-core, SwiftShader's adapter), and
 * the numbers are checked against the same generated file run on the CPU
 * in Node.
 *
 * Skip rule: without /usr/bin/chromium the test skips with one printed
 * line, unless WENGERT_REQUIRE_WEBGPU=1 (CI), where it fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpu, type Tensor } from 'wengert';
import { buildFixture } from '../helpers/generate.ts';
import { startPageServer } from '../helpers/page-server.ts';
import { compareValues } from './helpers.ts';
import { modelCase } from './model-case.ts';
import type { Net } from './page/model.ts';

const CHROMIUM = '/usr/bin/chromium';
const pageRoot = fileURLToPath(new URL('./page/', import.meta.url));

function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.WENGERT_REQUIRE_WEBGPU === '1') return true;
  console.log(`skipping the WebGPU browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);
  return false;
}

const available = browserAvailable();

describe.skipIf(!available)('a generated gradient on WebGPU in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof startPageServer>>;
  let url: string;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    server = await startPageServer(pageRoot);
    url = server.url;
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-webgpu-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu-sandbox',
        '--enable-unsafe-webgpu',
        '--use-webgpu-adapter=swiftshader',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('vjp of the page model in the browser equals the CPU one', async () => {
    const c = modelCase(9);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
    const result = await page.evaluate((input) => window.runCase(input), c);
    expect(errors).toEqual([]);
    expect(result.backend).toBe('webgpu');

    const built = await buildFixture<unknown, { vjp_probabilities(p: Net, x: Tensor, dy: Tensor): Net }>(
      'h1-webgpu/browser-model',
      fs.readFileSync(path.join(pageRoot, 'model.ts'), 'utf8'),
    );
    const t = (k: keyof typeof c.shapes): Tensor => cpu.fromValues(Float32Array.from(c[k]), c.shapes[k]);
    const want = built.grad.vjp_probabilities({ W1: t('W1'), b1: t('b1'), W2: t('W2'), b2: t('b2') }, t('x'), t('dy'));
    // The browser's values came back through `await t.data()`.
    for (const k of ['W1', 'b1', 'W2', 'b2'] as const) compareValues(result.grads[k]!, want[k].dataSync(), `browser cotangent of ${k} (adapter ${result.adapter})`);
  });
});
