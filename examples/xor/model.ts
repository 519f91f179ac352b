/**
 * XOR: a single sigmoid neuron cannot separate the four points, a network
 * with one hidden layer can. Both losses are the mean binary cross-entropy
 * of sigmoid outputs; `wengert build` writes their gradients to model.grad.ts.
 */
import { add, matmul, sigmoidCrossEntropy, tanh, type Tensor } from 'wengert';

/** One neuron: y = sigmoid(x w + b). */
export interface NeuronParams {
  w: Tensor;
  b: Tensor;
}

/** One hidden layer of tanh units, then a sigmoid output. */
export interface NetParams {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

/** @differentiable wrt(p) */
export function neuronLoss(p: NeuronParams, x: Tensor, y: Tensor): number {
  return sigmoidCrossEntropy(add(matmul(x, p.w), p.b), y);
}

/** @differentiable wrt(p) */
export function netLoss(p: NetParams, x: Tensor, y: Tensor): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return sigmoidCrossEntropy(add(matmul(h, p.W2), p.b2), y);
}

/** Output logits of the network, for printing decisions. */
export function netLogits(p: NetParams, x: Tensor): Tensor {
  return add(matmul(tanh(add(matmul(x, p.W1), p.b1)), p.W2), p.b2);
}

export function neuronLogits(p: NeuronParams, x: Tensor): Tensor {
  return add(matmul(x, p.w), p.b);
}
