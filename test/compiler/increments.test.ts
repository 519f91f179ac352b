/**
 * The adjoint of an increment `a[i] = a[i] + e` (GMM's `qxc[r] += icf[li] *
 * xc[c]`, compiler/transforms/reverse.ts incrementsOf) passes the element's
 * cotangent through: it is read, not zeroed and added back. Checked against
 * central finite differences and forward against reverse mode, with the
 * cases that must keep the zeroing: another store between the load and the
 * store, the loaded value read twice, an index changed in between, and a
 * subtraction from the element.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';

const source = `
/** @differentiable wrt(a) */
export function triangle(a: Float64Array, n: number): number {
  const q = new Float64Array(n);
  for (let r = 0; r < n; r++) q[r] = a[r] * a[r];
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) q[r] += a[c] * q[c];
  }
  let s = 0;
  for (let r = 0; r < n; r++) s += Math.sin(q[r]);
  return s;
}

/** @differentiable wrt(a) */
export function notIncrements(a: Float64Array, n: number): number {
  const q = new Float64Array(n + 1);
  for (let r = 0; r < n; r++) q[r] = a[r];
  for (let r = 0; r < n; r++) {
    const old = q[r];
    q[n - r - 1] = old * 0.5;
    q[r] = old + a[r];
    const twice = q[r];
    q[r] = twice + twice * a[r];
    q[n] = a[r] - q[n];
    let i = r;
    const v = q[i];
    i = (r + 1) % n;
    q[i] = v + 1;
  }
  let s = 0;
  for (let r = 0; r <= n; r++) s += q[r] * q[r];
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h5-increments', source);
});

const a5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('increments of array elements', () => {
  test('q[r] += e: exact gradients, the cotangent read and not zeroed', () => {
    for (const n of [1, 3, 5]) checkDerivatives(m, 'triangle', [a5(), n], { wrt: [0] });
    const at = m.text.indexOf('export function valueAndVjp_triangle(');
    const vjp = m.text.slice(at, m.text.indexOf('\n}\n', at));
    // The triangular loop's adjoint: dq[r] is read once, never set to 0 there.
    const inner = vjp.slice(vjp.indexOf('= dq[r'), vjp.indexOf('= dq[r') + 200);
    expect(inner).not.toMatch(/dq\[r(_\d+)?\] = 0;/);
  });

  test('stores between, a value read twice, a changed index, a subtraction: still exact', () => {
    for (const n of [1, 2, 5]) checkDerivatives(m, 'notIncrements', [a5(), n], { wrt: [0] });
  });
});
