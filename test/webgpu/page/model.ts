/**
 * The model the WebGPU tests differentiate (in Node and in the browser
 * page): a two-layer network whose output is a Tensor (class
 * probabilities), so `vjp_probabilities` runs entirely on the device, and
 * its cross-entropy gradient through the fused kernel.
 */
import { add, matmul, softmax, tanh, type Tensor } from 'wengert';

export interface Net {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

/** @differentiable wrt(p) */
export function probabilities(p: Net, x: Tensor): Tensor {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return softmax(add(matmul(h, p.W2), p.b2));
}
