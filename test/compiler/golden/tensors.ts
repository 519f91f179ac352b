/**
 * Golden case "tensors": a tiny dense layer, tanh and a softmax
 * cross-entropy loss, differentiated with respect to a params object of
 * tensors (the inputs and labels are data).
 */
import { add, matmul, softmaxCrossEntropy, tanh, type Tensor } from 'wengert';

export interface Dense {
  W: Tensor;
  b: Tensor;
}

/** @differentiable wrt(p) */
export function denseLoss(p: Dense, x: Tensor, labels: Int32Array): number {
  const logits = tanh(add(matmul(x, p.W), p.b));
  return softmaxCrossEntropy(logits, labels);
}
