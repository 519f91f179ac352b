/**
 * The browser test's page: picks the webgpu backend (navigator.gpu), runs
 * the derivative the wengert Vite plugin generates from model.ts on the
 * case the test passes in, and returns the values for the test to compare
 * with the CPU ones computed in Node.
 */
import { useBackend, type Tensor } from 'wengert';
import type { ModelCase } from '../model-case.ts';
import type { Net } from './model.ts';

// model.grad.ts exists only in the Vite plugin's memory (write: false), so
// the type checker cannot find it; its one function is typed here.
// @ts-ignore -- generated at serve time
import * as generated from './model.grad.ts';

const { vjp_probabilities } = generated as { vjp_probabilities(p: Net, x: Tensor, dy: Tensor): Net };

declare global {
  interface Window {
    runCase(c: ModelCase): Promise<{ backend: string; adapter: string; grads: Record<string, number[]> }>;
  }
}

window.runCase = async (c) => {
  const b = await useBackend('webgpu');
  const t = (k: keyof ModelCase['shapes']): Tensor => b.fromValues(Float32Array.from(c[k]), c.shapes[k]);
  const p = { W1: t('W1'), b1: t('b1'), W2: t('W2'), b2: t('b2') };
  const g = vjp_probabilities(p, t('x'), t('dy'));
  const grads: Record<string, number[]> = {};
  for (const k of ['W1', 'b1', 'W2', 'b2'] as const) grads[k] = Array.from(await g[k].data());
  return { backend: g.W1.backend.name, adapter: (b as { description?: string }).description ?? '', grads };
};

document.getElementById('status')!.textContent = 'ready';
