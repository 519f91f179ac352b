/**
 * The types people write (issue #10, item 5): booleans reassigned and
 * passed on, string and string-literal-union parameters in conditions and
 * passed to helpers, numeric enums, module-level constants (numbers,
 * arrays, objects, imported ones) inlined, readonly arrays, default and
 * optional parameters. Each function is checked in reverse mode against
 * central finite differences and in forward mode against reverse mode; the
 * generated file type-checks under strict; what stays refused says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceText, formatDiagnostic } from 'wengert/compiler';
import { flatten, randn, Rng } from 'wengert';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, generatedDir, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

/** Constants another module exports: imported, followed to their declarations and inlined. */
const library = `
export const SLOPE = 0.25;
export const SCALES = [1, 2, 4] as const;
export enum Level { Low = 1, High = 10 }
`;

const source = `
import { Tensor, leakyRelu, mul, relu, sum, tanh } from 'wengert';
import { Level, SCALES, SLOPE } from './i10-types-lib.ts';

// ---- booleans ----

/** A boolean local set in a branch and flipped. @differentiable */
export function boolLocal(x: number): number {
  let positive = false;
  if (x > 0) positive = true;
  positive = !positive;
  return positive ? x * x : 3 * x;
}

/** @differentiable */
export function pick(x: number, flag: boolean): number {
  return flag ? x * x : -x;
}

/** A flag reassigned every trip and passed to a helper: its value at each call is kept for the reverse sweep. @differentiable wrt(x) */
export function alternate(x: number, n: number): number {
  let flag = false;
  let y = x;
  for (let i = 0; i < n; i++) {
    y = pick(y, flag) + 0.5;
    flag = !flag;
  }
  return y;
}

/** Flags computed from values, &&= and ||=. @differentiable wrt(x) */
export function flags(x: number, n: number): number {
  let big = false;
  let y = x;
  for (let i = 0; i < n; i++) {
    y = y * 1.5;
    big = y > 3;
    if (big) y = Math.sqrt(y);
  }
  let done = true;
  done &&= y > 0;
  let seen = false;
  seen ||= x < 0;
  return pick(y, done) + pick(x, big) + (seen ? 1 : 2) * y;
}

/** The right side of &&= runs only when the flag is true, with its update (found by the fuzzer). @differentiable wrt(x) */
export function shortCircuit(x: number, flag: boolean): number {
  let t = x;
  flag &&= 2 * t > t++;
  return flag ? t * x : t + x * x;
}

// ---- strings ----

export type Activation = 'relu' | 'tanh' | 'leaky';

/** @differentiable */
export function activate(z: Tensor, activation: Activation): Tensor {
  if (activation === 'relu') return relu(z);
  if (activation === 'leaky') return leakyRelu(z, LEAKY_SLOPE);
  return tanh(z);
}

/** A string-literal union passed to a Tensor helper. @differentiable wrt(x) */
export function net(x: Tensor, activation: Activation): number {
  const h = activate(x, activation);
  return sum(mul(h, h)) as number;
}

export interface Layer { w: number; activation: Activation }

/** @differentiable */
export function unit(x: number, activation: Activation): number {
  if (activation === 'relu') return x > 0 ? x : 0;
  if (activation === 'leaky') return x > 0 ? x : LEAKY_SLOPE * x;
  return Math.tanh(x);
}

/** A string field of each layer, a conditional string argument, a string local reassigned in the loop. @differentiable */
export function layers(x: number, ls: Layer[], first: Activation): number {
  let y = x;
  let mode: Activation = first;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    y = unit(l.w * y, l.activation) + unit(y, i % 2 === 0 ? first : 'tanh') + unit(0.5 * y, mode);
    mode = mode === 'tanh' ? 'leaky' : 'tanh';
  }
  return y;
}

/** A plain string parameter. @differentiable */
export function named(x: number, name: string): number {
  if (name === 'double') return 2 * x * x;
  if (name !== 'none') return Math.sin(x);
  return x;
}

const MODE_A: string = 'a';
const MODE_B: string = 'b';

/** Constants typed string compared inside tests that narrow the parameter: the generated code keeps them strings. @differentiable */
export function narrowed(x: number, mode: 'a' | 'b' | 'c'): number {
  if (mode === MODE_A) return x;
  if (mode !== MODE_A && mode === MODE_B) return x * x;
  return mode === MODE_B ? 0 : Math.sin(x);
}

// ---- enums ----

export enum Kind { Square = 1, Cube = 2 }

/** @differentiable */
export function power(x: number, k: Kind): number {
  if (k === Kind.Square) return x * x;
  return x * x * x + k;
}

/** Enum members passed on, an enum read as a number, an enum default. @differentiable */
export function powers(x: number, k: Kind = Kind.Cube): number {
  return power(x, Kind.Cube) + power(x, Kind.Square) + power(x, k) * k + Level.High * x;
}

// ---- module constants ----

const LEAKY_SLOPE = 0.01;
const TWO_PI = 2 * Math.PI;
const SQRT2 = Math.sqrt(2);
const COEFS = [1, -0.5, 0.25] as const;
const TABLE = { rows: [2, 3, 5], scale: 0.5 } as const;
const FROZEN = Object.freeze({ gain: 1.5 });
const GAINS: readonly number[] = [0.5, 1.5];
/** Not exported, and only ever read: inlined although not marked read-only. */
const PRIVATE_WEIGHTS = [3, -1];
const MIX = [[1, 0.5], [-2, 3]] as const;

/** A constant table read at computed indexes: one local number[][] per call. @differentiable */
export function mixed(x: number, y: number): number {
  const v = [x, y];
  let s = 0;
  for (let i = 0; i < MIX.length; i++) for (let j = 0; j < MIX[i]!.length; j++) s += MIX[i]![j]! * v[j]! * v[i]!;
  return s + MIX[1]![0]! * x;
}

/** Numbers, constant paths into arrays and objects, lengths, computed indexes, for...of. @differentiable */
export function poly(x: number): number {
  let s = 0;
  for (let i = 0; i < COEFS.length; i++) s += COEFS[i]! * x ** i;
  for (const c of COEFS) s += c * x;
  for (let j = 0; j < TABLE.rows.length; j++) s += TABLE.rows[j]! * Math.sin(x + j);
  return s * TABLE.scale + TABLE.rows[1]! * x + Math.sin(TWO_PI * x) / SQRT2 + FROZEN.gain * x + GAINS[1]! * x + PRIVATE_WEIGHTS[0]! * x;
}

/** Constants imported from another module. @differentiable wrt(x) */
export function imported(x: number, i: number): number {
  return SLOPE * x + SCALES[i]! * x * x + Level.Low * x;
}

// ---- readonly arrays ----

/** @differentiable */
export function readonlyArrays(a: readonly number[], b: ReadonlyArray<number>, m: readonly (readonly number[])[], p: Readonly<{ w: number }>): number {
  let s = 0;
  for (const v of a) s += v * v;
  for (let i = 0; i < b.length; i++) s += a[i]! * b[i]!;
  for (const row of m) s += row[0]! * row[1]!;
  return s * p.w;
}

// ---- default and optional parameters ----

/** @differentiable */
export function scaled(x: number, k = 3): number {
  return x * k;
}

/** @differentiable */
export function optional(x: number, k?: number): number {
  return x * (k ?? 2);
}

/** The fallback is differentiated when k is left out. @differentiable */
export function optionalFallback(x: number, k?: number): number {
  return Math.sin(k ?? x * x) + (k === undefined ? 0 : k * x);
}

/** Defaults and optional parameters left out and given. @differentiable */
export function callsDefaults(x: number): number {
  return scaled(x) + scaled(x, 2) + optional(x) + optional(x, 5) + optionalFallback(x) + optionalFallback(x, 0.5);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  fs.mkdirSync(generatedDir, { recursive: true });
  fs.writeFileSync(path.join(generatedDir, 'i10-types-lib.ts'), library);
  m = await buildFixture('i10-types', source);
});

describe('booleans', () => {
  test('a boolean local set in a branch and flipped', () => {
    for (const x of [0.7, -1.3, -0.2]) checkDerivatives(m, 'boolLocal', [x]);
  });

  test('a flag reassigned in a loop and passed to a helper gives each call its own value', () => {
    for (const n of [0, 1, 2, 3, 6]) checkDerivatives(m, 'alternate', [0.7, n], { wrt: [0] });
    // Without the flag's value at each call the reverse sweep would take the last one: -1 at every step, not this.
    // pick(y, false) = -y, then pick(y, true) = y * y: d/dx of (0.5 - x)^2 + 0.5.
    expect(m.grad.grad_alternate(0.7, 2)).toBeCloseTo(2 * (0.7 - 0.5), 12);
  });

  test('flags computed from values, &&= and ||=', () => {
    for (const [x, n] of [[0.7, 3], [2.5, 2], [-0.4, 4], [1.1, 0]] as const) checkDerivatives(m, 'flags', [x, n], { wrt: [0] });
  });

  test('the right side of &&= runs only when it is needed', () => {
    for (const flag of [true, false]) checkDerivatives(m, 'shortCircuit', [0.7, flag], { wrt: [0] });
    // With flag false, t stays x: f = x + x^2, f' = 1 + 2x (the update t++ must not run).
    expect(m.grad.grad_shortCircuit(0.7, false)).toBeCloseTo(1 + 2 * 0.7, 12);
  });
});

describe('strings', () => {
  const rng = new Rng(3);
  const x = randn([4, 3], rng, { dtype: 'float64' });

  test('a string-literal union chooses the activation of a Tensor helper', () => {
    for (const activation of ['relu', 'tanh', 'leaky']) {
      const g = flatten(m.grad.grad_net(x, activation));
      const fd = finiteDifferenceGradient((t) => m.source.net(t, activation), [x], [0], 1e-6);
      expect(maxRelError(g, fd)).toBeLessThan(1e-6);
      const v = randn([4, 3], rng, { dtype: 'float64' });
      const [y, dy] = m.grad.jvp_net(x, activation, v);
      expect(y).toBeCloseTo(m.source.net(x, activation), 12);
      expect(dy).toBeCloseTo(dotFlat(g, flatten(v)), 9);
    }
  });

  test('string fields, conditional string arguments and a string local reassigned in a loop', () => {
    const ls = [{ w: 0.8, activation: 'relu' }, { w: -1.2, activation: 'leaky' }, { w: 0.4, activation: 'tanh' }];
    for (const first of ['relu', 'tanh', 'leaky']) {
      for (const x0 of [0.6, -0.9]) checkDerivatives(m, 'layers', [x0, ls, first], { wrt: [0, 1] });
    }
  });

  test('a plain string parameter', () => {
    for (const name of ['double', 'sine', 'none']) checkDerivatives(m, 'named', [0.8, name], { wrt: [0] });
  });

  test('string constants typed string stay strings in the generated code (no narrowing the source does not do)', () => {
    for (const mode of ['a', 'b', 'c']) checkDerivatives(m, 'narrowed', [0.8, mode], { wrt: [0] });
    expect(m.text).toContain("mode === 'a' as string");
  });

  test('the strings are compared as written in the generated code, which keeps the parameter types', () => {
    expect(m.text).toContain("if (activation === 'relu')");
    expect(m.text).toContain('export function grad_net(x: Tensor, activation: Activation): Tensor');
  });
});

describe('enums', () => {
  test('an enum parameter is a constant: compared, passed on, read as a number', () => {
    for (const k of [1, 2]) checkDerivatives(m, 'power', [0.7, k], { wrt: [0] });
    for (const k of [1, 2]) checkDerivatives(m, 'powers', [-0.6, k], { wrt: [0] });
    // One gradient (x only): the enum parameter is not differentiated.
    expect(typeof m.grad.grad_power(0.7, 1)).toBe('number');
  });

  test('an enum default is kept in the generated signatures', () => {
    expect(m.grad.grad_powers(0.5)).toBeCloseTo(m.grad.grad_powers(0.5, 2), 14);
    expect(m.text).toMatch(/export function grad_powers\(x: number, k: Kind = 2\): number/);
  });
});

describe('module constants', () => {
  test('numbers, constant paths, lengths, computed indexes and for...of over constant arrays', () => {
    for (const x of [0.3, -1.1, 2]) checkDerivatives(m, 'poly', [x]);
  });

  test('are inlined as literals: no module constant is read by the generated code', () => {
    const body = m.text.slice(m.text.indexOf('function jvp_poly'), m.text.indexOf('function vjp_poly'));
    for (const name of ['TWO_PI', 'SQRT2', 'TABLE.', 'FROZEN', 'GAINS', 'PRIVATE_WEIGHTS']) expect(body).not.toContain(name);
    // A constant array read at a computed index is copied into a local once per call; its length is a literal.
    expect(body).toContain('const COEFS = [1, -0.5, 0.25];');
    expect(body).toContain('const TABLE_values = [2, 3, 5];');
    expect(body).toMatch(/while \(i < 3\)/);
  });

  test('a constant table read at computed indexes', () => {
    checkDerivatives(m, 'mixed', [0.7, -1.3]);
    expect(m.text).toContain('const MIX = [[1, 0.5], [-2, 3]];');
  });

  test('imported constants and enum members', () => {
    for (const i of [0, 1, 2]) checkDerivatives(m, 'imported', [0.9, i], { wrt: [0] });
  });
});

describe('readonly arrays', () => {
  test('readonly number[], ReadonlyArray, readonly rows and Readonly objects: gradients of the same shape', () => {
    const args = [[0.5, -1, 2], [1.5, 0.25, -0.75], [[1, 2], [-0.5, 3]], { w: 0.7 }];
    checkDerivatives(m, 'readonlyArrays', args);
    const [da, , dm] = m.grad.grad_readonlyArrays(...args);
    // The gradients are fresh, writable arrays.
    da[0] = 0;
    dm[1][0] = 0;
    expect(m.text).toContain('): [number[], number[], (number[])[], { w: number; }]');
  });
});

describe('default and optional parameters', () => {
  test('a default parameter is differentiated, whether given or left out', () => {
    checkDerivatives(m, 'scaled', [0.7, 2]);
    expect(m.grad.grad_scaled(0.7)).toEqual([3, 0.7]);
  });

  test('an optional parameter is a constant; the fallback of ?? is differentiated when it is left out', () => {
    checkDerivatives(m, 'optional', [0.7, 4], { wrt: [0] });
    checkDerivatives(m, 'optional', [0.7, undefined], { wrt: [0] });
    checkDerivatives(m, 'optionalFallback', [0.7, undefined], { wrt: [0] });
    checkDerivatives(m, 'optionalFallback', [0.7, 0.3], { wrt: [0] });
    expect(m.grad.grad_optional(0.7)).toBe(2);
  });

  test('callers may leave defaults and optional parameters out', () => {
    for (const x of [0.7, -0.2]) checkDerivatives(m, 'callsDefaults', [x]);
  });

  test('optional parameters keep their ? where they end the parameter list, and take undefined before tangents', () => {
    expect(m.text).toContain('export function grad_optional(x: number, k?: number): number');
    expect(m.text).toContain('export function valueAndGrad_optional(x: number, k?: number): [number, number]');
    expect(m.text).toContain('export function jvp_optional(x: number, k: number | undefined, dx: number): [number, number]');
    expect(m.text).toContain('export function jvp_scaled(x: number, k: number = 3, dx: number, dk: number): [number, number]');
  });
});

test('the generated file type-checks under strict', () => {
  expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
});

describe('what stays refused says why and what to do instead', () => {
  const refusals: { name: string; code: string; message: string; hint: RegExp }[] = [
    { name: 'module let', code: 'let K = 2;\n/** @differentiable */\nexport function f(x: number): number { return K * x; }', message: 'K is a module-level let, whose value may change between calls', hint: /declare it const/ },
    { name: 'run-time constant', code: 'const R = Math.random();\n/** @differentiable */\nexport function f(x: number): number { return R * x; }', message: 'R is a module-level const whose value is not known at build time', hint: /pass R in as a parameter/ },
    { name: 'exported mutable array', code: 'export const W = [1, 2];\n/** @differentiable */\nexport function f(x: number, i: number): number { return W[i]! * x; }', message: 'W is a module-level array that other code may modify', hint: /as const/ },
    { name: 'mutated array', code: 'const W = [1, 2];\nexport function reset() { W[0] = 0; }\n/** @differentiable */\nexport function f(x: number): number { return W[1]! * x; }', message: 'W is a module-level array that other code may modify', hint: /readonly/ },
    { name: 'string constant as a number', code: "const NAME = 'relu';\n/** @differentiable */\nexport function f(x: number): number { return (NAME as unknown as number) * x; }", message: 'NAME is a string constant, not a number', hint: /condition/ },
    { name: 'boolean increment', code: '/** @differentiable */\nexport function f(x: number): number { let b = false; b++; return b ? x : 0; }', message: 'b is a boolean: it cannot be incremented', hint: /b = !b/ },
    { name: 'optional in wrt', code: '/** @differentiable wrt(x, k) */\nexport function f(x: number, k?: number): number { return x * (k ?? 1); }', message: 'parameter k is optional, and an optional parameter is a constant of the function', hint: /default value/ },
    { name: 'too few arguments', code: '/** @differentiable */\nexport function g(x: number, y: number, k = 2): number { return x * y * k; }\n/** @differentiable */\nexport function f(x: number): number { return g(x); }', message: 'g takes 2 to 3 arguments, got 1', hint: /no default value/ },
  ];
  for (const r of refusals) {
    test(r.name, () => {
      const result = compileSourceText('refused.ts', r.code);
      const first = result.diagnostics[0];
      expect(first, JSON.stringify(result.diagnostics)).toBeDefined();
      expect(formatDiagnostic(first!)).toContain(`error: ${r.message}`);
      expect(first!.hint).toMatch(r.hint);
      expect(first!.line).toBeGreaterThan(1);
    });
  }
});
