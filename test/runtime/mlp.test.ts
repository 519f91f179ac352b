/**
 * The MNIST MLP of examples/mnist-mlp: the hand-written value-and-gradient
 * against finite differences (small layer sizes, float64), and a short
 * training run on real digits whose loss must fall below a stated value.
 */
import { expect, test } from 'vitest';
import * as W from 'wengert';
import { batchOf, HELD_OUT, loadMnist } from '../../examples/mnist-mlp/data.ts';
import { accuracy, initParams, loss, regularizedLoss, type Params } from '../../examples/mnist-mlp/model.ts';
import { valueAndGrad_loss, valueAndGrad_regularizedLoss } from '../../examples/mnist-mlp/handwritten.ts';

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

test('hand-written gradient of the tanh MLP loss matches finite differences', () => {
  const { p, x, labels } = small(1);
  const [value] = valueAndGrad_loss(p, x, labels);
  expect(value).toBeCloseTo(loss(p, x, labels), 14);
  const report = W.checkGrad(loss, (q: Params, xb: W.Tensor, l: Int32Array) => valueAndGrad_loss(q, xb, l)[1], [p, x, labels], { wrt: [0] });
  expect(report.ok, report.summary).toBe(true);
  expect(report.parameters.map((r) => r.path)).toEqual(['args[0].W1', 'args[0].b1', 'args[0].W2', 'args[0].b2']);
});

test('hand-written gradient with ReLU, dropout and L2 matches finite differences', () => {
  const { p, x, labels } = small(2);
  const extra = [true, 0.3, 11, 0.01] as const;
  const f = (q: Params, xb: W.Tensor, l: Int32Array) => regularizedLoss(q, xb, l, ...extra);
  const g = (q: Params, xb: W.Tensor, l: Int32Array) => valueAndGrad_regularizedLoss(q, xb, l, ...extra)[1];
  const report = W.checkGrad(f, g, [p, x, labels], { wrt: [0] });
  expect(report.ok, report.summary).toBe(true);
});

test('the fixed MNIST split holds 2,000 digits out; 150 Adam steps bring the loss below 0.45', () => {
  const data = loadMnist();
  expect(data.test.labels.length).toBe(HELD_OUT);
  expect(data.train.labels.length).toBe(8000);
  expect(data.train.x.shape).toEqual([8000, 784]);
  expect(data.train.x.dtype).toBe('float32');
  // The split is the same every time.
  expect(Array.from(loadMnist().test.labels.subarray(0, 20))).toEqual(Array.from(data.test.labels.subarray(0, 20)));

  const params = initParams(128, 'tanh', 1);
  const opt = new W.Adam({ lr: 2e-3 });
  const rng = new W.Rng(3);
  const probe = batchOf(data.train, rng.permutation(8000).subarray(0, 256));
  const first = loss(params, probe.x, probe.labels);
  let recent = 0;
  for (let step = 0; step < 150; step++) {
    const batch = batchOf(data.train, rng.permutation(8000).subarray(0, 64));
    const [value, grads] = valueAndGrad_loss(params, batch.x, batch.labels);
    opt.step(params, grads);
    if (step >= 130) recent += value / 20;
  }
  expect(first).toBeGreaterThan(1.5);
  expect(recent).toBeLessThan(0.45);
  const acc = accuracy(params, data.test.x, data.test.labels, 'tanh');
  console.log(`MLP training run: first loss ${first.toFixed(3)}, mean loss of steps 130-149 ${recent.toFixed(3)}, held-out accuracy ${acc.toFixed(4)}`);
  expect(acc).toBeGreaterThan(0.85);
});
