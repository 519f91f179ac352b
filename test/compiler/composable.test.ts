/**
 * Composable tensor code (issue #10, item 1, first part): differentiable
 * functions that return a Tensor (layer helpers) and take Tensor arguments,
 * called from other differentiable functions; their `vjp_` takes a
 * cotangent shaped like the result. Checked against finite differences in
 * float64, forward against reverse, and the generated file type-checked.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, Rng, Tensor, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, relu, mul, sum, softmaxCrossEntropy } from 'wengert';

export interface Layer { W: Tensor; b: Tensor }
export interface Mlp { hidden: Layer; out: Layer }

/** A dense layer: x W + b. @differentiable */
export function dense(layer: Layer, x: Tensor): Tensor {
  return add(matmul(x, layer.W), layer.b);
}

/** A layer helper with two returns and an activation choice. @differentiable */
export function activate(z: Tensor, useRelu: boolean): Tensor {
  if (useRelu) return relu(z);
  return tanh(z);
}

/** @differentiable wrt(p) */
export function loss(p: Mlp, x: Tensor, labels: Int32Array, useRelu: boolean): number {
  const h = activate(dense(p.hidden, x), useRelu);
  const logits = dense(p.out, h);
  return softmaxCrossEntropy(logits, labels);
}

/** An L2 penalty of one layer. @differentiable */
export function penalty(layer: Layer): number {
  return (sum(mul(layer.W, layer.W)) as number) + (sum(mul(layer.b, layer.b)) as number);
}

export interface Deep { layers: Layer[] }

/** Fields and elements passed to helpers: for-of over layers. @differentiable wrt(p) */
export function regularizer(p: Deep, scale: number): number {
  let reg = 0;
  for (const layer of p.layers) reg += penalty(layer);
  return scale * reg;
}

/** @differentiable */
export function rowNorm(row: number[]): number {
  let s = 0;
  for (let j = 0; j < row.length; j++) s += row[j]! * row[j]!;
  return Math.sqrt(s);
}

/** Rows of a number[][] passed on, directly and through an alias. @differentiable */
export function sumOfRowNorms(xs: number[][]): number {
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const row = xs[i]!;
    total += rowNorm(row) + 0.5 * rowNorm(xs[i]!);
  }
  return total;
}

/** The same layer applied in a loop, its result fed back. @differentiable wrt(layer, x) */
export function repeated(layer: Layer, x: Tensor, n: number): number {
  let h = x;
  for (let i = 0; i < n; i++) h = tanh(dense(layer, h));
  return sum(mul(h, h)) as number;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('composable', source);
});

const rng = new Rng(11);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

function checkScalar(name: string, args: unknown[], wrt: number[]) {
  const f = m.source[name];
  const grad = m.grad[`grad_${name}`](...args);
  const g = flatten(grad);
  const fd = finiteDifferenceGradient(f, args, wrt, 1e-6);
  expect(maxRelError(g, fd)).toBeLessThan(1e-6);
  let k = 0;
  const dirs = wrt.map((i) => unflatten(args[i], flatten(args[i]).map(() => Math.sin(++k))));
  const [y, dy] = m.grad[`jvp_${name}`](...args, ...dirs);
  expect(y).toBeCloseTo(f(...args), 12);
  expect(dy).toBeCloseTo(dotFlat(g, flatten(dirs)), 9);
}

describe('functions that return tensors, called from other differentiable functions', () => {
  const p = { hidden: { W: f64([4, 5]), b: f64([5]) }, out: { W: f64([5, 3]), b: f64([3]) } };
  const x = f64([6, 4]);
  const labels = Int32Array.from([0, 2, 1, 1, 0, 2]);

  test('an MLP loss built from dense() and activate() helpers: gradient against finite differences, jvp against it', () => {
    for (const useRelu of [false, true]) checkScalar('loss', [p, x, labels, useRelu], [0]);
    const g = m.grad.grad_loss(p, x, labels, false);
    expect(g.hidden.W).toBeInstanceOf(Tensor);
    expect(g.hidden.W.shape).toEqual([4, 5]);
    expect(g.out.b.shape).toEqual([3]);
  });

  test('a helper called in a loop with its result fed back', () => {
    const layer = { W: f64([4, 4]), b: f64([4]) };
    for (const n of [0, 1, 3]) checkScalar('repeated', [layer, f64([2, 4]), n], [0, 1]);
  });

  test("a helper's own vjp takes a cotangent shaped like its result: <dy, J v> = <J^T dy, v>", () => {
    const layer = { W: f64([4, 5]), b: f64([5]) };
    const dy = f64([6, 5]);
    const [dLayer, dx] = m.grad.vjp_dense(layer, x, dy);
    const v = { W: f64([4, 5]), b: f64([5]) };
    const vx = f64([6, 4]);
    const [y, jv] = m.grad.jvp_dense(layer, x, v, vx);
    expect(y.shape).toEqual([6, 5]);
    const lhs = dotFlat(flatten(dy), flatten(jv));
    const rhs = dotFlat(flatten([dLayer, dx]), flatten([v, vx]));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
    // The result's value is the primal's.
    expect(flatten(m.grad.valueAndVjp_dense(layer, x, dy)[0])).toEqual(flatten(m.source.dense(layer, x)));
  });

  test('for (const layer of p.layers) reg += penalty(layer): each layer gets its own gradient', () => {
    const deep = { layers: [{ W: f64([3, 2]), b: f64([2]) }, { W: f64([2, 2]), b: f64([2]) }, { W: f64([2, 1]), b: f64([1]) }] };
    checkScalar('regularizer', [deep, 0.3], [0]);
    const g = m.grad.grad_regularizer(deep, 0.3);
    // d/dW of scale * |W|^2 is 2 * scale * W, layer by layer.
    for (let l = 0; l < 3; l++) {
      const w = flatten(deep.layers[l]!.W);
      expect(flatten(g.layers[l].W)).toEqual(w.map((v) => 2 * 0.3 * v));
    }
  });

  test('rows of a number[][] passed to a helper directly and through an alias', () => {
    const xs = [[0.5, -1, 2], [3, 0.25, -0.75]];
    const g = m.grad.grad_sumOfRowNorms(xs);
    const fd = finiteDifferenceGradient(m.source.sumOfRowNorms, [xs], [0], 1e-6);
    expect(maxRelError(flatten(g), fd)).toBeLessThan(1e-7);
    const v = xs.map((r, i) => r.map((_, j) => Math.cos(i + 2 * j)));
    const [, dy] = m.grad.jvp_sumOfRowNorms(xs, v);
    expect(dy).toBeCloseTo(dotFlat(flatten(g), flatten(v)), 10);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

const shapes = `
import { Tensor, reshape, slice, matmul, sum, mul, tanh, concat } from 'wengert';

/** Shapes read from tensors and shapes computed from them. @differentiable wrt(x, w) */
export function rowsLoss(x: Tensor, w: Tensor): number {
  const n = x.shape[0]!;
  const d = x.shape[1]!;
  let total = 0;
  for (let t = 0; t < n; t++) {
    const row = reshape(slice(x, [t, 0], [1, d]), [d, 1]);
    total += (sum(mul(tanh(matmul(w, row)), row.size)) as number) / (x.rank * n);
  }
  return total;
}
`;

describe('shapes: .shape, .size, .rank and shapes computed from them', () => {
  let s: Built<any, any>;
  beforeAll(async () => {
    s = await buildFixture('composable-shapes', shapes);
  });

  test('a loop over rows with slice(x, [t, 0], [1, d]) and reshape(..., [d, 1]): gradient against finite differences', () => {
    const args = [f64([3, 4]), f64([2, 4])];
    const g = flatten(s.grad.grad_rowsLoss(...args));
    const fd = finiteDifferenceGradient(s.source.rowsLoss, args, [0, 1], 1e-6);
    expect(maxRelError(g, fd)).toBeLessThan(1e-6);
    let k = 0;
    const dirs = args.map((a) => unflatten(a, flatten(a).map(() => Math.cos(++k))));
    const [y, dy] = s.grad.jvp_rowsLoss(...args, ...dirs);
    expect(y).toBeCloseTo(s.source.rowsLoss(...args), 12);
    expect(dy).toBeCloseTo(dotFlat(g, flatten(dirs)), 9);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([s.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
