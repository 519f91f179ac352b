/**
 * Adjoint accumulators kept in a local across a loop (issue #11,
 * compiler/emit/local-accumulators.ts): an increment `dxc[c] += e` whose
 * index the loop does not change adds into a local, stored once after the
 * loop. Every function is checked against central finite differences and
 * forward against reverse mode, including loops that do not run and
 * indices out of range; the loops where the rewrite must not happen (the
 * index changes, the array is read or passed on in the loop) are checked to
 * keep their increments.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { triangularProductSource } from '../helpers/triangular-sources.ts';

const source = `${triangularProductSource}
/** A fixed element of a parameter read in a loop: its cotangent dv[c] is the local. @differentiable wrt(v) */
export function fixedElement(v: Float64Array, c: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[c] * v[c] * (i + 1) + Math.cos(v[c] * i);
  return s;
}

/** A literal index. @differentiable wrt(v) */
export function firstElement(v: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.cos(v[0] * i) * v[0];
  return s;
}

/** Two indices into one array (c may be 0): left as it is. @differentiable wrt(v) */
export function twoIndices(v: Float64Array, c: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[c] * v[c] * (i + 1) + Math.cos(v[0] * i);
  return s;
}

/** The index stays fixed through both loops: the local's store leaves the outer loop too. @differentiable wrt(v) */
export function nested(v: Float64Array, c: number, n: number, m: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) s += Math.exp(v[c] * (i - j) * 0.1);
  }
  return s;
}

/** The index changes in the loop, or the element is also rewritten: increments stay in the array. @differentiable wrt(v) */
export function mustStay(v: Float64Array, n: number): number {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    w[0] = w[0] * 0.5 + v[i];
    s += w[0] * v[i];
  }
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('local-accumulators', source);
});

/** The text of one generated function. */
function body(name: string): string {
  const at = m.text.indexOf(`export function ${name}(`);
  expect(at).toBeGreaterThanOrEqual(0);
  const rest = m.text.slice(at);
  return rest.slice(0, rest.indexOf('\n}\n'));
}

const v5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('adjoint accumulators in locals', () => {
  test('the triangular product: dxc[c] adds into a local stored once per c; exact gradients for d = 0..4', () => {
    for (const d of [0, 1, 2, 4]) {
      const L = Float64Array.from({ length: (d * (d - 1)) / 2 + 1 }, (_, i) => 0.4 - 0.15 * i);
      checkDerivatives(m, 'triangular', [v5(), L, d], { wrt: [0, 1] });
    }
    const vjp = body('valueAndVjp_triangular');
    // The loop filling xc is fused into the loop over c (transforms/fuse-loops.ts), which keeps the first counter, r.
    expect(vjp).toMatch(/let dxc_r = 0;/);
    expect(vjp).toMatch(/dxc_r \+= /);
    expect(vjp).toMatch(/dxc\[r\] \+= dxc_r;/);
    expect(vjp).not.toMatch(/dxc\[r\] \+= dt/);
  });

  test('a fixed element of a parameter, with an index in range, out of range, and loops that do not run', () => {
    for (const [c, n] of [[2, 4], [0, 3], [4, 0], [7, 0]] as const) checkDerivatives(m, 'fixedElement', [v5(), c, n], { wrt: [0] });
    expect(body('valueAndVjp_fixedElement')).toMatch(/dv\[c\] \+= dv_c;/);
    for (const n of [0, 3]) checkDerivatives(m, 'firstElement', [v5(), n], { wrt: [0] });
    expect(body('valueAndVjp_firstElement')).toMatch(/dv\[0\] \+= dv_0;/);
    // c out of range and a loop that does not run: the store after it is a no-op on the Float64Array.
    expect(Array.from(m.grad.grad_fixedElement(v5(), 7, 0) as Float64Array)).toEqual([0, 0, 0, 0, 0]);
  });

  test('an index fixed through two loops: one store after the outer loop', () => {
    for (const [n, mm] of [[3, 2], [0, 2], [2, 0]] as const) checkDerivatives(m, 'nested', [v5(), 1, n, mm], { wrt: [0] });
    const vjp = body('valueAndVjp_nested');
    expect(vjp.match(/dv\[c\] \+= /g)).toHaveLength(1);
  });

  test('an element the loop also reads or rewrites keeps its increments in the array', () => {
    for (const n of [0, 1, 4]) checkDerivatives(m, 'mustStay', [v5(), n], { wrt: [0] });
    expect(body('valueAndVjp_mustStay')).not.toMatch(/dw_0/);
    for (const c of [0, 2]) checkDerivatives(m, 'twoIndices', [v5(), c, 3], { wrt: [0] });
    expect(body('valueAndVjp_twoIndices')).not.toMatch(/dv_/);
  });
});
