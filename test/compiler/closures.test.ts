/**
 * Local functions (issue #10, item 3): arrow functions, function
 * expressions and nested function declarations inside a differentiable
 * body, inlined at each call (compiler/frontend/lower-closures.ts):
 * expression and block bodies, early returns, defaults, captured locals
 * read and written, hoisting, shadowing, closures of closures, Tensor and
 * boolean results, `this` in an arrow inside a method. Each function is
 * checked in reverse mode against central finite differences and in
 * forward mode against reverse mode; the generated file type-checks under
 * strict; what stays refused says why and what to do instead.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, Rng, unflatten } from 'wengert';
import { compileSourceText } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, mul, sum } from 'wengert';

/** Expression and block bodies, several calls, a default parameter. @differentiable */
export function bodies(x: number, y: number): number {
  const sq = (v: number) => v * v;
  const poly = (v: number, c = 2): number => {
    const t = v * c;
    return t * t + v;
  };
  return sq(x) + sq(y) * poly(x) + poly(y, 0.5);
}

/** Early returns, in a branch and in a loop. @differentiable */
export function early(xs: number[], x: number): number {
  const clip = (v: number): number => {
    if (v > 1) return 1 + Math.log(v);
    if (v < -1) return -1 - Math.log(-v);
    return v;
  };
  const firstBig = (t: number): number => {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]! * t > 1) return xs[i]! * t;
    }
    return t * t;
  };
  let s = 0;
  for (const v of xs) s += clip(v * x);
  return s + firstBig(x);
}

/** Hoisted declaration, one local calling another, a closure defined in a loop. @differentiable */
export function nested(xs: number[], x: number): number {
  let s = twice(x);
  function twice(v: number): number {
    return inc(v) * 2;
  }
  function inc(v: number): number {
    return v + x;
  }
  for (let i = 0; i < xs.length; i++) {
    const w = xs[i]! * x;
    const scaled = (v: number) => v * w + i;
    s += scaled(xs[i]!) * twice(w);
  }
  return s;
}

/** Captured lets written by the closure, shadowing, an immediately called arrow. @differentiable */
export function captured(xs: number[], x: number): number {
  let acc = 0;
  let n = 0;
  const add = (v: number) => {
    acc += v * x;
    n++;
  };
  for (const v of xs) add(v);
  add(x * x);
  const readX = () => x * 3;
  let r = 0;
  {
    const x = 100;
    r = readX() + x;
  }
  const iife = ((v: number) => v * acc)(2);
  return acc / n + r + iife;
}

/** A closure that changes a captured variable read beside the call. @differentiable */
export function ordering(x: number): number {
  let t = x;
  const bump = (): number => {
    t = t * 2;
    return t;
  };
  const a = t + bump();
  const b = bump() + t;
  return a * b;
}

/** A boolean local function in conditions. @differentiable */
export function predicates(xs: number[], x: number): number {
  const big = (v: number): boolean => v * x > 1;
  const small = (v: number) => {
    if (v < 0) return true;
    return v < 0.1;
  };
  let s = 0;
  for (const v of xs) {
    if (big(v)) s += v * x;
    else if (small(v)) s -= v;
    else s += x;
  }
  return s;
}

export interface Layer { W: Tensor; b: Tensor }

/** A Tensor-valued closure. @differentiable wrt(layers, x) */
export function tensorClosure(layers: Layer[], x: Tensor): number {
  const dense = (h: Tensor, l: Layer): Tensor => tanh(add(matmul(h, l.W), l.b));
  let h = x;
  for (const l of layers) h = dense(h, l);
  return sum(mul(h, h)) as number;
}

/** An arrow in a method reads the method's this. */
export class Model {
  constructor(private readonly scale: number) {}
  /** @differentiable */
  energy(xs: number[]): number {
    const term = (v: number) => this.scale * v * v;
    let e = 0;
    for (const v of xs) e += term(v);
    return e;
  }
}

/** A local function taking a row of a number[][] and a vector result. @differentiable */
export function rows(m: number[][], x: number): [number, number] {
  const norm = (row: number[]): number => {
    let s = 0;
    for (const v of row) s += v * v;
    return Math.sqrt(s);
  };
  let a = 0;
  for (let i = 0; i < m.length; i++) a += norm(m[i]!) * x;
  return [a, norm(m[0]!) + x];
}
/** @differentiable */
export function loops(xs: number[], x: number): number {
  const half = (v: number) => v * 0.5;
  const big = (v: number): boolean => v > 0.1;
  let v = x;
  let n = 0;
  while (big(v) && n < 10) {
    v = half(v) + 0.01 * x;
    n++;
  }
  for (let i = 0; i < xs.length && big(xs[i]!); i++) v += xs[i]! * x;
  return v;
}

/** @differentiable */
export function nestedCallbacks(xs: number[], ys: number[]): number {
  const dots = xs.map((v) => ys.reduce((s, w, j) => s + v * w * (j + 1), 0));
  const f = (v: number) => v * 2;
  const g = (v: number) => f(f(v)) + f(v);
  return dots.reduce((a, b) => a + g(b) * b, 0);
}

/** @differentiable wrt(x) */
export function inSwitch(x: number, k: number): number {
  const sq = (v: number) => v * v;
  switch (k) {
    case 0:
      return sq(x);
    case 1: {
      const cube = (v: number) => sq(v) * v;
      return cube(x) + sq(x);
    }
    default:
      return x;
  }
}

/** @differentiable */
export function fill(x: number, out: number[]): void {
  const put = (i: number, v: number) => {
    out[i] = v;
  };
  for (let i = 0; i < out.length; i++) put(i, x * (i + 1));
}

/** A local function reads a const declared after it, past an early continue (the rest of the loop body moves into a branch). @differentiable */
export function later(xs: number[], k: number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    const f = (v: number) => v * k;
    if (xs[i]! > 5) continue;
    const k = 3;
    s += f(xs[i]!);
  }
  return s;
}

/** Local functions returning new arrays: a tuple destructured, a number[] kept, one passed on. @differentiable */
export function arrays(xs: number[], x: number): number {
  const pair = (v: number): [number, number] => [v * x, v + x];
  const scaled = (k: number): number[] => xs.map((v) => v * k);
  const [a, b] = pair(x);
  const ys = scaled(a);
  let s = 0;
  for (const y of ys) s += y * b;
  const both = (v: number): number[] => {
    const out: number[] = [v];
    out.push(v * v);
    return out;
  };
  const zs = both(s);
  const [, c] = pair(b);
  return zs[0]! + zs[1]! + c;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h3-closures/closures', source);
});

const rng = new Rng(7);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

/** Reverse mode against finite differences and forward against reverse, for functions of tensors. */
function checkTensors(name: string, args: unknown[], wrt: number[]) {
  const f = m.source[name];
  const g = flatten(m.grad[`grad_${name}`](...args));
  const fd = finiteDifferenceGradient(f, args, wrt, 1e-6);
  expect(maxRelError(g, fd)).toBeLessThan(1e-6);
  let k = 0;
  const dirs = wrt.map((i) => unflatten(args[i], flatten(args[i]).map(() => Math.sin(++k))));
  const [y, dy] = m.grad[`jvp_${name}`](...args, ...dirs);
  expect(y).toBeCloseTo(f(...args), 12);
  expect(dy).toBeCloseTo(dotFlat(g, flatten(dirs)), 9);
}

describe('local functions, inlined where they are called', () => {
  test('expression and block bodies, called several times, with a default parameter', () => {
    for (const [x, y] of [[0.7, -1.3], [-2, 0.4], [0, 1]]) checkDerivatives(m, 'bodies', [x, y]);
    // d/dx of x^2 + y^2 ((2x)^2 + x) + (0.5 y)^2 + y at y = 0: 2x.
    expect(m.grad.grad_bodies(1.5, 0)[0]).toBeCloseTo(3, 12);
  });

  test('early returns from a branch and from a loop inside the local function', () => {
    for (const x of [0.3, 1.7, -2.2]) checkDerivatives(m, 'early', [[0.5, 2, -1.5, 0.8], x]);
    checkDerivatives(m, 'early', [[], 0.9]);
  });

  test('a hoisted function declaration, one local function calling another, a closure made in a loop', () => {
    checkDerivatives(m, 'nested', [[0.5, 2, -1.5], 0.8]);
    checkDerivatives(m, 'nested', [[1.2], -0.4]);
  });

  test('captured lets written by the local function, shadowed names, an immediately called arrow', () => {
    checkDerivatives(m, 'captured', [[0.5, 2, -1.5], 0.8]);
    // acc = x (sum xs) + x^3, n = len + 1, r = 3x + 100, iife = 2 acc.
    const xs = [1, 2];
    const x = 0.5;
    const acc = x * 3 + x ** 3;
    expect(m.source.captured(xs, x)).toBeCloseTo(acc / 3 + 3 * x + 100 + 2 * acc, 12);
    expect(m.grad.valueAndGrad_captured(xs, x)[0]).toBe(m.source.captured(xs, x));
  });

  test('an operand read before a call that changes it keeps the value it had', () => {
    // a = x + 2x, b = 4x + 4x: a b = 24 x^2.
    expect(m.grad.valueAndGrad_ordering(0.5)[0]).toBe(m.source.ordering(0.5));
    expect(m.source.ordering(0.5)).toBe(24 * 0.25);
    checkDerivatives(m, 'ordering', [0.5]);
    expect(m.grad.grad_ordering(0.5)).toBeCloseTo(48 * 0.5, 12);
  });

  test('boolean local functions in conditions', () => {
    for (const x of [0.3, 1.7, -2.2]) checkDerivatives(m, 'predicates', [[0.5, 2, -1.5, 0.05], x]);
  });

  test('a Tensor-valued local function applied layer by layer', () => {
    const layers = [{ W: f64([3, 4]), b: f64([4]) }, { W: f64([4, 2]), b: f64([2]) }];
    checkTensors('tensorClosure', [layers, f64([2, 3])], [0, 1]);
  });

  test('an arrow in a method reads the instance through this', () => {
    const model = new m.source.Model(1.5);
    const xs = [0.5, -2, 1];
    const g = m.grad.grad_Model_energy(model, xs);
    expect(g).toEqual(xs.map((v) => 3 * v));
  });

  test('a local function over rows of a number[][], in a vector-valued function', () => {
    const mat = [[0.5, -1, 2], [3, 0.25, -0.75]];
    const x = 0.7;
    const g = m.grad.jacobian_rows(mat, x);
    expect(g).toBeDefined();
    const f0 = (mm: number[][], xx: number) => m.source.rows(mm, xx)[0];
    const f1 = (mm: number[][], xx: number) => m.source.rows(mm, xx)[1];
    const [dm0, dx0] = m.grad.vjp_rows(mat, x, [1, 0]);
    const [dm1, dx1] = m.grad.vjp_rows(mat, x, [0, 1]);
    expect(maxRelError(flatten([dm0, dx0]), finiteDifferenceGradient(f0, [mat, x], [0, 1], 1e-6))).toBeLessThan(1e-7);
    expect(maxRelError(flatten([dm1, dx1]), finiteDifferenceGradient(f1, [mat, x], [0, 1], 1e-6))).toBeLessThan(1e-7);
    const v = mat.map((r, i) => r.map((_, j) => Math.cos(i + 2 * j)));
    const [, dy] = m.grad.jvp_rows(mat, x, v, 0.3);
    expect(dy[0]).toBeCloseTo(dotFlat(flatten([dm0, dx0]), flatten([v, 0.3])), 10);
    expect(dy[1]).toBeCloseTo(dotFlat(flatten([dm1, dx1]), flatten([v, 0.3])), 10);
  });

  test('local functions in loop conditions, nested callbacks, switch clauses', () => {
    for (const x of [0.9, 2.5, 0.05]) checkDerivatives(m, 'loops', [[0.5, 2, -1.5, 0.8], x]);
    checkDerivatives(m, 'nestedCallbacks', [[0.5, 2, -1.5], [0.3, -0.7]]);
    for (const k of [0, 1, 2]) checkDerivatives(m, 'inSwitch', [1.3, k], { wrt: [0] });
  });

  test('a local function reads a const declared after it, once that const is set, past an early continue', () => {
    // The k the arrow reads is the loop body's const k = 3, not the parameter k.
    expect(m.source.later([1, 2, 7], 10)).toBe(9);
    expect(m.grad.valueAndGrad_later([1, 2, 7], 10)[0]).toBe(9);
    checkDerivatives(m, 'later', [[1, 2, 7], 10]);
    expect(m.grad.grad_later([1, 2, 7], 10)).toEqual([[3, 3, 0], 0]);
  });

  test('local functions returning new arrays: a tuple destructured, a number[] kept, an array built in the body', () => {
    for (const x of [0.7, -1.2]) checkDerivatives(m, 'arrays', [[0.5, 2, -1.5], x]);
    const xs = [0.5, 2];
    const x = 0.7;
    const [a, b] = [x * x, 2 * x];
    const s = xs.reduce((acc, v) => acc + v * a * b, 0);
    expect(m.source.arrays(xs, x)).toBeCloseTo(s + s * s + (b + x), 12);
    expect(m.grad.valueAndGrad_arrays(xs, x)[0]).toBe(m.source.arrays(xs, x));
  });

  test('a local function returning an array from outside it is refused: the caller would share it', () => {
    const code = '/** @differentiable */\nexport function f(xs: number[], x: number): number {\n  const get = (): number[] => xs;\n  const r = get();\n  return r[0]! * x;\n}\n';
    const d = compileSourceText('shared.ts', code).diagnostics[0];
    expect(d?.message).toContain('a local function returns xs, an array the caller would share');
    expect(d?.hint).toContain('xs.slice()');
    expect([d?.line, d?.column]).toEqual([3, 31]);
  });

  test('local functions that multiply their calls past the limit are refused, with the function to move out', () => {
    const levels = Array.from({ length: 11 }, (_, i) => `  const f${i + 1} = (v: number) => f${i}(v) + f${i}(v);`).join('\n');
    const code = `/** @differentiable */\nexport function f(x: number): number {\n  const f0 = (v: number) => v * 1.01;\n${levels}\n  return f11(x);\n}\n`;
    const d = compileSourceText('blowup.ts', code).diagnostics[0];
    expect(d?.message).toBe('f inlines more than 2000 calls of local functions (each call copies the function\'s body)');
    expect(d?.hint).toMatch(/^move f\d+ to module level/);
  });

  test('a local function writing an out parameter', () => {
    const out = [0, 0, 0];
    const [filled, dout] = m.grad.jvp_fill(0.5, out, 2, [0, 0, 0]);
    expect(filled).toEqual([0.5, 1, 1.5]);
    expect(out).toEqual([0.5, 1, 1.5]);
    expect(dout).toEqual([2, 4, 6]);
    const [dx, dold] = m.grad.vjp_fill(0.5, [0, 0, 0], [1, 1, 1]);
    expect(dx).toBe(6);
    expect(dold).toEqual([0, 0, 0]);
  });

  test('the generated code is straight-line code and loops, with fresh names per call', () => {
    const jvp = m.text.slice(m.text.indexOf('function jvp_bodies'), m.text.indexOf('function valueAndVjp_bodies'));
    expect(jvp).not.toMatch(/=>/);
    expect(jvp).toContain('const t_2 = y * c_2;');
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
