/**
 * Auxiliary results (issue #10, item 2), the way JAX's `has_aux` works: a
 * function returning `{ loss, ...metrics }` is differentiated through
 * `loss` only; `valueAndGrad_f` returns the whole object beside the
 * gradient, `jvp_f` the object and the loss's tangent.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, fromArray, randn, Rng, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, softmaxCrossEntropy, argmax, sum, mul } from 'wengert';

export interface Metrics { loss: number; ratio: number; positive: boolean }

/** @differentiable */
export function scored(x: number, y: number): Metrics {
  const s = x * y + Math.sin(x);
  if (s > 10) return { loss: 10 + Math.log(s - 9), ratio: x / y, positive: true };
  return { loss: s * s, ratio: x / y, positive: s > 0 };
}

export interface Params { W: Tensor; b: Tensor }

/** A classifier's loss with its logits and predictions as metrics. @differentiable wrt(p) */
export function classify(p: Params, x: Tensor, labels: Int32Array): { loss: number; logits: Tensor; penalty: number } {
  const logits = add(matmul(x, p.W), p.b);
  const penalty = sum(mul(p.W, p.W)) as number;
  return { loss: softmaxCrossEntropy(logits, labels) + 0.01 * penalty, logits, penalty };
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('aux-results', source);
});

describe('auxiliary results beside the loss', () => {
  test('scalar: valueAndGrad returns the whole result, the gradient is of loss alone', () => {
    for (const [x, y] of [[0.7, -1.3], [2.5, 4.5], [-1, 0.5]] as const) {
      const [value, grad] = m.grad.valueAndGrad_scored(x, y);
      expect(value).toEqual(m.source.scored(x, y));
      const lossOnly = (a: number, b: number) => m.source.scored(a, b).loss;
      const fd = finiteDifferenceGradient(lossOnly, [x, y], [0, 1], 1e-6);
      expect(maxRelError(grad, fd)).toBeLessThan(1e-7);
      expect(m.grad.grad_scored(x, y)).toEqual(grad);
      const [primal, tangent] = m.grad.jvp_scored(x, y, 0.3, -0.8);
      expect(primal).toEqual(value);
      expect(tangent).toBeCloseTo(0.3 * grad[0] - 0.8 * grad[1], 10);
    }
  });

  test('tensors: logits and a penalty as metrics, no derivative taken of them', () => {
    const rng = new Rng(3);
    const p = { W: randn([4, 3], rng, { dtype: 'float64' }), b: randn([3], rng, { dtype: 'float64' }) };
    const x = randn([5, 4], rng, { dtype: 'float64' });
    const labels = Int32Array.from([0, 2, 1, 1, 0]);
    const [value, grad] = m.grad.valueAndGrad_classify(p, x, labels);
    const primal = m.source.classify(p, x, labels);
    expect(value.loss).toBe(primal.loss);
    expect(value.penalty).toBe(primal.penalty);
    expect(flatten(value.logits)).toEqual(flatten(primal.logits));
    const lossOnly = (q: typeof p) => m.source.classify(q, x, labels).loss;
    const fd = finiteDifferenceGradient(lossOnly, [p], [0], 1e-6);
    expect(maxRelError(flatten(grad), fd)).toBeLessThan(1e-6);
    let k = 0;
    const v = unflatten(p, flatten(p).map(() => Math.sin(++k)));
    const [, tangent] = m.grad.jvp_classify(p, x, labels, v);
    expect(tangent).toBeCloseTo(dotFlat(flatten(grad), flatten(v)), 9);
    void fromArray;
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
