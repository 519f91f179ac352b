/** Hand-written value-and-gradient of model.ts's loss (until model.grad.ts is generated). */
import { add, matmul, mul, sigmoidCrossEntropy, sigmoidCrossEntropyGrad, sum, type Tensor } from 'wengert';
import type { Params } from './model.ts';

export function valueAndGrad_loss(p: Params, x: Tensor, y: Tensor, l2: number): [number, Params] {
  const logits = add(matmul(x, p.w), p.b);
  const value = sigmoidCrossEntropy(logits, y) + 0.5 * l2 * sum(mul(p.w, p.w));
  const dLogits = sigmoidCrossEntropyGrad(1, logits, y); // (sigmoid(z) - y) / n
  return [value, { w: add(matmul(x, dLogits, true, false), mul(p.w, l2)), b: sum(dLogits, 0) }];
}
