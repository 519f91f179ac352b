/**
 * An increment of an adjoint element folded into the read that empties it
 * (issue #11, compiler/emit/fold-increments.ts):
 * `dxc[r] += e; ...; const d = dxc[r]; dxc[r] = 0;` becomes
 * `...; const d = dxc[r] + e; dxc[r] = 0;`.
 *
 * Two halves:
 *   - a differentiable fixture with GMM's pattern (a store into a scratch
 *     array, read back in the same loop after loop fusion), checked against
 *     central finite differences and forward against reverse mode, with the
 *     folded read in its reverse sweep and no increment of that element left;
 *   - the pass on hand-written functions run before and after on the same
 *     inputs, where each refused rewrite would change the result: an array
 *     that is not fresh (a parameter, which another name may alias), a
 *     statement between that reassigns the index or what is added, a loop
 *     or a jump between, and an array read elsewhere in the declaration.
 *     Each fails when its rule is dropped from the pass (tried by deleting
 *     the rule: the rewritten function returns another value).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, functionText, type Built } from '../helpers/generate.ts';
import { foldIncrements } from '../../compiler/emit/fold-increments.ts';
import { applyPass, sameResults as sameAfterPass } from '../helpers/emit-pass.ts';

const source = `
/** GMM's residual: xc[r] stored, then read back by the fused second loop. @differentiable wrt(x, mu, q) */
export function residual(x: Float64Array, mu: Float64Array, q: Float64Array, d: number): number {
  const xc = new Float64Array(d);
  const y = new Float64Array(d);
  for (let r = 0; r < d; r++) xc[r] = x[r] - mu[r];
  for (let r = 0; r < d; r++) y[r] = Math.exp(q[r]) * xc[r];
  let s = 0;
  for (let r = 0; r < d; r++) s += y[r] * y[r] + xc[r];
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('fold-increments', source);
});

/** The text of one generated function. */
const body = (name: string): string => functionText(m.text, name);

const v = (...xs: number[]) => Float64Array.from(xs);

describe('folded increments in generated code', () => {
  test('the residual reads and empties dxc[r] with the increment folded in, and its derivatives are right', () => {
    const reverse = body('valueAndVjp_residual');
    expect(reverse).toMatch(/const dt\d+ = dxc\[r\] \+ dt\d+;\n\s*dxc\[r\] = 0;/);
    expect(reverse).not.toMatch(/dxc\[r\] \+= /);
    for (const d of [0, 1, 3]) {
      const args = [v(0.3, -0.7, 1.1).subarray(0, d), v(0.1, 0.2, -0.4).subarray(0, d), v(0.5, -0.25, 0.125).subarray(0, d), d];
      checkDerivatives(m, 'residual', args, { wrt: [0, 1, 2] });
    }
  });
});

const folded = (src: string): string => applyPass(foldIncrements, src);
const sameResults = (src: string, name: string, args: () => unknown[]): string => sameAfterPass(foldIncrements, src, name, args);

describe('the pass on hand-written code', () => {
  test('increments into a fresh array fold into its read-and-empty, in their order', () => {
    const src = `function f(a: number, b: number): number[] {
  const dxc = new Float64Array(2);
  const other = new Float64Array(2);
  dxc[1] = 0.1;
  dxc[1] += a;
  other[0] += b;
  dxc[1] += b * 3;
  const d = dxc[1];
  dxc[1] = 0;
  return [d, other[0], dxc[1]];
}`;
    const after = sameResults(src, 'f', () => [0.2, 0.7]);
    expect(after).toMatch(/const d = dxc\[1\] \+ a \+ b \* 3;/);
    expect(after).not.toMatch(/dxc\[1\] \+= /);
  });

  test('a parameter array is not fresh: another name may be the same array', () => {
    const src = `function f(dxc: Float64Array, alias: Float64Array, e: number): number {
  const fresh = new Float64Array(1);
  fresh[0] += e;
  dxc[0] += e;
  alias[0] = 100;
  const d = dxc[0];
  dxc[0] = 0;
  const g = fresh[0];
  fresh[0] = 0;
  return d + g;
}`;
    const shared = () => {
      const x = v(1);
      return [x, x, 2];
    };
    const after = sameResults(src, 'f', shared);
    expect(after).toMatch(/dxc\[0\] \+= e;/);
    expect(after).toMatch(/const g = fresh\[0\] \+ e;/);
  });

  test('a statement between that reassigns the index or what is added keeps the increment', () => {
    const index = `function f(e: number): number {
  const dxc = new Float64Array(3);
  let i = 0;
  dxc[i] += e;
  i = 2;
  const d = dxc[i];
  dxc[i] = 0;
  return 10 * d + dxc[0];
}`;
    expect(sameResults(index, 'f', () => [5])).toMatch(/dxc\[i\] \+= e;/);
    const added = `function f(e: number): number {
  const dxc = new Float64Array(1);
  let t = e;
  dxc[0] += t;
  t = 10;
  const d = dxc[0];
  dxc[0] = 0;
  return d + t;
}`;
    expect(sameResults(added, 'f', () => [5])).toMatch(/dxc\[0\] \+= t;/);
  });

  test('a loop, a branch or a jump between keeps the increment', () => {
    const jump = `function f(e: number, n: number): number {
  const dxc = new Float64Array(1);
  let s = 0;
  for (let k = 0; k < n; k++) {
    dxc[0] += e;
    if (k === 1) break;
    const d = dxc[0];
    dxc[0] = 0;
    s += d;
  }
  return s + dxc[0];
}`;
    expect(sameResults(jump, 'f', () => [2, 3])).toMatch(/dxc\[0\] \+= e;/);
    const loop = `function f(e: number): number {
  const dxc = new Float64Array(1);
  let t = e;
  dxc[0] += t;
  for (let k = 0; k < 2; k++) t += 1;
  const d = dxc[0];
  dxc[0] = 0;
  return d + t;
}`;
    expect(sameResults(loop, 'f', () => [5])).toMatch(/dxc\[0\] \+= t;/);
  });

  test('a read that mentions the array twice, or is not followed by the emptying store, keeps the increment', () => {
    const twice = `function f(e: number): number {
  const dxc = new Float64Array(2);
  dxc[0] += e;
  const d = dxc[0] + dxc[1];
  dxc[0] = 0;
  return d;
}`;
    expect(folded(twice)).toMatch(/dxc\[0\] \+= e;/);
    const kept = `function f(e: number): number {
  const dxc = new Float64Array(1);
  dxc[0] += e;
  const d = dxc[0];
  dxc[0] += 1;
  return d + dxc[0];
}`;
    expect(sameResults(kept, 'f', () => [5])).toMatch(/dxc\[0\] \+= e;/);
  });
});
