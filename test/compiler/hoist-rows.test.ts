/**
 * Row loads hoisted out of loops (compiler/emit/hoist-rows.ts): `X[i][j]` in
 * a loop over j reads the row `X[i]` once before the loop. Each case is
 * checked for its derivatives (reverse against finite differences, forward
 * against reverse) and for where the generated code reads its rows: hoisted
 * where the row cannot change during the loop, left in place where it can
 * (the matrix grown, the index stepped, user code called in the loop).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';

const source = `
/** Ridge regression over Float64Array rows. @differentiable wrt(w) */
export function ridge(w: Float64Array, X: Float64Array[], y: Float64Array, lambda: number): number {
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    let p = 0;
    for (let j = 0; j < w.length; j++) p += w[j] * X[i][j];
    const r = p - y[i];
    loss += r * r;
  }
  let reg = 0;
  for (let j = 0; j < w.length; j++) reg += w[j] * w[j];
  return loss / X.length + lambda * reg;
}

/** A local matrix that grows by a row in the loop that reads it. @differentiable wrt(w) */
export function pushed(w: number[]): number {
  const M: number[][] = [[1, 2]];
  let s = 0;
  for (let j = 0; j < 2; j++) {
    s += M[j][0] * w[j] + M[0][1] * w[j];
    M.push([w[1] * j, w[0]]);
  }
  return s + M[2][0];
}

/** The row index stepped inside the loop. @differentiable wrt(w) */
export function stepped(w: number[], X: number[][]): number {
  let s = 0;
  let k = 0;
  for (let j = 0; j < w.length; j++) {
    s += X[k][j] * w[j] * w[j];
    k = (k + 1) % X.length;
  }
  return s;
}

/** Recursive, so a call of it stays a call even where small helpers are inlined. @differentiable wrt(v) */
export function powr(v: number, n: number): number {
  if (n <= 0) return 1;
  return v * powr(v, n - 1);
}

/** A call of user code in the loop. @differentiable wrt(w) */
export function calls(w: number[], X: number[][]): number {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += powr(X[1][j] * w[j], 2);
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('hoist-rows/model', source);
});

/** The generated function called `name`. */
const fn = (name: string) => new RegExp(`export function ${name}\\(.*[^]*?\\n}`).exec(m.text)![0];

describe('row loads hoisted out of loops', () => {
  test('ridge: the row is read once per trip of the outer loop, in both sweeps', () => {
    const w = Float64Array.from([0.3, -0.7, 1.1]);
    const X = [Float64Array.from([1, 2, -1]), Float64Array.from([0.5, -0.2, 3]), Float64Array.from([-1, 0.4, 0.9])];
    const y = Float64Array.from([0.2, -0.4, 1.5]);
    checkDerivatives(m, 'ridge', [w, X, y, 0.1], { wrt: [0] });
    for (const name of ['valueAndVjp_ridge', 'jvp_ridge']) {
      const text = fn(name);
      expect(text, name).not.toMatch(/X\[i\]\[j\]/);
      expect(text, name).toMatch(/const X_i\d* = X\[i\];\n\s*(let \w+ = 0;\n\s*)?(while|for) /);
    }
  });

  test('a matrix that grows, an index stepped or user code called in the loop: the loads stay in place', () => {
    checkDerivatives(m, 'pushed', [[0.8, -1.3]]);
    expect(fn('valueAndVjp_pushed')).not.toMatch(/const M_0/);
    const X = [[1, 2, 3], [-0.5, 0.25, 2]];
    checkDerivatives(m, 'stepped', [[0.4, 1.2, -0.6], X], { wrt: [0] });
    expect(fn('valueAndVjp_stepped')).not.toMatch(/const X_k/);
    checkDerivatives(m, 'calls', [[0.4, 1.2, -0.6], X], { wrt: [0] });
    expect(fn('valueAndVjp_calls')).not.toMatch(/const X_1/);
    expect(fn('valueAndVjp_calls')).toMatch(/X\[1\]\[j\]/);
  });
});
