/**
 * Editing the model while the playground runs, in a copy of the example
 * under test/.generated/ (so the real example is never touched): the Vite
 * plugin regenerates model.grad.ts and the page reloads with it. The page
 * then shows the new code in its code panel and a changed figure, and the
 * derivatives it serves are those of the edited model (checked in the
 * page against central finite differences of the edited primal, forward
 * against reverse). A model the compiler refuses shows Vite's error
 * overlay at the refused construct's file:line:col while the page keeps
 * its last good derivatives; fixing it reloads the page.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from '../build/helpers/temp.ts';
import { chromiumAvailable, collectErrors, figure, launchChromium, startPlayground } from './browser.ts';

const example = path.join(repoRoot, 'examples', 'playground');
const copy = path.join(repoRoot, 'test', '.generated', `playground-hot-reload-${process.pid}`);
const modelPath = path.join(copy, 'model.ts');
const runtimeIndex = path.join(repoRoot, 'runtime', 'index.ts');

/** The leaky ReLU slope in the example's model, in `loss` and in `forward`'s `activate`. */
const SLOPE = 'leakyRelu(z, 0.01)';

function copyExample(): void {
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(example, copy, { recursive: true, filter: (source) => !/\.grad\.ts(\.map)?$|[\\/]dist$/.test(source) });
}

/** Writes model.ts of the copy, changed by `edit`, and returns its text. */
function writeModel(edit: (text: string) => string): string {
  const text = edit(fs.readFileSync(path.join(example, 'model.ts'), 'utf8'));
  fs.writeFileSync(modelPath, text);
  return text;
}

/**
 * In the page: the served grad_loss of a small float64 network (leaky ReLU,
 * L1 and L2 penalties) against central differences of the served primal
 * loss, and jvp_loss against grad . v; both read the modules the page
 * imports, as the dev server serves them now. Plain JavaScript in a string,
 * so that the test runner's transform (which rewrites import()) leaves it alone.
 */
function servedDerivativesCheck(runtimeUrl: string): string {
  return `(async () => {
    const R = await import(${JSON.stringify(runtimeUrl)});
    const G = await import('/model.grad.ts');
    const M = await import('/model.ts');
    const rng = new R.Rng(3);
    const f64 = (shape) => R.randn(shape, rng, { dtype: 'float64' });
    const p = { hidden: [{ W: f64([2, 3]), b: f64([3]) }], output: { W: f64([3, 1]), b: f64([1]) } };
    const x = R.mul(f64([12, 2]), 2);
    const y = R.fromArray(Array.from({ length: 12 }, (_, i) => i % 2), [12, 1], 'float64');
    const args = [x, y, 3, 0.01, 0.02];
    const flat = R.flatten(p);
    const gradient = R.flatten(G.grad_loss(p, ...args));
    let fdError = 0;
    for (let k = 0; k < flat.length; k++) {
      const at = (delta) => {
        const moved = flat.slice();
        moved[k] += delta;
        return M.loss(R.unflatten(p, moved), ...args);
      };
      const h = 1e-6;
      const fd = (at(h) - at(-h)) / (2 * h);
      fdError = Math.max(fdError, Math.abs(fd - gradient[k]) / Math.max(1, Math.abs(fd)));
    }
    const direction = flat.map((_, k) => Math.sin(k + 1));
    const [, tangent] = G.jvp_loss(p, ...args, R.unflatten(p, direction));
    const expected = gradient.reduce((total, g, k) => total + g * direction[k], 0);
    return { fdError, forwardError: Math.abs(tangent - expected) / Math.max(1, Math.abs(expected)), compared: flat.length };
  })()`;
}

async function checkServedDerivatives(page: Page): Promise<{ fdError: number; forwardError: number; compared: number }> {
  return page.evaluate(servedDerivativesCheck(`/@fs${runtimeIndex}`));
}

async function generatedCode(page: Page): Promise<string> {
  return (await page.getByTestId('generated-code').textContent()) ?? '';
}

describe.runIf(chromiumAvailable())('editing model.ts while the playground runs', () => {
  let server: ViteDevServer;
  let url: string;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    copyExample();
    ({ server, url } = await startPlayground(copy));
    ({ context, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    await closeBrowser?.();
    await server?.close();
    fs.rmSync(copy, { recursive: true, force: true });
  });

  test('regenerates the derivatives and the page picks them up; a refused model shows the error overlay at file:line:col', async () => {
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}?dataset=circle&layers=4,2&activation=leakyRelu&seed=3`);
    await page.getByTestId('generated-code').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="test-loss"]')?.getAttribute('data-value') !== null);
    expect(await generatedCode(page)).toContain('leakyReluGrad(dz, z, 0.01)');
    const lossBefore = await figure(page, 'test-loss');
    const before = await checkServedDerivatives(page);
    expect(before.fdError).toBeLessThan(1e-6);

    // A steeper leaky slope: new code in the panel, a new loss at step 0, derivatives of the new model.
    writeModel((text) => text.replaceAll(SLOPE, 'leakyRelu(z, 0.5)'));
    await page.waitForFunction(() => document.querySelector('[data-testid="generated-code"]')?.textContent?.includes('leakyReluGrad(dz, z, 0.5)'), undefined, {
      timeout: 60_000,
    });
    await page.waitForFunction(() => document.querySelector('[data-testid="test-loss"]')?.getAttribute('data-value') !== null);
    expect(await figure(page, 'step')).toBe(0);
    const lossAfter = await figure(page, 'test-loss');
    expect(Math.abs(lossAfter - lossBefore)).toBeGreaterThan(1e-4);
    const after = await checkServedDerivatives(page);
    expect(after.compared).toBe(13);
    expect(after.fdError).toBeLessThan(1e-6);
    expect(after.forwardError).toBeLessThan(1e-9);
    expect(fs.readFileSync(path.join(copy, 'model.grad.ts'), 'utf8')).toContain('leakyReluGrad(dz, z, 0.5)');

    // A construct the compiler refuses: the overlay names model.ts:line:col; the page keeps its code.
    const broken = writeModel((text) => text.replaceAll(SLOPE, 'leakyRelu(z, 0.5)').replace('  let penalty = 0;\n', '  let penalty = 0;\n  try {\n    penalty = 0;\n  } catch {\n    penalty = 1;\n  }\n'));
    const line = broken.split('\n').findIndex((l) => l.startsWith('  try {')) + 1;
    const overlay = page.locator('vite-error-overlay');
    await overlay.waitFor({ timeout: 60_000 });
    expect(await overlay.locator('.file').textContent()).toContain(`model.ts:${line}:3`);
    expect(await overlay.locator('.message').textContent()).toMatch(/try\/catch/);
    expect(await generatedCode(page)).toContain('leakyReluGrad(dz, z, 0.5)');

    // Fixed again: the page reloads with the fixed model's derivatives and the overlay is gone.
    writeModel((text) => text.replaceAll(SLOPE, 'leakyRelu(z, 0.2)'));
    await page.waitForFunction(() => document.querySelector('[data-testid="generated-code"]')?.textContent?.includes('leakyReluGrad(dz, z, 0.2)'), undefined, {
      timeout: 60_000,
    });
    expect(await overlay.count()).toBe(0);
    expect((await checkServedDerivatives(page)).fdError).toBeLessThan(1e-6);
    expect(errors).toEqual([]);
  }, 240_000);
});
