/**
 * Scalars that stay on the device: a `@differentiable` function returning a
 * 0-d Tensor gets grad_f and valueAndGrad_f (seeded with ones([]) on the
 * result's backend), checked against central differences, against forward
 * mode, and against the same loss written with number-valued ops; a
 * non-0-d result is refused with the shape and the function's name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, ShapeError, flatten, fromArray, item, meanAll, randn, softmaxCrossEntropy, softmaxCrossEntropyLoss, sumAll, type Tensor } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';

const source = `
import { add, matmul, mean, mul, softmaxCrossEntropy, softmaxCrossEntropyLoss, sub, sumAll, meanAll, tanh, type Tensor } from 'wengert';

export interface P { W: Tensor; b: Tensor }

/** @differentiable wrt(p) */
export function lossT(p: P, x: Tensor, labels: Int32Array): Tensor {
  const h = tanh(add(matmul(x, p.W), p.b));
  return add(softmaxCrossEntropyLoss(h, labels), mul(0.1, meanAll(mul(p.W, p.W))));
}

/** @differentiable wrt(p) */
export function lossN(p: P, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W), p.b));
  return softmaxCrossEntropy(h, labels) + 0.1 * mean(mul(p.W, p.W));
}

/** @differentiable wrt(x) */
export function total(x: Tensor, y: Tensor): Tensor {
  return sumAll(mul(sub(x, y), x));
}

/** @differentiable wrt(x) */
export function notScalar(x: Tensor): Tensor {
  return mul(x, x);
}
`;

type Fn = (...a: any[]) => any;
let built: Built<Record<string, Fn>, Record<string, Fn>>;
const rng = new Rng(7);
const f64 = (shape: number[]): Tensor => randn(shape, rng, { dtype: 'float64' });

beforeAll(async () => {
  built = await buildFixture('h2-webgpu/scalar-loss', source);
});

describe('0-d tensor losses', () => {
  const p = { W: f64([4, 3]), b: f64([3]) };
  const x = f64([5, 4]);
  const labels = Int32Array.from([0, 2, 1, 1, 0]);

  it('valueAndGrad_f of a Tensor-valued loss returns the 0-d tensor and the gradient of the number-valued twin', () => {
    const [value, grad] = built.grad.valueAndGrad_lossT!(p, x, labels) as [Tensor, typeof p];
    expect(value.shape).toEqual([]);
    const [valueN, gradN] = built.grad.valueAndGrad_lossN!(p, x, labels) as [number, typeof p];
    expect(item(value)).toBeCloseTo(valueN, 12);
    expect(maxRelError(flatten(grad), flatten(gradN))).toBeLessThan(1e-12);
    expect(maxRelError(flatten(built.grad.grad_lossT!(p, x, labels)), flatten(gradN))).toBeLessThan(1e-12);
  });

  it('grad_f matches central differences', () => {
    const f = (q: typeof p) => item(built.source.lossT!(q, x, labels) as Tensor);
    const numeric = finiteDifferenceGradient(f, [p], [0]);
    expect(maxRelError(flatten(built.grad.grad_lossT!(p, x, labels)), numeric)).toBeLessThan(1e-7);
    const y = f64([2, 3]);
    const xs = f64([2, 3]);
    const g = (a: Tensor) => item(built.source.total!(a, y) as Tensor);
    expect(maxRelError(flatten(built.grad.grad_total!(xs, y)), finiteDifferenceGradient(g, [xs], [0]))).toBeLessThan(1e-7);
  });

  it('forward mode gives a 0-d tangent equal to grad . v', () => {
    const v = { W: f64([4, 3]), b: f64([3]) };
    const [value, tangent] = built.grad.jvp_lossT!(p, x, labels, v) as [Tensor, Tensor];
    expect(value.shape).toEqual([]);
    expect(tangent.shape).toEqual([]);
    const grad = built.grad.grad_lossT!(p, x, labels);
    expect(item(tangent)).toBeCloseTo(dotFlat(flatten(grad), flatten(v)), 10);
  });

  it('vjp_f still takes a cotangent of the result shape', () => {
    const [, pulled] = built.grad.valueAndVjp_notScalar!(fromArray([1, 2, 3], [3], 'float64'), fromArray([1, 1, 1], [3], 'float64')) as [Tensor, Tensor];
    expect(Array.from(pulled.dataSync())).toEqual([2, 4, 6]);
  });

  it('grad_f of a result that is not 0-d is a clear error', () => {
    const call = () => built.grad.grad_notScalar!(f64([2, 3]));
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/grad_notScalar: notScalar must return a 0-d tensor for a gradient, got shape \[2,3\]/);
  });
});

describe('0-d tensor ops', () => {
  it('sumAll, meanAll and softmaxCrossEntropyLoss equal their number-valued forms', () => {
    const x = f64([3, 4]);
    expect(sumAll(x).shape).toEqual([]);
    expect(item(sumAll(x))).toBeCloseTo(flatten(x).reduce((s, v) => s + v, 0), 12);
    expect(item(meanAll(x))).toBeCloseTo(flatten(x).reduce((s, v) => s + v, 0) / 12, 12);
    const labels = Int32Array.from([3, 0, 1]);
    expect(item(softmaxCrossEntropyLoss(x, labels))).toBeCloseTo(softmaxCrossEntropy(x, labels), 12);
    expect(softmaxCrossEntropyLoss(x, labels).dtype).toBe('float64');
  });

  it('item refuses tensors with more than one element', () => {
    expect(() => item(fromArray([1, 2], [2]))).toThrow(/item: expected a 0-d tensor, got shape \[2\]/);
  });
});
