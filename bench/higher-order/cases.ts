/**
 * The functions of the higher-order benchmark (bench/higher-order/index.ts),
 * tagged order(2): the scalar benchmark's seed function, logistic map and
 * ridge loss (bench/scalar.ts, examples/seed, examples/scalar-cases), and
 * the MNIST MLP's loss (examples/mnist-mlp/model.ts), with the same bodies.
 * Compiled by the benchmark into cases.grad.ts (not committed).
 */
import { add, matmul, softmaxCrossEntropy, tanh, type Tensor } from 'wengert';

/** @differentiable order(2) */
export function f(x1: number, x2: number): number {
  return x1 ** 2 + (x1 - x2) - Math.log(x1 ** 2 + x2 ** 2);
}

/** @differentiable wrt(x) order(2) */
export function logistic(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) {
    v = 4 * v * (1 - v);
  }
  return v;
}

/** @differentiable wrt(w) order(2) */
export function ridgeLoss(w: Float64Array, X: Float64Array[], y: Float64Array, lambda: number): number {
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    let p = 0;
    for (let j = 0; j < w.length; j++) p += w[j] * X[i][j];
    const r = p - y[i];
    loss += r * r;
  }
  let reg = 0;
  for (let j = 0; j < w.length; j++) reg += w[j] * w[j];
  return loss / X.length + lambda * reg;
}

export interface Params {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

/** @differentiable wrt(p) order(2) */
export function loss(p: Params, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const logits = add(matmul(h, p.W2), p.b2);
  return softmaxCrossEntropy(logits, labels);
}
