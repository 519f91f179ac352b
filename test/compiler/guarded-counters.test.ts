/**
 * Counters and trip counts recomputed under run-time guards (issue #11,
 * compiler/analysis/tbr-counters.ts):
 *   - a counter the compiler cannot prove integral (`li = j * start`,
 *     `li++`, GMM's triangular index) is restored by undoing its steps when
 *     a flag set at its initialisation says it is an exact integer, and
 *     pushed by the blocks that read it otherwise;
 *   - the trip count of a loop `r < B` with B invariant is recomputed,
 *     `max(0, B - init)`, when B is an integer, and pushed otherwise.
 * Each function is checked against central finite differences and forward
 * against reverse mode, with integral and non-integral starts and bounds;
 * the tape traffic of one call shows which way each went, and the tapes
 * must be balanced after it.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { triangularCounterSource } from '../helpers/triangular-sources.ts';
import { tapeCallsText, traffic } from '../helpers/tape-traffic.ts';

const source = `${triangularCounterSource}
/** A downward counter from a parameter, a step of 3, and a counter read after its loop. @differentiable wrt(a) */
export function downward(a: Float64Array, n: number, h: number): number {
  let s = 0;
  let q = n * h;
  for (let j = 0; j < 2; j++) {
    for (let r = n - 1; r >= 0; r--) s += a[r] * Math.cos(s * (r + 1));
    q = q - 3;
    s += Math.sin(q * a[0]);
  }
  return s * q;
}

/** Trip counts from the bound: <, <=, > and >= loops inside an outer loop. @differentiable wrt(a) */
export function bounds(a: Float64Array, n: number, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 1; r <= n; r++) s += a[r - 1] * Math.sin(s + j);
    for (let r = 0; r < n; r++) s += a[r] * Math.cos(s * 0.5);
    for (let r = 3; r > 0; r--) s += a[r] * s * 0.1;
    for (let r = 4; r >= 1; r--) s += Math.tanh(a[r] * s);
  }
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h5-guarded-counters', source);
});

const a6 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.6]);

describe('counters not proven integral', () => {
  test('integral starts: exact gradients, the counter undone, nothing pushed per inner trip', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'triangular', [a6(), 4, 2, mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_triangular(a6(), 4, 2, 3));
    expect(t.balanced).toBe(true);
    // One old li per outer trip (its initialisation), not one per inner trip (6 per outer trip at d = 4).
    expect(t.values).toBe(3);
    expect(m.text).toMatch(/liExact = \(li \| 0\) === li \|\| Number\.isInteger\(li\) && Math\.abs\(li\) <= 4503599627370496;/);
  });

  test('non-integral starts: the counter is pushed where it is read, and the gradient is still exact', () => {
    for (const start of [0.25, 1 / 3]) checkDerivatives(m, 'triangular', [a6(), 4, start, 2], { wrt: [0] });
    const t = traffic(() => m.grad.grad_triangular(a6(), 4, 0.25, 2));
    expect(t.balanced).toBe(true);
    // j = 0 starts at 0 (exact, nothing per trip); j = 1 starts at 0.25: 6 inner trips push li. Plus 2 old values.
    expect(t.values).toBe(2 + 6);
  });

  test('flags that change from one initialisation to the next (0, 0.5, 1, 1.5)', () => {
    checkDerivatives(m, 'triangular', [a6(), 5, 0.5, 4], { wrt: [0] });
    expect(traffic(() => m.grad.grad_triangular(a6(), 5, 0.5, 4)).balanced).toBe(true);
  });

  test('an integral start beyond int32 (2^40) is exact too: the second test of the flag holds where its int32 test fails', () => {
    // sin(li * a[r]) with li near 2^40 is beyond finite differences: reverse mode against forward mode per input.
    const start = 2 ** 40 + 3;
    const g = m.grad.grad_triangular(a6(), 4, start, 2) as Float64Array;
    for (let i = 0; i < 6; i++) {
      const e = new Float64Array(6);
      e[i] = 1;
      const [, dot] = m.grad.jvp_triangular(a6(), 4, start, 2, e) as [number, number];
      expect(Math.abs(g[i]! - dot)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(dot)));
    }
    expect(Math.abs(g[1]!)).toBeGreaterThan(1e6);
    // Only the 2 old values of li: nothing per inner trip, as at a small start.
    expect(traffic(() => m.grad.grad_triangular(a6(), 4, start, 2)).values).toBe(2);
  });

  test('a start beyond 2^52 takes the recorded path', () => {
    // li = 2^53 * j: li++ does not move it, which the recorded path replays as it was.
    const g = m.grad.grad_triangular(a6(), 3, 2 ** 53, 2) as Float64Array;
    const f = (x: Float64Array) => m.source.triangular(x, 3, 2 ** 53, 2) as number;
    expect(g.every(Number.isFinite)).toBe(true);
    expect(traffic(() => m.grad.grad_triangular(a6(), 3, 2 ** 53, 2)).values).toBe(2 + 3);
    expect(Number.isFinite(f(a6()))).toBe(true);
  });

  test('a downward counter from a parameter, and a counter stepped by 3 and read after', () => {
    // q = n * h starts integral for h = 1, not for 3 * 0.5.
    for (const [n, h] of [[3, 1], [3, 0.5], [6, 0.5]]) checkDerivatives(m, 'downward', [a6(), n, h], { wrt: [0] });
    expect(traffic(() => m.grad.grad_downward(a6(), 3, 0.5)).balanced).toBe(true);
  });
});

describe('trip counts recomputed from the bound', () => {
  test('integral bounds: exact gradients, no trip count pushed for the inner loops', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'bounds', [a6(), 5, mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_bounds(a6(), 5, 3));
    expect(t.balanced).toBe(true);
    // Only the outer loop's trip count: its initialisation is at the top level, so it is not a trip counter.
    expect(t.control).toBe(1);
  });

  test('a non-integral bound: the guard fails and the trip counts are pushed', () => {
    for (const n of [2.5, 4.25]) checkDerivatives(m, 'bounds', [a6(), n, 2], { wrt: [0] });
    const t = traffic(() => m.grad.grad_bounds(a6(), 4.25, 2));
    expect(t.balanced).toBe(true);
    // The two loops bounded by n push their counts (2 outer trips); the constant-bounded ones do not.
    expect(t.control).toBe(1 + 2 * 2);
  });

  test('the guard is in the generated code', () => {
    expect(tapeCallsText(m.text)).toMatch(/Number\.isSafeInteger\(n\) \? Math\.max\(0, n\) : controlTape\.pop\(\)/);
  });
});
