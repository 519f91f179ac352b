/**
 * The CPU backend compiles nothing at run time: a generated gradient
 * (page/model.ts: unary, binary, activation-gradient, fused and number
 * kernels, float64 and float32) runs with `globalThis.Function` and
 * `globalThis.eval` replaced by functions that record the call and throw.
 * The kernels were compiled lazily with `new Function` before, so the
 * first run of each op here would have called it. The values are then
 * checked against central finite differences.
 *
 * browser.test.ts makes the same point in a real page whose
 * Content-Security-Policy forbids eval.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import * as W from 'wengert';
import { buildFixture } from '../helpers/generate.ts';
import { cspCase, type CspCase } from './case.ts';
import type { Params } from './page/model.ts';

interface Grad {
  valueAndGrad_loss(p: Params, x: W.Tensor): [number, Params];
  grad_loss(p: Params, x: W.Tensor): Params;
}

function inputs(c: CspCase, Arr: typeof Float64Array | typeof Float32Array): [Params, W.Tensor] {
  const t = (k: keyof CspCase['shapes']): W.Tensor => W.cpu.fromValues(Arr.from(c[k]), c.shapes[k]);
  return [{ W: t('W'), b: t('b'), s: c.s }, t('x')];
}

/** Runs `f` with `Function` and `eval` replaced by recorders that throw; returns its value and the calls made. */
function withoutEval<T>(f: () => T): { value: T; calls: string[] } {
  const g = globalThis as { Function: FunctionConstructor; eval: (code: string) => unknown };
  const saved = { Function: g.Function, eval: g.eval };
  const calls: string[] = [];
  const refuse = (name: string) =>
    function refused(): never {
      calls.push(name);
      throw new EvalError(`${name} called while the no-eval test forbids it`);
    };
  g.Function = refuse('Function') as unknown as FunctionConstructor;
  g.eval = refuse('eval');
  try {
    return { value: f(), calls };
  } finally {
    g.Function = saved.Function;
    g.eval = saved.eval;
  }
}

test('a generated gradient runs on the CPU with Function and eval forbidden, and matches finite differences', async () => {
  const built = await buildFixture<{ loss(p: Params, x: W.Tensor): number }, Grad>(
    'csp/model',
    readFileSync(new URL('./page/model.ts', import.meta.url), 'utf8'),
  );
  expect(built.text, 'the model has a fused kernel, whose CPU form is a function in the file').toMatch(/cpu: \(v0: number/);
  const c = cspCase();
  // What a gradient call returns is valid until the next call: each run is read at once.
  const run = (Arr: typeof Float64Array | typeof Float32Array) => {
    const [value, g] = built.grad.valueAndGrad_loss(...inputs(c, Arr));
    return { value, dtype: g.W.dtype, W: Array.from(g.W.dataSync()), b: Array.from(g.b.dataSync()), s: g.s };
  };
  const { value: runs, calls } = withoutEval(() => ({
    float64: run(Float64Array),
    float32: run(Float32Array),
    // Both operands numbers: the number kernels.
    numbers: [W.exp(c.s), W.mul(c.s, 3), W.leakyRelu(-c.s, 0.2)],
  }));
  expect(calls).toEqual([]);
  expect(runs.numbers).toEqual([Math.exp(c.s), c.s * 3, -c.s * 0.2]);

  const [p64, x64] = inputs(c, Float64Array);
  expect(runs.float64.value).toBe(built.source.loss(p64, x64));
  const report = W.checkGrad(built.source.loss, built.grad.grad_loss, [p64, x64], { wrt: [0] });
  expect(report.ok, report.summary).toBe(true);

  // float32 (the op table's float32 expressions, tanhF32) against float64: float32 rounding only.
  const f32 = runs.float32;
  const f64 = runs.float64;
  expect([f32.dtype, f64.dtype]).toEqual(['float32', 'float64']);
  expect(Math.abs(f32.value - f64.value) / Math.abs(f64.value)).toBeLessThan(1e-5);
  for (const k of ['W', 'b'] as const) {
    const scale = Math.max(...f64[k].map(Math.abs));
    for (let i = 0; i < f64[k].length; i++) expect(Math.abs(f32[k][i]! - f64[k][i]!), `${k}[${i}]`).toBeLessThan(1e-5 * scale);
  }
  expect(Math.abs(f32.s - f64.s) / Math.abs(f64.s)).toBeLessThan(1e-5);
});
