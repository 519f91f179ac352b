/**
 * Derivative rules at their edge points: no rule may give NaN where the
 * true derivative is finite, and at kinks each gives its documented
 * subgradient (docs/derivatives.md): abs'(0) = 0, max and min give a tie
 * to the first argument, hypot at the origin gives 0. Forward and reverse
 * mode must agree on each (the columns of jvp are the gradient).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';

const source = `
/** @differentiable */
export function sqrtUntakenTernary(x: number): number {
  return x > 0 ? Math.sqrt(x) : x * x;
}

/** @differentiable */
export function sqrtUntakenIf(x: number): number {
  let r = 0;
  if (x > 0) r = Math.sqrt(x);
  else r = 2 * x;
  return r;
}

/** @differentiable */
export function logUntaken(x: number): number {
  let r = x;
  if (x > 0) r = Math.log(x);
  return r;
}

/** @differentiable */
export function divisionUntaken(x: number, y: number): number {
  return y !== 0 ? x / y : x;
}

/** @differentiable */
export function abs(x: number): number {
  return Math.abs(x);
}

/** @differentiable */
export function max2(a: number, b: number): number {
  return Math.max(a, b);
}

/** @differentiable */
export function min2(a: number, b: number): number {
  return Math.min(a, b);
}

/** @differentiable */
export function max3(a: number, b: number, c: number): number {
  return Math.max(a, b, c);
}

/** @differentiable */
export function square(x: number): number {
  return x ** 2;
}

/** @differentiable */
export function zeroth(x: number): number {
  return x ** 0;
}

/** @differentiable */
export function pow(x: number, y: number): number {
  return Math.pow(x, y);
}

/** @differentiable */
export function powOperator(x: number, n: number): number {
  return x ** n;
}

/** @differentiable */
export function hypot2(a: number, b: number): number {
  return Math.hypot(a, b);
}

/** @differentiable */
export function hypot3(a: number, b: number, c: number): number {
  return Math.hypot(a, b, c);
}

/** @differentiable */
export function signTimes(x: number): number {
  return Math.sign(x) * x;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('numeric-edges', source);
});

/** The gradient as a flat list, from reverse mode. */
function reverse(name: string, args: number[]): number[] {
  const g = m.grad[`grad_${name}`](...args);
  return typeof g === 'number' ? [g] : (g as number[]);
}

/** The gradient as a flat list, from forward mode (one jvp per unit direction). */
function forward(name: string, args: number[]): number[] {
  return args.map((_, i) => m.grad[`jvp_${name}`](...args, ...args.map((__, j) => (i === j ? 1 : 0)))[1] as number);
}

/** -0 and 0 are the same subgradient. */
const unsigned = (xs: number[]) => xs.map((x) => (x === 0 ? 0 : x));

/** Both modes give `expected` exactly (-0 counts as 0). */
function expectGradient(name: string, args: number[], expected: number[]): void {
  expect(unsigned(reverse(name, args))).toEqual(expected);
  expect(unsigned(forward(name, args))).toEqual(expected);
}

describe('no NaN from a branch that is not taken', () => {
  test('x > 0 ? sqrt(x) : x * x at x = -1 and x = 0', () => {
    expectGradient('sqrtUntakenTernary', [-1], [-2]);
    expectGradient('sqrtUntakenTernary', [0], [0]);
  });
  test('if (x > 0) r = sqrt(x) else r = 2x at x = -1 and x = 0', () => {
    expectGradient('sqrtUntakenIf', [-1], [2]);
    expectGradient('sqrtUntakenIf', [0], [2]);
  });
  test('log(x) behind x > 0 at x = -1 and x = 0', () => {
    expectGradient('logUntaken', [-1], [1]);
    expectGradient('logUntaken', [0], [1]);
  });
  test('x / y behind y !== 0 at y = 0', () => {
    expectGradient('divisionUntaken', [1, 0], [1, 0]);
  });
});

describe('documented subgradients at kinks', () => {
  test("abs'(0) = 0, for 0 and -0", () => {
    expectGradient('abs', [0], [0]);
    expectGradient('abs', [-0], [0]);
  });
  test('max and min give a tie to the first argument', () => {
    expectGradient('max2', [1, 1], [1, 0]);
    expectGradient('min2', [1, 1], [1, 0]);
    expectGradient('max3', [2, 2, 2], [1, 0, 0]);
    expectGradient('max3', [1, 2, 2], [0, 1, 0]);
  });
  test('hypot at the origin gives 0', () => {
    expectGradient('hypot2', [0, 0], [0, 0]);
    expectGradient('hypot3', [0, 0, 0], [0, 0, 0]);
  });
  test('sign(x) * x at 0 gives 0 (sign has zero derivative)', () => {
    expectGradient('signTimes', [0], [0]);
  });
});

describe('powers at a zero base', () => {
  test('x ** 2 and x ** 0 at x = 0', () => {
    expectGradient('square', [0], [0]);
    expectGradient('zeroth', [0], [0]);
  });
  test('Math.pow(0, y) for y = 2, 1 and 0: finite, d/dy = 0', () => {
    expectGradient('pow', [0, 2], [0, 0]);
    expectGradient('pow', [0, 1], [1, 0]);
    expectGradient('pow', [0, 0], [0, 0]);
  });
  test('x ** n with a variable exponent at x = 0', () => {
    expectGradient('powOperator', [0, 0], [0, 0]);
    expectGradient('powOperator', [0, 1], [1, 0]);
    expectGradient('powOperator', [0, 2], [0, 0]);
  });
  test('Math.pow(0, 0.5): d/dx is +Infinity, d/dy = 0 in reverse mode', () => {
    expect(reverse('pow', [0, 0.5])).toEqual([Infinity, 0]);
  });
  // fuzz-findings N1, fixed: a zero tangent no longer meets the infinite d/dx.
  test('Math.pow(0, 0.5): forward mode along y gives d/dy = 0, not NaN [N1]', () => {
    expect(m.grad.jvp_pow(0, 0.5, 0, 1)[1]).toBe(0);
  });
});
