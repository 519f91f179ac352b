/**
 * Expensive results pushed instead of recomputed (compiler/analysis/
 * tbr-results.ts, issue #11): a transcendental whose recomputation would
 * read a value pushed where it is made, or a snapshotted block input, is
 * pushed itself, and the reverse sweep does not call it again. Every function is checked against central
 * finite differences and forward against reverse mode; tapes must be
 * balanced and the tape traffic of one call is counted.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { tapeCallsText, traffic } from '../helpers/tape-traffic.ts';

const source = `
/** exp of a scratch array element read after the array is rewritten (recorded per read): exp's result is pushed. @differentiable wrt(a) */
export function expOfScratch(a: Float64Array, m: number): number {
  const w = new Float64Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) w[r] = a[r] * (j + 1) + 0.1 * s;
    for (let r = 0; r < a.length; r++) s += Math.exp(w[r] - 1);
  }
  return s;
}

/** The pushed input is read by another adjoint too (sin(w) * w): both are pushed. @differentiable wrt(a) */
export function sinTimesInput(a: Float64Array, m: number): number {
  const w = new Float64Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) w[r] = a[r] - 0.2 * j;
    for (let r = 0; r < a.length; r++) s += Math.sin(w[r]) * w[r];
  }
  return s;
}

/** A chain of two expensive primitives over a pushed value. @differentiable wrt(a) */
export function chain(a: Float64Array, m: number): number {
  const w = new Float64Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) w[r] = a[r] * a[r] + j;
    for (let r = 0; r < a.length; r++) s += Math.tanh(Math.log(w[r] + 2) * 0.5);
  }
  return s;
}

/** exp of a loop-carried scalar (snapshotted on every trip): exp's result is pushed instead of s. @differentiable wrt(a) */
export function expOfCarried(a: Float64Array): number {
  let s = 0.1;
  for (let i = 0; i < a.length; i++) s = Math.exp(0.5 * s) * a[i];
  return s;
}

/** Refused: exp of a parameter's element is recomputed from the parameter (nothing pushed for it). @differentiable wrt(a) */
export function expOfParam(a: Float64Array): number {
  let s = 0;
  for (let r = 0; r < a.length; r++) s += Math.exp(a[r] * 0.5);
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('recorded-results', source);
});

const a5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);
/** The text of one generated function. */
const body = (name: string) => {
  const text = tapeCallsText(m.text);
  const rest = text.slice(text.indexOf(`export function valueAndVjp_${name}(`));
  return rest.slice(0, rest.indexOf('\n}\n'));
};
const adjointPart = (name: string) => body(name).slice(body(name).indexOf('// adjoint sweep'));

describe('expensive results recorded instead of recomputed', () => {
  test('exp of a pushed value: the result is pushed, not the input, and exp is not called again', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'expOfScratch', [a5(), mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_expOfScratch(a5(), 3));
    expect(t.balanced).toBe(true);
    // One value per exp (5 per outer trip, 3 trips): the exp's result instead of w[r].
    expect(t.values).toBe(15);
    expect(body('expOfScratch')).toMatch(/= Math\.exp\((t\d+)\);\s*valueTape\.push\(t\d+\);/);
    expect(body('expOfScratch')).not.toMatch(/valueTape\.push\(w\[/);
    expect(adjointPart('expOfScratch')).not.toMatch(/Math\.exp/);
  });

  test('an input another adjoint reads stays pushed beside the result', () => {
    for (const mm of [1, 2]) checkDerivatives(m, 'sinTimesInput', [a5(), mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_sinTimesInput(a5(), 2));
    expect(t.balanced).toBe(true);
    // w[r] (for the product's adjoint) and sin(w[r]) per element: 2 x 5 x 2.
    expect(t.values).toBe(20);
    // The cosine of the rule is still computed; sin itself is not called again.
    expect(adjointPart('sinTimesInput')).not.toMatch(/Math\.sin/);
  });

  test('a chain of expensive primitives: each result is pushed once', () => {
    for (const mm of [1, 3]) checkDerivatives(m, 'chain', [a5(), mm], { wrt: [0] });
    expect(traffic(() => m.grad.grad_chain(a5(), 3)).balanced).toBe(true);
    expect(adjointPart('chain')).not.toMatch(/Math\.(log|tanh)\(/);
  });

  test('exp of a snapshotted loop-carried value: the result is pushed instead of the value', () => {
    checkDerivatives(m, 'expOfCarried', [a5()], { wrt: [0] });
    const t = traffic(() => m.grad.grad_expOfCarried(a5()));
    expect(t.balanced).toBe(true);
    // One value per trip, as before (s then, exp(0.5 s) now), and exp is not called again.
    expect(t.values).toBe(5);
    expect(body('expOfCarried')).not.toMatch(/valueTape\.push\(s\)/);
    expect(adjointPart('expOfCarried')).not.toMatch(/Math\.exp/);
  });

  test('refused: exp of values that can be recomputed without the tape is recomputed', () => {
    checkDerivatives(m, 'expOfParam', [a5()], { wrt: [0] });
    const t = traffic(() => m.grad.grad_expOfParam(a5()));
    expect(t.balanced).toBe(true);
    expect(t.values).toBe(0);
    expect(adjointPart('expOfParam')).toMatch(/Math\.exp/);
  });
});
