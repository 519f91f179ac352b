/**
 * A 784-128-10 multilayer perceptron for MNIST, written with runtime ops.
 * `loss` (tanh hidden layer) is the model the benchmark times;
 * `regularizedLoss` adds the choices the training script offers: ReLU
 * instead of tanh, dropout on the hidden layer and an L2 penalty.
 * `wengert build` writes their gradients to model.grad.ts.
 */
import {
  add,
  argmax,
  dropout,
  glorotUniform,
  heNormal,
  matmul,
  mul,
  relu,
  softmaxCrossEntropy,
  sum,
  tanh,
  zeros,
  type Tensor,
} from 'wengert';

export interface Params {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

export type Activation = 'tanh' | 'relu';

/** Glorot init for tanh, He init for ReLU, zero biases. */
export function initParams(hidden: number, activation: Activation, seed: number): Params {
  const init = activation === 'relu' ? heNormal : glorotUniform;
  return {
    W1: init([784, hidden], seed),
    b1: zeros([hidden]),
    W2: glorotUniform([hidden, 10], seed + 1),
    b2: zeros([10]),
  };
}

/**
 * Mean softmax cross-entropy of the tanh MLP on a batch.
 * @differentiable wrt(p)
 */
export function loss(p: Params, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const logits = add(matmul(h, p.W2), p.b2);
  return softmaxCrossEntropy(logits, labels);
}

/**
 * The loss with the training options: ReLU or tanh, dropout on the hidden
 * layer (rate 0 turns it off; the seed picks the mask) and an L2 penalty
 * l2 / 2 * (|W1|^2 + |W2|^2).
 * @differentiable wrt(p)
 */
export function regularizedLoss(
  p: Params,
  x: Tensor,
  labels: Int32Array,
  useRelu: boolean,
  dropoutRate: number,
  seed: number,
  l2: number,
): number {
  const z = add(matmul(x, p.W1), p.b1);
  let h = tanh(z);
  if (useRelu) h = relu(z);
  const kept = dropout(h, dropoutRate, seed);
  const logits = add(matmul(kept, p.W2), p.b2);
  const penalty = sum(mul(p.W1, p.W1)) + sum(mul(p.W2, p.W2));
  return softmaxCrossEntropy(logits, labels) + 0.5 * l2 * penalty;
}

/** Logits of the network (no dropout), for prediction. */
export function predictLogits(p: Params, x: Tensor, activation: Activation): Tensor {
  const z = add(matmul(x, p.W1), p.b1);
  const h = activation === 'relu' ? relu(z) : tanh(z);
  return add(matmul(h, p.W2), p.b2);
}

/** Fraction of rows whose largest logit is the label. */
export function accuracy(p: Params, x: Tensor, labels: Int32Array, activation: Activation): number {
  const predicted = argmax(predictLogits(p, x, activation), 1).dataSync();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}
