/**
 * Logistic regression: p(y = 1 | x) = sigmoid(x w + b), trained on the
 * mean binary cross-entropy plus an L2 penalty on w.
 */
import { add, matmul, mul, sigmoidCrossEntropy, sum, type Tensor } from 'wengert';

export interface Params {
  w: Tensor;
  b: Tensor;
}

/** @differentiable wrt(p) */
export function loss(p: Params, x: Tensor, y: Tensor, l2: number): number {
  const logits = add(matmul(x, p.w), p.b);
  return sigmoidCrossEntropy(logits, y) + 0.5 * l2 * sum(mul(p.w, p.w));
}
