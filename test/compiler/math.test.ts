/**
 * The `Math.*` functions and the `Math` / `Number` constants (issue #10,
 * item 7): each function differentiated inside the domain (reverse mode
 * against central finite differences, forward against reverse), then at
 * and near the edges of its domain, where the derivative is checked
 * against the exact value (Infinity at an edge where it blows up). The
 * docs must list every function and constant the compiler knows.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceText } from 'wengert/compiler';
import { mathFunctions } from '../../compiler/rules/scalar.ts';
import { mathConstants, numberConstants } from '../../compiler/frontend/lower-expr.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** @differentiable */
export function logs(x: number, y: number): number {
  return Math.log10(x * x + 1) * y + Math.log2(2 + y * y) + Math.log10(x + 3) * Math.log2(x + 4);
}

/** @differentiable */
export function hyperbolicInverses(x: number, y: number): number {
  return Math.asinh(x * y) + Math.acosh(1.5 + x * x) + Math.atanh(0.5 * Math.tanh(y)) * x;
}

/** @differentiable */
export function rounded(x: number, y: number): number {
  return Math.fround(x) * y + Math.fround(x * y);
}

/** @differentiable */
export function existing(x: number): number {
  return Math.log1p(x * x) + Math.expm1(0.5 * x) + Math.cbrt(2 + x);
}

/** Constants in arithmetic and in conditions. @differentiable */
export function constants(x: number): number {
  let s = Math.E * x + Math.PI * x * x + Math.LN2 * Math.LN10 * x + Math.LOG2E / Math.LOG10E + Math.SQRT2 * Math.SQRT1_2 * x;
  if (Math.abs(x) < Number.EPSILON) s = 0;
  if (x > Number.MAX_SAFE_INTEGER || x < Number.MIN_SAFE_INTEGER) s = -s;
  if (x < Number.POSITIVE_INFINITY && x > Number.NEGATIVE_INFINITY) s += Math.min(x, Number.MAX_VALUE) + Number.MIN_VALUE;
  return s + (Math.log2(Math.abs(x) + 1) > Math.LN2 ? x : 0);
}

/** Functions at the pole of their derivative, and a direction along y only. @differentiable */
export function poles(x: number, y: number): number {
  return 3 * y + Math.acosh(x) + Math.log10(x - 1) + Math.log2(x - 1) + Math.atanh(x - 2);
}

/** @differentiable */ export function log10At(x: number): number { return Math.log10(x); }
/** @differentiable */ export function log2At(x: number): number { return Math.log2(x); }
/** @differentiable */ export function asinhAt(x: number): number { return Math.asinh(x); }
/** @differentiable */ export function acoshAt(x: number): number { return Math.acosh(x); }
/** @differentiable */ export function atanhAt(x: number): number { return Math.atanh(x); }
/** @differentiable */ export function froundAt(x: number): number { return Math.fround(x); }
/** @differentiable */ export function log1pAt(x: number): number { return Math.log1p(x); }
/** @differentiable */ export function cbrtAt(x: number): number { return Math.cbrt(x); }
/** @differentiable */ export function expm1At(x: number): number { return Math.expm1(x); }
`;

type Unary = (x: number) => number;
type UnaryJvp = (x: number, dx: number) => [number, number];
type Binary = (x: number, y: number) => number;

let m: Built<Record<string, Unary>, Record<string, unknown>>;
beforeAll(async () => {
  m = await buildFixture('math-functions', source);
});

/** The derivative of `name` at x from grad_, and forward mode's tangent, which must agree exactly. */
function derivativeAt(name: string, x: number): number {
  const grad = (m.grad[`grad_${name}`] as Unary)(x);
  const [value, tangent] = (m.grad[`jvp_${name}`] as UnaryJvp)(x, 1);
  expect(value).toBe(m.source[name]!(x));
  expect(tangent).toBe(grad);
  return grad;
}

/** Relative error against an exact reference value. */
function relError(got: number, exact: number): number {
  return Math.abs(got - exact) / Math.abs(exact);
}

describe('inside the domain: reverse against finite differences, forward against reverse', () => {
  test.each([
    ['logs', [0.7, -1.3]],
    ['logs', [-2.1, 0.4]],
    ['hyperbolicInverses', [0.6, -0.8]],
    ['hyperbolicInverses', [-1.7, 1.1]],
    ['existing', [0.9]],
    ['existing', [-1.4]],
    ['constants', [0.8]],
    ['constants', [-2.5]],
  ] as const)('%s at %j', (name, args) => {
    checkDerivatives(m, name, [...args]);
  });

  test('fround: finite differences over a step much larger than float32 rounding', () => {
    // Central differences with h = 1e-6 would see float32 steps (about 1e-8 near 0.1) as noise.
    for (const [x, y] of [[0.1, 2.5], [-3.7, 0.3], [1e6 + 0.25, -1]]) {
      const f = m.source.rounded as unknown as Binary;
      const h = 1e-3 * Math.max(1, Math.abs(x!));
      const fdX = (f(x! + h, y!) - f(x! - h, y!)) / (2 * h);
      const fdY = (f(x!, y! + h) - f(x!, y! - h)) / (2 * h);
      const [gx, gy] = (m.grad.grad_rounded as (a: number, b: number) => [number, number])(x!, y!);
      expect(Math.abs(gx - fdX)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fdX)));
      expect(Math.abs(gy - fdY)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fdY)));
      const [, tangent] = (m.grad.jvp_rounded as (a: number, b: number, da: number, db: number) => [number, number])(x!, y!, 0.5, -2);
      expect(tangent).toBeCloseTo(0.5 * gx - 2 * gy, 9);
    }
  });
});

describe('at and near the edges of each domain', () => {
  test('log10 and log2: 1 / (x ln b) down to 0+, Infinity at 0', () => {
    for (const x of [1e-300, 1e-12, 3e-8, 0.5, 10]) {
      expect(relError(derivativeAt('log10At', x), 1 / (x * Math.LN10))).toBeLessThan(1e-15);
      expect(relError(derivativeAt('log2At', x), 1 / (x * Math.LN2))).toBeLessThan(1e-15);
    }
    expect(derivativeAt('log10At', 0)).toBe(Infinity);
    expect(derivativeAt('log2At', 0)).toBe(Infinity);
    // The smallest subnormal: the true derivative, about 9e322, overflows to Infinity.
    expect(derivativeAt('log10At', Number.MIN_VALUE)).toBe(Infinity);
    checkDerivatives(m, 'log10At', [1e-3], { fdTol: 1e-6 });
    checkDerivatives(m, 'log2At', [2e-3], { fdTol: 1e-6 });
  });

  test('acosh: Infinity at 1, exact 1 / sqrt((x - 1)(x + 1)) just above it', () => {
    expect(derivativeAt('acoshAt', 1)).toBe(Infinity);
    for (const k of [52, 40, 30, 20, 10]) {
      const d = 2 ** -k; // 1 + d is exact, so (x - 1)(x + 1) = d (2 + d) is the exact reference
      expect(relError(derivativeAt('acoshAt', 1 + d), 1 / Math.sqrt(d * (2 + d)))).toBeLessThan(1e-15);
    }
    expect(Number.isNaN(derivativeAt('acoshAt', 0.5))).toBe(true); // below the domain, as acosh itself
    checkDerivatives(m, 'acoshAt', [1.001], { fdTol: 1e-5 });
    checkDerivatives(m, 'acoshAt', [3]);
  });

  test('atanh: Infinity at +-1, exact 1 / ((1 - x)(1 + x)) just inside', () => {
    expect(derivativeAt('atanhAt', 1)).toBe(Infinity);
    expect(derivativeAt('atanhAt', -1)).toBe(Infinity);
    for (const k of [53, 40, 30, 20, 10]) {
      const d = 2 ** -k; // 1 - d is exact
      const exact = 1 / (d * (2 - d));
      expect(relError(derivativeAt('atanhAt', 1 - d), exact)).toBeLessThan(1e-15);
      expect(relError(derivativeAt('atanhAt', -(1 - d)), exact)).toBeLessThan(1e-15);
    }
    expect(derivativeAt('atanhAt', 0)).toBe(1);
    checkDerivatives(m, 'atanhAt', [0.999], { fdTol: 1e-5 });
    checkDerivatives(m, 'atanhAt', [-0.999], { fdTol: 1e-5 });
  });

  test('forward mode: a zero tangent at a pole contributes 0, not 0 * Infinity', () => {
    const jvp = m.grad.jvp_poles as (x: number, y: number, dx: number, dy: number) => [number, number];
    const [value, tangent] = jvp(1, 0.5, 0, 1);
    expect(value).toBe(-Infinity);
    expect(tangent).toBe(3);
    expect(jvp(1, 0.5, 1, 0)[1]).toBe(Infinity);
  });

  test('asinh: 1 at 0, 1 / sqrt(x^2 + 1) out to large |x|', () => {
    expect(derivativeAt('asinhAt', 0)).toBe(1);
    for (const x of [1e-8, -0.75, 3, -1e6, 1e150]) {
      expect(relError(derivativeAt('asinhAt', x), 1 / Math.hypot(x, 1))).toBeLessThan(1e-15);
    }
    // Past 1e154, x^2 overflows and the derivative (below 1e-154) comes out 0 (docs/derivatives.md).
    expect(derivativeAt('asinhAt', 1e200)).toBe(0);
    checkDerivatives(m, 'asinhAt', [-2.2]);
  });

  test('fround: derivative 1 wherever fround(x) is finite, including 0 and near float32 limits', () => {
    const largestFloat32 = 3.4028234663852886e38;
    for (const x of [0, -0.1, 1 / 3, 1e-40, 1e-46, -1e30, largestFloat32]) {
      expect(derivativeAt('froundAt', x)).toBe(1);
    }
  });

  test('log1p at -1, cbrt at 0: Infinity, with the exact value nearby; expm1 near 0 is exp(x)', () => {
    expect(derivativeAt('log1pAt', -1)).toBe(Infinity);
    expect(relError(derivativeAt('log1pAt', -1 + 2 ** -40), 2 ** 40)).toBeLessThan(1e-15);
    expect(derivativeAt('cbrtAt', 0)).toBe(Infinity);
    expect(relError(derivativeAt('cbrtAt', 1e-30), 1 / (3 * Math.cbrt(1e-30) ** 2))).toBeLessThan(1e-14);
    expect(relError(derivativeAt('cbrtAt', -8), 1 / 12)).toBeLessThan(1e-15);
    for (const x of [0, 1e-20, -1e-10, 2]) expect(relError(derivativeAt('expm1At', x), Math.exp(x))).toBeLessThan(1e-15);
  });
});

describe('the generated code', () => {
  test('type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')])).toEqual([]);
  });

  test('writes each rule with the constants and exact forms of its comment', () => {
    expect(m.text).toContain('Math.LOG10E / x');
    expect(m.text).toContain('Math.LOG2E / x');
    expect(m.text).toMatch(/Math\.sqrt\(\(x - 1\) \* \(x \+ 1\)\)/);
    expect(m.text).toMatch(/\(1 - x\) \* \(1 \+ x\)/);
  });

  test('fround keeps no tape: its derivative reads nothing from the forward sweep', () => {
    const section = m.text.slice(m.text.indexOf('export function valueAndVjp_froundAt'), m.text.indexOf('export function vjp_froundAt'));
    expect(section).toContain('Math.fround(x)');
    expect(section).not.toContain('tape');
  });
});

describe('refused, with a hint', () => {
  test.each(['clz32', 'imul', 'toString', 'constructor'])('Math.%s', (name) => {
    const args = name === 'imul' ? 'x, 2' : 'x';
    const r = compileSourceText('m.ts', `/** @differentiable */\nexport function f(x: number): number { return Math.${name}(${args}); }\n`);
    expect(r.files).toEqual([]);
    expect(r.diagnostics[0]?.message).toBe(`Math.${name} is not supported`);
    expect(r.diagnostics[0]?.hint).toContain('docs/supported.md');
  });
});

describe('the docs list what the compiler knows', () => {
  const supported = fs.readFileSync(new URL('../../docs/supported.md', import.meta.url), 'utf8');
  const derivatives = fs.readFileSync(new URL('../../docs/derivatives.md', import.meta.url), 'utf8');
  const mathLine = supported.slice(supported.indexOf('- `Math.`'), supported.indexOf('\n- ', supported.indexOf('- `Math.`') + 1));

  test.each(Object.keys(mathFunctions))('supported.md names Math.%s', (name) => {
    expect(mathLine).toMatch(new RegExp(`\\b${name}\\b`));
  });

  test.each([...Object.keys(mathConstants).map((c) => `Math.${c}`), ...Object.keys(numberConstants).map((c) => `Number.${c}`)])('supported.md names %s', (name) => {
    expect(supported).toContain(`\`${name}\``);
  });

  test.each(['log10', 'log2', 'asinh', 'acosh', 'atanh', 'fround', 'log1p', 'cbrt'])('derivatives.md gives the edge behaviour of Math.%s', (name) => {
    expect(derivatives).toContain(`\`Math.${name}`);
  });
});
