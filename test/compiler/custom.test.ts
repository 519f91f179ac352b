/**
 * User-written derivatives (`@derivative vjp(f)` / `@derivative jvp(f)`):
 * the compiler uses them instead of differentiating the body, derives the
 * missing mode for scalar functions, and callers use them through calls.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/**
 * log(1 + e^x), written with a helper the compiler cannot see into; its
 * derivative, the logistic sigmoid, is given below.
 * @differentiable
 */
export function softplus(x: number): number {
  return [x].map((v) => (v > 30 ? v : Math.log1p(Math.exp(v))))[0]!;
}

/** @derivative vjp(softplus) */
export function softplusVjp(x: number, dy: number): number {
  return dy / (1 + Math.exp(-x));
}

/** @differentiable */
export function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** A custom forward mode only: reverse mode is derived from it. */
/** @derivative jvp(norm) */
export function normJvp(v: Float64Array, dv: Float64Array): [number, number] {
  const n = norm(v);
  let t = 0;
  for (let i = 0; i < v.length; i++) t += v[i] * dv[i];
  return [n, n === 0 ? 0 : t / n];
}

/** @differentiable */
export function model(x: number, v: Float64Array): number {
  return softplus(x * 2) + norm(v) * x;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('custom', source);
});

describe('custom derivatives', () => {
  test('a custom vjp replaces the body (which the compiler could not differentiate); forward mode follows', () => {
    expect(m.grad.grad_softplus(0.3)).toBeCloseTo(1 / (1 + Math.exp(-0.3)), 14);
    // At 100 the naive formula would overflow exp; the custom derivative stays finite.
    expect(m.grad.grad_softplus(100)).toBeCloseTo(1, 12);
    checkDerivatives(m, 'softplus', [0.3]);
  });

  test('a custom jvp only: reverse mode from one forward sweep per input', () => {
    checkDerivatives(m, 'norm', [Float64Array.from([3, -4, 1])]);
  });

  test('callers use the custom derivatives', () => {
    checkDerivatives(m, 'model', [0.4, Float64Array.from([1, 2, -2])]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
