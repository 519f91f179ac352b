/**
 * A fuzzer finding (npm run fuzz -- --count 300 --seed 5151, programs 149
 * and 279): the simplify pass's first-contribution folding crashed with
 * "Cannot read properties of undefined (reading 'length')" on an adjoint
 * declaration that no statement of its list mentions. The program builds,
 * its derivatives match finite differences and forward mode matches reverse.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';

const source = `
/** @differentiable */
export function h0(x0: number, x1: number, xs2: Float64Array): number {
  let v1 = xs2.reduce((acc1: number, p1: number, j1: number) => acc1 * 0.5 + 1);
  let v2 = x1 * (2.58 / 4);
  x0 = -(xs2[0]! - (-1));
  v1 = -1;
  return xs2.indexOf(xs2[0]!) + v1 + v2;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h4-simplify-unmentioned', source);
});

describe('simplify: an adjoint declaration nothing mentions', () => {
  test('builds, and its derivatives are right', () => {
    const g = checkDerivatives(m, 'h0', [0.3, -1.2, Float64Array.from([0.5, 2])]);
    expect(g[1]).toBeCloseTo(2.58 / 4, 14);
  });
});
