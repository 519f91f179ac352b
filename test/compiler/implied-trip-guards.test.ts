/**
 * Trip-count guards implied by an enclosing loop's (issue #11,
 * compiler/transforms/reverse.ts `impliedBy`): in GMM's triangle
 * `for (c = 0; c < d; c++) for (r = c + 1; r < d; r++)`, the inner loop's
 * guard `Number.isInteger(d) && Number.isSafeInteger(d - (c + 1))` holds
 * wherever the outer one, `Number.isSafeInteger(d)`, does, so it is emitted
 * as `Number.isSafeInteger(d) || (...)`: one test of an invariant settles it.
 *
 * Checked against central finite differences and forward against reverse
 * mode at integer bounds and at a non-integer one (2.5: no guard holds, every
 * trip count is pushed and popped), with the exact tape traffic of each, and
 * for the shapes the rule must leave alone: an inner loop over another
 * bound, and an outer loop that does not start at 0.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, functionText, type Built } from '../helpers/generate.ts';
import { traffic } from '../helpers/tape-traffic.ts';

const source = `
/** GMM's triangle, inside a loop over components (so its counts are recomputed, not pushed). @differentiable wrt(x, L) */
export function triangles(x: Float64Array, L: Float64Array, d: number, m: number): number {
  const xc = new Float64Array(x.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < d; r++) xc[r] = Math.sin(x[r] * (j + 1));
    let li = 0;
    for (let c = 0; c < d; c++) {
      for (let r = c + 1; r < d; r++) {
        s += L[li] * xc[c] * xc[r];
        li++;
      }
    }
  }
  return s;
}
/** The inner loop runs to another bound: its guard is its own. @differentiable wrt(x) */
export function otherBound(x: Float64Array, d: number, e: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < e; r++) s += Math.sin(x[c] * r);
  }
  return s;
}

/** The outer loop starts at 1: its guard is not the one the rule knows. @differentiable wrt(x) */
export function fromOne(x: Float64Array, d: number): number {
  let s = 0;
  for (let c = 1; c < d; c++) {
    for (let r = c + 1; r < d; r++) s += Math.sin(x[c] * r);
  }
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('implied-trip-guards', source);
});

/** The text of one generated function. */
const body = (name: string): string => functionText(m.text, name);

const xs = (n: number) => Float64Array.from({ length: n }, (_, i) => 0.3 + 0.17 * i);

describe('trip-count guards implied by the enclosing loop', () => {
  test('the triangle tests the outer guard first in both sweeps, and its derivatives are right at every bound', () => {
    const reverse = body('valueAndVjp_triangles');
    // The push after the inner loop and the count before its reverse, each led by the outer guard.
    expect(reverse).toMatch(/if \(!\(Number\.isSafeInteger\(d\) \|\| Number\.isInteger\(d\) && Number\.isSafeInteger\(d - \(\w+ \+ 1\)\)\)\)/);
    expect(reverse).toMatch(/= Number\.isSafeInteger\(d\) \|\| Number\.isInteger\(d\) && Number\.isSafeInteger\(d - \(\w+ \+ 1\)\) \? Math\.max\(0, d - \(\w+ \+ 1\)\) :/);
    for (const d of [0, 1, 4, 2.5]) {
      const n = Math.ceil(d);
      checkDerivatives(m, 'triangles', [xs(n), xs((n * (n + 1)) / 2), d, 2], { wrt: [0, 1] });
    }
  });

  test('no trip count is recorded at an integer bound; at 2.5 each one is, and the tapes balance', () => {
    const call = (d: number) => {
      const n = Math.ceil(d);
      return traffic(() => m.grad.grad_triangles(xs(n), xs((n * (n + 1)) / 2), d, 2));
    };
    const exact = call(4);
    expect(exact.balanced).toBe(true);
    const inexact = call(2.5);
    expect(inexact.balanced).toBe(true);
    // At 2.5, per component: the loop over c (3 trips) and each of its 3 inner loops push their counts.
    expect(inexact.control - exact.control).toBeGreaterThanOrEqual(2 * (1 + 3));
  });

  test('another bound, or an outer loop from 1, keeps the inner guard as it was', () => {
    expect(body('valueAndVjp_otherBound')).not.toMatch(/Number\.isSafeInteger\(d\) \|\|/);
    expect(body('valueAndVjp_fromOne')).not.toMatch(/\|\| Number\.isInteger\(d\) && Number\.isSafeInteger\(d - \(c \+ 1\)\)/);
    for (const [d, e] of [[3, 5], [4, 2], [2.5, 3.5]] as const) {
      checkDerivatives(m, 'otherBound', [xs(Math.ceil(d)), d, e], { wrt: [0] });
      checkDerivatives(m, 'fromOne', [xs(Math.ceil(e)), e], { wrt: [0] });
    }
  });
});
