/**
 * The real proof that the CPU backend needs no eval: a page served with
 * `Content-Security-Policy: script-src 'self'` (no `unsafe-eval`, no
 * `wasm-unsafe-eval`) runs the generated gradient of page/model.ts on the
 * CPU backend in headless Chromium (the system's /usr/bin/chromium driven
 * by playwright-core; Vite with the wengert plugin generates model.grad.ts
 * in memory). The page checks that the policy is in force (`new Function`
 * and `eval` throw there), reports the violations the gradient caused, and
 * its values are checked against the same generated file run in Node.
 *
 * The one violation allowed is the WebAssembly SIMD matmul kernel's
 * compilation (`wasm-eval`): the policy refuses it, and the backend then
 * multiplies in JavaScript (runtime/backends/cpu/simd-gemm.ts).
 *
 * Skip rule: without /usr/bin/chromium the test skips with one printed
 * line, unless CI is set (CI installs Chromium), where it fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpu, type Tensor } from 'wengert';
import { buildFixture } from '../helpers/generate.ts';
import { startPageServer } from '../helpers/page-server.ts';
import { chromiumAvailable, collectErrors, launchChromium } from '../playground/browser.ts';
import { compareValues } from '../webgpu/helpers.ts';
import { cspCase, type CspCase } from './case.ts';
import type { Params } from './page/model.ts';

const POLICY = "script-src 'self'";
const pageRoot = fileURLToPath(new URL('./page/', import.meta.url));

const available = chromiumAvailable(undefined, process.env, () =>
  console.log('skipping the CSP browser test: /usr/bin/chromium is not installed (apt-get install chromium)'),
);

/** Sends the policy with every response of the dev server (the page, its modules, Vite's client). */
const cspHeader: Plugin = {
  name: 'csp-header',
  configureServer(server) {
    server.middlewares.use((_req, res, next) => {
      res.setHeader('Content-Security-Policy', POLICY);
      next();
    });
  },
};

describe.skipIf(!available)(`a generated gradient on the CPU backend in a page with "${POLICY}"`, () => {
  let server: Awaited<ReturnType<typeof startPageServer>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    server = await startPageServer(pageRoot, [cspHeader]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs without eval and gives the values of Node', async () => {
    const c = cspCase();
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    const response = await page.goto(server.url);
    expect(response?.headers()['content-security-policy']).toBe(POLICY);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done', null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.cspResult);
    expect(errors).toEqual([]);
    if (result === undefined || 'error' in result) throw new Error(`the page's run failed: ${result?.error ?? 'no result'}`);
    expect(result.evalBlocked, 'the policy is in force: new Function and eval throw in the page').toBe(true);
    // The float32 products tried the WebAssembly SIMD kernel: refused, so the JavaScript matmul ran.
    expect(result.violations.length, 'the SIMD matmul was tried').toBeGreaterThan(0);
    expect(result.violations.filter((v) => v !== 'script-src wasm-eval'), 'violations other than WebAssembly compilation').toEqual([]);

    const built = await buildFixture<unknown, { valueAndGrad_loss(p: Params, x: Tensor): [number, Params] }>(
      'csp/browser-model',
      fs.readFileSync(path.join(pageRoot, 'model.ts'), 'utf8'),
    );
    for (const [dtype, Arr] of [['float64', Float64Array], ['float32', Float32Array]] as const) {
      const t = (k: keyof CspCase['shapes']): Tensor => cpu.fromValues(Arr.from(c[k]), c.shapes[k]);
      const [value, g] = built.grad.valueAndGrad_loss({ W: t('W'), b: t('b'), s: c.s }, t('x'));
      const got = result.runs[dtype];
      // float64: the same code on the same engine, so equal but for summation order; float32: the JavaScript
      // matmul in the page, the SIMD one in Node (float32 rounding in another order).
      const rtol = dtype === 'float64' ? 1e-12 : 2e-5;
      compareValues([got.value, got.s], [value, g.s], `${dtype} loss and its derivative in s`, rtol);
      compareValues(got.W, g.W.dataSync(), `${dtype} gradient of W`, rtol);
      compareValues(got.b, g.b.dataSync(), `${dtype} gradient of b`, rtol);
    }
  });
});
