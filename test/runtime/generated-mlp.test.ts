/**
 * The compiler's generated gradients of the example models (MNIST MLP,
 * logistic regression) against the hand-written ones, finite differences,
 * and forward mode, in float64 at small layer sizes. The models' sources
 * are compiled into test/.generated/ with the real compiler.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import * as W from 'wengert';
import { buildFixture } from '../helpers/generate.ts';
import type { Params } from '../../examples/mnist-mlp/model.ts';
import * as hand from '../../examples/mnist-mlp/handwritten.ts';

const source = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

function small(seed: number): { p: Params; x: W.Tensor; labels: Int32Array } {
  const f64 = { dtype: 'float64' } as const;
  return {
    p: {
      W1: W.randn([6, 5], seed, { ...f64, std: 0.7 }),
      b1: W.randn([5], seed + 1, { ...f64, std: 0.3 }),
      W2: W.randn([5, 4], seed + 2, { ...f64, std: 0.7 }),
      b2: W.randn([4], seed + 3, { ...f64, std: 0.3 }),
    },
    x: W.randn([7, 6], seed + 4, f64),
    labels: new Int32Array([0, 3, 1, 2, 2, 0, 3]),
  };
}

const close = (a: W.Tensor, b: W.Tensor) => {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 12);
};

test('generated MLP gradients equal the hand-written ones and finite differences; forward mode agrees', async () => {
  const built = await buildFixture('mnist-mlp-model', source('../../examples/mnist-mlp/model.ts'));
  const { p, x, labels } = small(5);

  const [value, g] = built.grad.valueAndGrad_loss(p, x, labels) as [number, Params];
  const [hv, hg] = hand.valueAndGrad_loss(p, x, labels);
  expect(value).toBeCloseTo(hv, 14);
  for (const k of ['W1', 'b1', 'W2', 'b2'] as const) close(g[k], hg[k]);

  const extra = [true, 0.3, 9, 0.02] as const;
  const [rv, rg] = built.grad.valueAndGrad_regularizedLoss(p, x, labels, ...extra) as [number, Params];
  const [hrv, hrg] = hand.valueAndGrad_regularizedLoss(p, x, labels, ...extra);
  expect(rv).toBeCloseTo(hrv, 14);
  for (const k of ['W1', 'b1', 'W2', 'b2'] as const) close(rg[k], hrg[k]);

  const report = W.checkGrad(built.source.loss, built.grad.grad_loss, [p, x, labels], { wrt: [0] });
  expect(report.ok, report.summary).toBe(true);

  // <grad, v> = jvp along v
  const v = W.mapLike(p, () => 0) as Params;
  const dirs: Params = { W1: W.randn([6, 5], 50, { dtype: 'float64' }), b1: W.randn([5], 51, { dtype: 'float64' }), W2: W.randn([5, 4], 52, { dtype: 'float64' }), b2: W.randn([4], 53, { dtype: 'float64' }) };
  Object.assign(v, dirs);
  const [, tangent] = built.grad.jvp_loss(p, x, labels, v) as [number, number];
  const dot = (['W1', 'b1', 'W2', 'b2'] as const).reduce((s, k) => s + W.sum(W.mul(g[k], v[k])), 0);
  expect(tangent).toBeCloseTo(dot, 12);
});

test('generated logistic-regression gradient matches finite differences', async () => {
  const built = await buildFixture('logreg-model', source('../../examples/logistic-regression/model.ts'));
  const p = { w: W.randn([4, 1], 1, { dtype: 'float64' }), b: W.randn([1], 2, { dtype: 'float64' }) };
  const x = W.randn([6, 4], 3, { dtype: 'float64' });
  const y = W.fromArray([[1], [0], [1], [1], [0], [0]], undefined, 'float64');
  const report = W.checkGrad(built.source.loss, built.grad.grad_loss, [p, x, y, 0.1], { wrt: [0] });
  expect(report.ok, report.summary).toBe(true);
});
