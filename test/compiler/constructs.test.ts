/**
 * Every construct the compiler accepts, built and run: reverse mode against
 * finite differences, forward mode against reverse mode, values against
 * the primal (test/helpers/check.ts), at points that include 0 and
 * negative values.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** @differentiable */
export function arithmetic(a: number, b: number): number {
  let s = a * b - a / (b * b + 1);
  s += a; s -= 0.5 * b; s *= 1.5; s /= (2 + b * b);
  let k = 0; k++; ++k; k--;
  const u = -s + +a;
  return u ** 3 + (a - b) ** 2 + 2 ** a + k * s;
}

/** @differentiable */
export function mathFunctions(x: number, y: number): number {
  const p = 0.3 * Math.tanh(x);
  return Math.exp(x) + Math.log(1 + x * x) + Math.log1p(y * y) + Math.expm1(0.5 * x)
    + Math.sqrt(1 + y * y) + Math.cbrt(2 + x) + Math.pow(1 + y * y, x) + Math.sin(x) * Math.cos(y)
    + Math.tan(0.5 * x) + Math.asin(p) + Math.acos(p) + Math.atan(y) + Math.atan2(y, 1 + x * x)
    + Math.sinh(x) + Math.cosh(y) + Math.tanh(x * y) + Math.abs(x - 0.25) + Math.max(x, y, 0.1)
    + Math.min(x, y) + Math.hypot(x, y, 1) + Math.sign(x) + Math.floor(x) + Math.ceil(y)
    + Math.round(x) + Math.trunc(y) + Math.PI * x;
}

/** @differentiable */
export function branches(x: number, y: number): number {
  let r = 0;
  if (x > 0 && y > 0) r = x * y;
  else if (x > 0 || !(y > 1)) r = x - y * y;
  else r = Math.exp(x);
  const t = x < y ? x * 2 : y * 3;
  return r + t;
}

/** @differentiable */
export function convergence(a: number): number {
  // Newton's method for sqrt(a): the trip count depends on the data.
  let x = a;
  let prev = 0;
  let iters = 0;
  while (Math.abs(x - prev) > 1e-12 && iters < 100) {
    prev = x;
    x = 0.5 * (x + a / x);
    iters++;
  }
  return x;
}

/** @differentiable */
export function doWhile(x: number): number {
  let v = x;
  let n = 0;
  do {
    v = Math.sin(v) + x;
    n++;
  } while (n < 5);
  return v;
}

/** @differentiable */
export function breakContinue(xs: number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    if (i === 1) continue;
    if (xs[i] > 10) break;
    s += xs[i] * xs[i];
  }
  return s;
}

/** @differentiable */
export function earlyReturn(xs: number[], limit: number): number {
  let acc = 1;
  for (const x of xs) {
    acc *= 1 + x;
    if (acc > limit) return acc * 2;
  }
  if (acc < 0) return -acc;
  return acc;
}

/** @differentiable wrt(x) */
export function nested(x: number, n: number): number {
  let s = 0;
  outer: for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j > i) continue outer;
      if (i + j > 6) break outer;
      s += Math.sin(x * (i + 1)) * (j + 1);
    }
  }
  return s;
}

/** @differentiable */
export function localArrays(x: Float64Array): number {
  const n = x.length;
  const sq = new Float64Array(n);
  const acc: number[] = [];
  const zeros = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    sq[i] = x[i] * x[i];
    zeros[n - 1 - i] = sq[i] + 1;
    acc.push(Math.exp(-x[i]));
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    sq[i] += zeros[i] * acc[i];
    s += sq[i] * acc[acc.length - 1 - i];
  }
  return s;
}

/** @differentiable */
export function helper(a: number, b: number): number {
  return a * Math.exp(b);
}

/** @differentiable */
export function usesHelper(x: number, y: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) s += helper(x + i, y * s + 0.1);
  return s + helper(y, x);
}

/** @differentiable */
export function sumSquares(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  return s;
}

/** @differentiable */
export function passesArrays(v: Float64Array, w: number): number {
  const scratch = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) scratch[i] = v[i] * w;
  const a = sumSquares(scratch);
  scratch[0] = 7 * w;
  return a + sumSquares(v) * w + sumSquares(scratch);
}

export interface Params { w: number[]; b: number; pair: [number, number] }

/** @differentiable wrt(p) */
export function structured(p: Params, x: number[]): number {
  let s = p.b;
  for (let i = 0; i < x.length; i++) s += p.w[i] * x[i];
  return Math.tanh(s) * p.pair[0] + p.pair[1] * p.pair[1];
}

/** @differentiable */
export function matrixParam(m: number[][], v: number[]): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) {
    const row = m[i];
    for (let j = 0; j < row.length; j++) s += row[j] * v[j] * (i + 1);
  }
  return s;
}

/** @differentiable */
export const arrow = (x: number, y: number): number => x * y + Math.sin(x);

/** @differentiable */
export function reassignedParam(x: number, y: number): number {
  x = x * y;
  x = x + y * x;
  return x;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('constructs', source);
});

const points2 = [[0.7, -1.3], [-0.4, 0.9], [1.6, 0.2], [0, 0.5]];

describe('constructs, checked against finite differences and forward mode', () => {
  test('arithmetic operators, compound assignment, ++/--', () => {
    for (const p of points2) checkDerivatives(m, 'arithmetic', p);
  });
  test('every supported Math function', () => {
    for (const p of [[0.7, -1.3], [-0.4, 0.9], [1.6, 0.2]]) checkDerivatives(m, 'mathFunctions', p);
  });
  test('if / else if / else, && || !, ternary', () => {
    // (x = 0 is a jump of this function, so finite differences are not valid there.)
    for (const p of [[0.7, -1.3], [-0.4, 0.9], [1.6, 0.2], [2, 3], [-2, 3], [-0.5, 0]]) checkDerivatives(m, 'branches', p);
  });
  test('a while loop that iterates until convergence', () => {
    for (const a of [2, 9, 0.25]) {
      const g = checkDerivatives(m, 'convergence', [a]);
      expect(g[0]).toBeCloseTo(0.5 / Math.sqrt(a), 9);
    }
  });
  test('do...while', () => {
    for (const x of [0.3, -1.2, 0]) checkDerivatives(m, 'doWhile', [x]);
  });
  test('break and continue', () => {
    checkDerivatives(m, 'breakContinue', [[1.5, -2, 0.5, 20, 3]]);
    checkDerivatives(m, 'breakContinue', [[0.1, 0.2, -0.3]]);
  });
  test('return inside a loop and in branches', () => {
    checkDerivatives(m, 'earlyReturn', [[0.5, 1, 2, 3], 4]);
    checkDerivatives(m, 'earlyReturn', [[0.1, 0.2], 100]);
    checkDerivatives(m, 'earlyReturn', [[-3, 0.5], 100]);
  });
  test('nested loops with labelled break and continue', () => {
    for (const n of [0, 2, 5]) checkDerivatives(m, 'nested', [0.4, n], { wrt: [0] });
  });
  test('local arrays: new Float64Array, new Array(n).fill(0), push, element writes', () => {
    checkDerivatives(m, 'localArrays', [Float64Array.from([0.5, -1, 2, 0])]);
  });
  test('calls to other differentiable functions, inside loops', () => {
    for (const p of points2) checkDerivatives(m, 'usesHelper', p);
  });
  test('for...of and calls with array arguments, including a local array written after the call', () => {
    checkDerivatives(m, 'sumSquares', [Float64Array.from([1, -2, 3])]);
    checkDerivatives(m, 'passesArrays', [Float64Array.from([1, -2, 3]), 0.7]);
  });
  test('object and tuple parameters give gradients of the same structure', () => {
    const p = { w: [0.5, -0.25, 1], b: 0.1, pair: [2, -3] as [number, number] };
    const x = [1, 2, -1];
    const g = m.grad.grad_structured(p, x);
    expect(Object.keys(g)).toEqual(['w', 'b', 'pair']);
    expect(g.w).toHaveLength(3);
    expect(g.pair).toHaveLength(2);
    checkDerivatives(m, 'structured', [p, x], { wrt: [0] });
  });
  test('number[][] parameters and const row aliases', () => {
    checkDerivatives(m, 'matrixParam', [[[1, 2], [3, -4]], [0.5, -1]]);
  });
  test('arrow functions and reassigned parameters', () => {
    for (const p of points2) {
      checkDerivatives(m, 'arrow', p);
      checkDerivatives(m, 'reassignedParam', p);
    }
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
