/**
 * Array methods with callbacks (issue #10, item 3): map, filter, forEach,
 * reduce and reduceRight (with and without an initial value), some, every,
 * findIndex, find()!, Array.from(xs, f) and Array.from({ length: n }, f),
 * with inline arrows and named local functions, over number[],
 * Float64Array, rows of a number[][], arrays of objects holding tensors and
 * Tensor[] parameters, lowered to the loops they stand for
 * (compiler/frontend/lower-callbacks.ts). Each function is checked in
 * reverse mode against central finite differences and in forward mode
 * against reverse mode, at points away from the predicates' jumps; the
 * generated file type-checks under strict; the refusals say why.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, Rng, unflatten } from 'wengert';
import { compileSourceText } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, mul, sum, stack } from 'wengert';

/** map with the element and its index, then reduce with an initial value. @differentiable */
export function mapReduce(xs: number[], x: number): number {
  const ys = xs.map((v, i) => v * x + i * v * v);
  return ys.reduce((s, v) => s + Math.sin(v), 0);
}

/** map over a Float64Array stays one; chained map().reduce() without an initial value. @differentiable */
export function typedChain(xs: Float64Array, x: number): number {
  const ys = xs.map((v) => v * x);
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += ys[i]! * (i + 1);
  return s + xs.map((v) => v * v).reduce((a, b) => a * b);
}

/** reduceRight with and without an initial value, a block-bodied reducer. @differentiable */
export function rightToLeft(xs: number[], x: number): number {
  const horner = xs.reduceRight((acc, c) => acc * x + c, 0);
  const nested = xs.reduceRight((a, b) => {
    if (b > 0) return a - b * x;
    return a * b;
  });
  return horner + nested;
}

/** forEach with a captured accumulator, a named local function as the callback, the index and the array. @differentiable */
export function eachOne(xs: number[], x: number): number {
  let acc = 0;
  xs.forEach((v, i, arr) => {
    if (i === 0) return;
    acc += v * arr[i - 1]! * x;
  });
  const sq = (v: number) => v * v * x;
  const squares = xs.map(sq);
  squares.forEach((v) => {
    acc += v;
  });
  return acc;
}

/** some and every stop at the first element that decides; their predicates give no derivative. @differentiable */
export function tests(xs: number[], x: number, t: number): number {
  let s = x;
  if (xs.some((v) => v * x > t)) s = s * 2;
  const allPositive = xs.every((v) => v > 0);
  if (allPositive) s = s + x * x;
  if (!xs.every((v) => v < t)) s -= Math.sin(x);
  return s;
}

/** filter keeps elements (and their derivatives); its length counts them. @differentiable wrt(xs, x) */
export function kept(xs: number[], x: number, t: number): number {
  const big = xs.filter((v) => v > t);
  let s = 0;
  for (const v of big) s += v * v * x;
  const typed = Float64Array.from(xs).filter((v, i) => i % 2 === 0);
  for (let i = 0; i < typed.length; i++) s += typed[i]! * x;
  return s + xs.filter((v) => v < 0).length * x;
}

/** findIndex is a plain number; find()! gives the element found. @differentiable wrt(xs, x) */
export function found(xs: number[], x: number, t: number): number {
  const at = xs.findIndex((v) => v > t);
  const first = xs.find((v, i) => i > 0 && v * x > t)!;
  return (at >= 0 ? xs[at]! * x : x) + first * first;
}

/** Array.from({ length: n }, (_, i) => ...) and Array.from(xs, f). @differentiable wrt(xs, x) */
export function built(xs: number[], x: number, n: number): number {
  const powers = Array.from({ length: n }, (_, i) => x ** i);
  const scaled = Array.from(xs, (v, i) => v * powers[i % n]!);
  const typed = Float64Array.from({ length: 3 }, (_, i) => xs[i]! + x);
  return scaled.reduce((s, v) => s + v, 0) + typed[0]! * typed[2]!;
}

/** Rows of a number[][]: map then reduce each row. @differentiable */
export function rowSums(m: number[][], x: number): number {
  const sums = m.map((row) => row.reduce((s, v) => s + v * x, 0));
  return sums.reduce((s, v, i) => s + v * v * (i + 1), 0);
}

export interface Layer { W: Tensor; b: Tensor }
export interface Net { layers: Layer[] }

/** A reduce over an array of objects holding tensors: layer after layer. @differentiable wrt(p, x) */
export function mlp(p: Net, x: Tensor): number {
  const h = p.layers.reduce((h, l) => tanh(add(matmul(h, l.W), l.b)), x);
  return sum(mul(h, h)) as number;
}

/** Tensors read in callbacks: map to numbers and a forEach over a Tensor[] parameter. @differentiable */
export function tensorTerms(ts: Tensor[], x: Tensor): number {
  const terms = ts.map((t) => sum(mul(t, x)) as number);
  let s = 0;
  ts.forEach((t, i) => {
    s += (sum(mul(t, t)) as number) * (i + 1);
  });
  return terms.reduce((a, b) => a + b * b, 0) + s;
}

/** Callbacks that change enclosing locals: an operand read before the call keeps its value. @differentiable */
export function effects(xs: number[], x: number): number {
  let s = x;
  const r = s + xs.reduce((a, v) => {
    s += v * x;
    return a + v * s;
  }, 0);
  let count = 0;
  const anyBig = xs.some((v) => {
    count++;
    return v * x > 1;
  });
  return r * s + (anyBig ? count * x : x * x);
}

/** map of tensors to tensors: a local Tensor[]. @differentiable */
export function tensorMap(xs: Tensor[], w: Tensor): number {
  const hs = xs.map((x) => tanh(matmul(x, w)));
  let s = 0;
  for (const h of hs) s += sum(mul(h, h)) as number;
  return s + (sum(stack(hs, 0)) as number);
}

/** reduce over a local Tensor[] built with push. @differentiable */
export function tensorReduce(x: Tensor, w: Tensor): number {
  const hs: Tensor[] = [];
  let h = x;
  for (let i = 0; i < 3; i++) {
    h = tanh(matmul(h, w));
    hs.push(h);
  }
  const total = hs.reduce((acc, t) => add(acc, t));
  return sum(mul(total, total)) as number;
}

/** Rows mapped to rows: a new number[][]. @differentiable */
export function rowMaps(m: number[][], x: number): number {
  const scaled = m.map((row) => row.map((v) => v * x));
  const shifted = scaled.map((row, i) => {
    const out: number[] = [];
    for (const v of row) out.push(v + i * x);
    return out;
  });
  const grid = Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => x ** (i + j)));
  let s = 0;
  for (let i = 0; i < shifted.length; i++) for (let j = 0; j < shifted[i]!.length; j++) s += shifted[i]![j]! * shifted[i]![j]!;
  return s + grid[1]![2]! * grid[0]![1]!;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h3-closures/array-callbacks', source);
});

const rng = new Rng(5);
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

const xs = [0.5, 2, -1.5, 0.8];

describe('array methods with callbacks, lowered to loops', () => {
  test('map with the index, then reduce from an initial value', () => {
    checkDerivatives(m, 'mapReduce', [xs, 0.7]);
    checkDerivatives(m, 'mapReduce', [[], 0.7]);
    const x = 0.7;
    expect(m.source.mapReduce(xs, x)).toBeCloseTo(xs.reduce((s, v, i) => s + Math.sin(v * x + i * v * v), 0), 12);
  });

  test('map over a Float64Array, a chained map().reduce() without an initial value', () => {
    checkDerivatives(m, 'typedChain', [Float64Array.from(xs), -0.6]);
    checkDerivatives(m, 'typedChain', [Float64Array.from([1.3]), 0.9]);
  });

  test('reduceRight with and without an initial value', () => {
    for (const x of [0.7, -1.2]) checkDerivatives(m, 'rightToLeft', [xs, x]);
    checkDerivatives(m, 'rightToLeft', [[2.5], 0.3]);
  });

  test('forEach with an early return, the index and the array; a named local function as a callback', () => {
    checkDerivatives(m, 'eachOne', [xs, 0.7]);
    checkDerivatives(m, 'eachOne', [[1.1], -0.4]);
  });

  test('some and every, the loop stopping once the answer is known', () => {
    for (const [x, t] of [[0.7, 1], [1.9, 2.5], [0.3, 5], [-0.8, -3]] as const) checkDerivatives(m, 'tests', [xs, x, t]);
    checkDerivatives(m, 'tests', [[0.4, 0.2], 0.5, 1]);
    // every over no elements is true, some is false: s = x + x^2 - sin(x)... except every(v < t) is true too.
    expect(m.source.tests([], 0.5, 1)).toBeCloseTo(0.5 + 0.25, 12);
    expect(m.grad.valueAndGrad_tests([], 0.5, 1)[0]).toBe(m.source.tests([], 0.5, 1));
  });

  test('filter keeps elements with their derivatives, over number[] and Float64Array, and counts them', () => {
    for (const t of [0, 1, -2, 9]) checkDerivatives(m, 'kept', [xs, 0.7, t], { wrt: [0, 1] });
    // The gradient of a dropped element is zero; a kept one gets 2 v x (+ x at even indexes).
    const g = m.grad.grad_kept(xs, 0.7, 1)[0];
    expect(g[0]).toBeCloseTo(0.7, 12);
    expect(g[1]).toBeCloseTo(2 * 2 * 0.7, 12);
    expect(g[3]).toBe(0);
  });

  test('findIndex is a plain number; find()! gives the element found', () => {
    for (const t of [0, 1, -0.5]) checkDerivatives(m, 'found', [xs, 0.9, t], { wrt: [0, 1] });
    const g = m.grad.grad_found(xs, 0.9, 1)[0];
    // at = 1 (2 > 1): xs[1] x; first: index 1 (2 * 0.9 > 1): (xs[1])^2.
    expect(g).toEqual([0, 0.9 + 4, 0, 0]);
  });

  test('Array.from({ length: n }, (_, i) => ...) and Array.from(xs, f)', () => {
    for (const n of [1, 3, 5]) checkDerivatives(m, 'built', [xs, 0.8, n], { wrt: [0, 1] });
    expect(m.source.built(xs, 2, 3)).toBeCloseTo(0.5 + 4 + -1.5 * 4 + 0.8 + 2.5 * (-1.5 + 2), 12);
  });

  test('rows of a number[][]: each row reduced inside a map', () => {
    checkDerivatives(m, 'rowSums', [[[0.5, -1, 2], [3, 0.25], [-0.75]], 0.6]);
    checkDerivatives(m, 'rowSums', [[], 0.6]);
  });

  test('layers.reduce((h, l) => tanh(add(matmul(h, l.W), l.b)), x) over an array of objects holding tensors', () => {
    const p = { layers: [{ W: f64([3, 4]), b: f64([4]) }, { W: f64([4, 4]), b: f64([4]) }, { W: f64([4, 2]), b: f64([2]) }] };
    checkTensors('mlp', [p, f64([2, 3])], [0, 1]);
    checkTensors('mlp', [{ layers: [] }, f64([2, 3])], [0, 1]);
  });

  test('tensors read in callbacks: ts.map((t) => sum(mul(t, x))) and ts.forEach over a Tensor[] parameter', () => {
    checkTensors('tensorTerms', [[f64([2, 3]), f64([2, 3])], f64([2, 3])], [0, 1]);
  });

  test('callbacks that write enclosing locals: s + xs.reduce(...) reads s before the callbacks change it', () => {
    for (const x of [0.3, 0.8]) checkDerivatives(m, 'effects', [[0.5, 2, -1.5], x]);
    // s = x, then s += v x per element; r = x + sum of v s_k.
    const xs = [0.5, 2, -1.5];
    const x = 0.3;
    let s = x;
    let a = 0;
    for (const v of xs) {
      s += v * x;
      a += v * s;
    }
    const r = x + a;
    expect(m.source.effects(xs, x)).toBeCloseTo(r * s + x * x, 12);
    expect(m.grad.valueAndGrad_effects(xs, x)[0]).toBe(m.source.effects(xs, x));
  });

  test('xs.map((x) => tanh(matmul(x, w))) makes a local Tensor[]; reduce over a local Tensor[] without an initial value', () => {
    checkTensors('tensorMap', [[f64([2, 3]), f64([2, 3]), f64([2, 3])], f64([3, 3])], [0, 1]);
    checkTensors('tensorReduce', [f64([2, 3]), f64([3, 3])], [0, 1]);
  });

  test('rows mapped to rows: m.map((row) => row.map(...)), a block body returning a new row, Array.from of Array.from', () => {
    for (const x of [0.7, -1.3]) checkDerivatives(m, 'rowMaps', [[[0.5, -1, 2], [3, 0.25], [-0.75]], x]);
    const x = 0.7;
    const mm = [[0.5, -1], [2]];
    const expected = mm.map((r, i) => r.map((v) => v * x + i * x)).flat().reduce((a, v) => a + v * v, 0) + x ** 3 * x;
    expect(m.source.rowMaps(mm, x)).toBeCloseTo(expected, 12);
    expect(m.grad.valueAndGrad_rowMaps(mm, x)[0]).toBe(m.source.rowMaps(mm, x));
  });

  test('a map becomes a loop pushing into a new array', () => {
    const jvp = m.text.slice(m.text.indexOf('function jvp_mapReduce'), m.text.indexOf('function valueAndVjp_mapReduce'));
    expect(jvp).not.toMatch(/=>|\.map\(|\.reduce\(/);
    expect(jvp).toContain('const ys = [] as number[];');
    expect(jvp).toMatch(/while \(i < xs\.length\) \{/);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('what stays refused says why and what to do instead', () => {
  const fn = (body: string, params = 'xs: number[], x: number') => `/** @differentiable */\nexport function f(${params}): number {\n${body}\n}\n`;
  const refusals: { name: string; code: string; message: string; hint: RegExp }[] = [
    { name: 'find without !', code: fn('  const v = xs.find((v) => v > 0) ?? 0;\n  return v * x;'), message: 'find gives undefined when no element matches', hint: /find\(\.\.\.\)!|findIndex/ },
    { name: 'a thisArg', code: fn('  const ys = xs.map((v) => v * x, null);\n  return ys[0]!;'), message: 'the thisArg of map is not supported', hint: /arrow function/ },
    { name: 'reduce to an array', code: fn('  const all = xs.reduce((acc: number[], v) => { acc.push(v); return acc; }, []);\n  return all[0]! * x;'), message: 'reduce(...) gives an array here', hint: /loop and push/ },
    { name: 'a callback that is not a function of this body', code: fn('  const ys = xs.map(Math.sqrt);\n  return ys[0]! * x;'), message: 'the callback of map must be an arrow function', hint: /inline/ },
    { name: 'filter of rows', code: fn('  const kept = rows.filter((r) => r.length > 1);\n  return kept.length * x;', 'rows: number[][], x: number'), message: 'filter is supported on number arrays', hint: /push/ },
    { name: 'a callback that changes the array it iterates', code: fn('  const ys = xs.slice();\n  const t = ys.map((v, i) => { ys[i] = 0; return v * x; });\n  return t[0]!;'), message: 'changes ys, the array it iterates', hint: /another array/ },
  ];
  for (const r of refusals) {
    test(r.name, () => {
      const result = compileSourceText('refused.ts', r.code);
      const first = result.diagnostics[0];
      expect(first, JSON.stringify(result.diagnostics)).toBeDefined();
      expect(first!.message).toContain(r.message);
      expect(first!.hint).toMatch(r.hint);
      expect(first!.line).toBeGreaterThanOrEqual(3);
    });
  }
});
