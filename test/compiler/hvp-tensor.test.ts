/**
 * Hessian-vector products of tensor code (issue #12): forward mode over the
 * reverse code of tensor losses, through the derivative rules of the
 * runtime's gradient helpers (compiler/rules/tensor-grad-helpers.ts). The
 * MNIST MLP's loss (examples/mnist-mlp/model.ts, same body, small sizes) and
 * a loss of one Tensor; hvp against central differences of the generated
 * gradient in float64, against hessian . v, and the generated file
 * type-checked.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, Tensor, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { maxRelError } from '../helpers/numeric.ts';
import { typecheckOwnErrors } from '../helpers/typecheck.ts';

const source = `
import { add, matmul, mul, sum, tanh, softmaxCrossEntropy, type Tensor } from 'wengert';

export interface Params { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** The MNIST MLP's loss (examples/mnist-mlp/model.ts). @differentiable wrt(p) order(2) */
export function loss(p: Params, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const logits = add(matmul(h, p.W2), p.b2);
  return softmaxCrossEntropy(logits, labels);
}

/** One Tensor parameter. @differentiable wrt(W) order(2) */
export function single(W: Tensor, x: Tensor): number {
  const y = tanh(matmul(x, W));
  return sum(mul(y, y)) as number;
}
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h5-hvp-tensor', source);
}, 240_000);

const f64 = (shape: number[], seed: number) => randn(shape, seed, { dtype: 'float64' });
const params = () => ({ W1: f64([5, 4], 1), b1: f64([4], 2), W2: f64([4, 3], 3), b2: f64([3], 4) });
const x = () => f64([6, 5], 5);
const labels = new Int32Array([0, 2, 1, 1, 0, 2]);

/** Central differences of the generated gradient along v: (grad(p + h v) - grad(p - h v)) / 2h, flattened. */
function fdHvp(grad: (p: unknown) => unknown, p: unknown, v: number[], h = 1e-5): number[] {
  const flat = flatten(p);
  const at = (s: number) => flatten(grad(unflatten(p, flat.map((a, i) => a + s * h * v[i]!))));
  const plus = at(1);
  const minus = at(-1);
  return plus.map((a, i) => (a - minus[i]!) / (2 * h));
}

describe('hvp of tensor losses', () => {
  test('the MNIST MLP loss: hvp_loss against central differences of grad_loss, and a Params-shaped result', () => {
    const p = params();
    const n = flatten(p).length;
    const v = Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
    const hv = m.grad.hvp_loss(p, x(), labels, unflatten(p, v));
    expect(Object.keys(hv).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    for (const k of ['W1', 'b1', 'W2', 'b2'] as const) expect(hv[k].shape).toEqual((p as Record<string, Tensor>)[k]!.shape);
    const fd = fdHvp((q) => m.grad.grad_loss(q, x(), labels), p, v);
    expect(maxRelError(flatten(hv), fd)).toBeLessThan(1e-6);
  });
  test('the MNIST MLP loss: hessian_loss is symmetric and hessian . v = hvp', () => {
    const p = params();
    const h: number[][] = m.grad.hessian_loss(p, x(), labels);
    const n = flatten(p).length;
    expect(h.length).toBe(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(Math.abs(h[i]![j]! - h[j]![i]!)).toBeLessThan(1e-12);
    const v = Array.from({ length: n }, (_, i) => Math.sin(i + 0.3));
    const hv = flatten(m.grad.hvp_loss(p, x(), labels, unflatten(p, v)));
    expect(maxRelError(hv, h.map((row) => row.reduce((s, a, j) => s + a * v[j]!, 0)))).toBeLessThan(1e-12);
  });
  test('one Tensor parameter: hvp_single against central differences of grad_single', () => {
    const W = f64([3, 2], 7);
    const xs = f64([4, 3], 8);
    const v = Array.from({ length: 6 }, (_, i) => 1 - i * 0.3);
    const hv = m.grad.hvp_single(W, xs, unflatten(W, v));
    expect(hv).toBeInstanceOf(Tensor);
    expect(maxRelError(flatten(hv), fdHvp((w) => m.grad.grad_single(w, xs), W, v))).toBeLessThan(1e-6);
  });
  test('the generated file type-checks under strict', () => {
    expect(typecheckOwnErrors([m.sourcePath.replace(/\.ts$/, '.grad.ts')])).toEqual([]);
  });
});
