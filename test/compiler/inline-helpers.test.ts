/**
 * Small differentiable helpers inlined into their callers (issue #11,
 * compiler/frontend/inline-helpers.ts): LSTM's `sigmoid` and GMM's
 * `logsumexp(main, k)` become part of the caller's code, so their values
 * are recomputed instead of pushed and their adjoints accumulate into the
 * caller's cotangents (no cotangent array, no tuple, no second forward
 * sweep of the helper). Every function is checked against central finite
 * differences and forward against reverse mode; the helpers that must stay
 * calls (recursive, calling others, too big, an array outside wrt, a
 * user-written derivative) are checked to stay calls.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { traffic } from '../helpers/tape-traffic.ts';
import { logsumexpSource } from '../helpers/logsumexp-source.ts';

const source = `
/** @differentiable */
export function sig(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** An LSTM-like gate in a loop. @differentiable wrt(a) */
export function gates(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += sig(a[i] * s + 0.5) * a[i];
  return s;
}

${logsumexpSource}

/** GMM's pattern: logsumexp of a scratch array rewritten on every trip. @differentiable wrt(x) */
export function mixture(x: Float64Array, k: number, n: number): number {
  const main = new Float64Array(k);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) main[j] = x[j] * (i + 1) - x[(j + i) % k];
    s += lse(main, k);
  }
  return s - n * lse(x, k);
}

/** @differentiable wrt(x) */
export function scaled(x: number, c: number): number {
  return x * c * c;
}

/** c is outside scaled's wrt list: no derivative flows through it, inlined or not. @differentiable wrt(a) */
export function useScaled(a: Float64Array): number {
  return scaled(a[0], a[1] * 2) + a[1];
}

/** @differentiable */
export function power(x: number, n: number): number {
  if (n <= 0) return 1;
  return x * power(x, n - 1);
}

/** @differentiable */
export function twice(x: number): number {
  return sig(x) * sig(2 * x);
}

/** @differentiable wrt(v) */
export function weighted(v: Float64Array, w: Float64Array): number {
  return v[0] * w[0] + v[1] * w[1];
}

/** @differentiable */
export function big(x: number): number {
  let s = x;
  for (let i = 0; i < 3; i++) {
    s = s * Math.cos(s) + Math.sin(x * s) - Math.tanh(s * 0.5) + Math.exp(-s * s) * 0.25;
    s = s + Math.log(1 + s * s) * Math.atan(s) - Math.sqrt(1 + x * x) * 0.125;
    s = s - Math.sinh(s * 0.1) * Math.cosh(x * 0.2) + Math.hypot(s, x) * 0.0625;
    s = s + Math.cbrt(1 + s * s) * 0.03125 - Math.expm1(-x * x) * Math.log1p(s * s);
  }
  return s;
}

/** @differentiable */
export function softplus(x: number): number {
  return Math.log(1 + Math.exp(x));
}

/** @derivative vjp(softplus) */
export function softplusVjp(x: number, dy: number): number {
  return dy / (1 + Math.exp(-x));
}

/** Calls of helpers that stay calls. @differentiable wrt(a) */
export function stayCalls(a: Float64Array, w: Float64Array): number {
  return power(a[0], 3) + twice(a[1]) + weighted(a, w) + big(a[0]) + softplus(a[1]);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h5-inline', source);
});

/** The text of one generated function. */
function body(name: string): string {
  const at = m.text.indexOf(`export function ${name}(`);
  expect(at).toBeGreaterThanOrEqual(0);
  const rest = m.text.slice(at);
  return rest.slice(0, rest.indexOf('\n}\n'));
}

const a5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('inlined helpers', () => {
  test('sigmoid in a loop: exact gradients, its exp pushed, not called again', () => {
    for (const n of [0, 1, 5]) checkDerivatives(m, 'gates', [a5(), n], { wrt: [0] });
    for (const name of ['valueAndVjp_gates', 'jvp_gates']) expect(body(name)).not.toMatch(/\bsig\(|_sig\(/);
    const t = traffic(() => m.grad.grad_gates(a5(), 5));
    expect(t.balanced).toBe(true);
    // s, which its own update reads, and the exp of the inlined sigmoid, whose input reads s
    // (compiler/analysis/tbr-results.ts), once per trip each.
    expect(t.values).toBe(10);
    const adjoint = body('valueAndVjp_gates').slice(body('valueAndVjp_gates').indexOf('// adjoint sweep'));
    expect(adjoint).not.toMatch(/Math\.exp/);
  });

  test("logsumexp of a scratch array: the adjoint adds into the caller's cotangent, no array or tuple per call", () => {
    for (const n of [1, 3]) checkDerivatives(m, 'mixture', [Float64Array.from([0.2, -1.3, 0.8, 0.5]), 4, n], { wrt: [0] });
    const vjp = body('valueAndVjp_mixture');
    expect(vjp).not.toMatch(/\blse\(|valueAndVjp_lse|addInto|slice\(\)/);
    expect(vjp).toMatch(/dmain\[\w+\] \+= /);
    expect(traffic(() => m.grad.grad_mixture(Float64Array.from([0.2, -1.3, 0.8, 0.5]), 4, 3)).balanced).toBe(true);
  });

  test("a number outside the helper's wrt list carries no derivative, as through the call", () => {
    const a = Float64Array.from([0.7, -1.2]);
    const g = m.grad.grad_useScaled(a) as Float64Array;
    // d/da0 = c^2 with c = 2 a1; d/da1 = 1 (scaled is not differentiated in c).
    expect(g[0]).toBeCloseTo((2 * a[1]!) ** 2, 14);
    expect(g[1]).toBe(1);
    const [, tangent] = m.grad.jvp_useScaled(a, Float64Array.from([0.5, 3])) as [number, number];
    expect(tangent).toBeCloseTo(0.5 * (2 * a[1]!) ** 2 + 3, 13);
  });

  test("the inlined statements keep the helper's source lines in their comments", () => {
    const line = source.split('\n').findIndex((l) => l.includes('return 1 / (1 + Math.exp(-x));')) + 1;
    expect(body('jvp_gates')).toContain(`// h5-inline.ts:${line}`);
  });
});

describe('helpers that stay calls', () => {
  test('recursive, calling another helper, an array outside wrt, too big, a user-written derivative', () => {
    checkDerivatives(m, 'stayCalls', [Float64Array.from([0.6, -0.4]), Float64Array.from([1.5, 0.25])], { wrt: [0] });
    const vjp = body('valueAndVjp_stayCalls');
    for (const helper of ['power', 'twice', 'weighted', 'big', 'softplus']) expect(vjp).toMatch(new RegExp(`valueAndVjp_${helper}(_for_\\w+)?\\(`));
    // twice's own body inlines sig.
    expect(body('valueAndVjp_twice')).not.toMatch(/\bsig\(|_sig\(/);
  });
});
