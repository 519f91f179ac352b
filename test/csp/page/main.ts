/**
 * The CSP browser test's page, served with `Content-Security-Policy:
 * script-src 'self'` (no `unsafe-eval`): runs, as soon as it loads, the
 * gradient the wengert Vite plugin generates from model.ts on the CPU
 * backend (case.ts, in float64 and float32), and leaves in
 * `window.cspResult` the values, the policy violations the run caused, and
 * whether the policy really blocks `new Function` and `eval` here.
 */
import { cpu, type Tensor } from 'wengert';
import { cspCase, type CspCase } from '../case.ts';
import type { Params } from './model.ts';

// model.grad.ts exists only in the Vite plugin's memory (write: false), so
// the type checker cannot find it; its one function used here is typed here.
// @ts-ignore -- generated at serve time
import * as generated from './model.grad.ts';

const { valueAndGrad_loss } = generated as { valueAndGrad_loss(p: Params, x: Tensor): [number, Params] };

export interface CspResult {
  /** Per dtype: the loss and its gradient. */
  runs: Record<'float64' | 'float32', { value: number; W: number[]; b: number[]; s: number }>;
  /** `directive blockedURI` of each violation the gradient runs caused. */
  violations: string[];
  /** True when `new Function` and indirect `eval` both threw afterwards (the policy is in force). */
  evalBlocked: boolean;
}

declare global {
  interface Window {
    /** Set when the page has run the case: its result, or why it failed. */
    cspResult?: CspResult | { error: string };
  }
}

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.effectiveDirective} ${e.blockedURI}`));

/** Violation events are dispatched as tasks: a timer after them sees them all. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

function run(c: CspCase, Arr: typeof Float64Array | typeof Float32Array): CspResult['runs']['float64'] {
  const t = (k: keyof CspCase['shapes']): Tensor => cpu.fromValues(Arr.from(c[k]), c.shapes[k]);
  const [value, g] = valueAndGrad_loss({ W: t('W'), b: t('b'), s: c.s }, t('x'));
  return { value, W: Array.from(g.W.dataSync()), b: Array.from(g.b.dataSync()), s: g.s };
}

// The page runs the case itself, from its own module script: code that the
// test would call through the DevTools protocol (page.evaluate) may
// evaluate strings whatever the policy says.
async function main(): Promise<CspResult> {
  const c = cspCase();
  const runs = { float64: run(c, Float64Array), float32: run(c, Float32Array) };
  await settle();
  const caused = [...violations];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const evalBlocked = throws(() => new Function('return 1')) && throws(() => (0, eval)('1'));
  return { runs, violations: caused, evalBlocked };
}

main().then(
  (result) => (window.cspResult = result),
  (e: unknown) => (window.cspResult = { error: String(e) }),
).finally(() => (document.getElementById('status')!.textContent = 'done'));
