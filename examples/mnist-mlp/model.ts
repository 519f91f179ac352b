/**
 * A 784-128-10 multilayer perceptron for MNIST, written with runtime ops.
 * `loss` (tanh hidden layer) is the model the benchmark times;
 * `regularizedLoss`, the training script's loss, is built from layer
 * helpers (`dense`, `nonlinearity`, `squaredNorm`) and adds the choices the
 * training script offers: ReLU instead of tanh, dropout on the hidden
 * layer and an L2 penalty. `wengert build` writes their gradients to
 * model.grad.ts.
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
  softmaxCrossEntropyLoss,
  sum,
  sumAll,
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
 *
 * Kept written out, not built from `dense`: bench/mlp times this function's
 * generated gradient against the hand-written one, and in reverse mode a
 * call to a differentiable helper recomputes the helper's forward sweep
 * inside its pullback, which would make the benchmark slower.
 * @differentiable wrt(p)
 */
export function loss(p: Params, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const logits = add(matmul(h, p.W2), p.b2);
  return softmaxCrossEntropy(logits, labels);
}

/**
 * A dense layer, x W + b: [batch, in] -> [batch, out]. The arguments come
 * in the order of PyTorch's functional `linear(input, weight, bias)`.
 * @differentiable
 */
export function dense(x: Tensor, W: Tensor, b: Tensor): Tensor {
  return add(matmul(x, W), b);
}

/**
 * The hidden layer's nonlinearity: ReLU or tanh.
 * @differentiable
 */
export function nonlinearity(z: Tensor, useRelu: boolean): Tensor {
  if (useRelu) return relu(z);
  return tanh(z);
}

/**
 * |W|^2, the sum of the squares of the entries.
 * @differentiable
 */
export function squaredNorm(W: Tensor): number {
  return sum(mul(W, W));
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
  const hidden = dropout(nonlinearity(dense(x, p.W1, p.b1), useRelu), dropoutRate, seed);
  const logits = dense(hidden, p.W2, p.b2);
  const penalty = squaredNorm(p.W1) + squaredNorm(p.W2);
  return softmaxCrossEntropy(logits, labels) + 0.5 * l2 * penalty;
}

/**
 * |W|^2 as a 0-d tensor (no read back on a device).
 * @differentiable
 */
export function squaredNormOnDevice(W: Tensor): Tensor {
  return sumAll(mul(W, W));
}

/**
 * `regularizedLoss` as a 0-d tensor: the same value, kept on the device
 * (no read back per step on WebGPU; read it with `await loss.data()`).
 * `valueAndGrad_regularizedLossOnDevice` is the WebGPU training loss.
 * @differentiable wrt(p)
 */
export function regularizedLossOnDevice(
  p: Params,
  x: Tensor,
  labels: Int32Array,
  useRelu: boolean,
  dropoutRate: number,
  seed: number,
  l2: number,
): Tensor {
  const hidden = dropout(nonlinearity(dense(x, p.W1, p.b1), useRelu), dropoutRate, seed);
  const logits = dense(hidden, p.W2, p.b2);
  const penalty = add(squaredNormOnDevice(p.W1), squaredNormOnDevice(p.W2));
  return add(softmaxCrossEntropyLoss(logits, labels), mul(penalty, 0.5 * l2));
}

/** Logits of the network (no dropout), for prediction. */
export function predictLogits(p: Params, x: Tensor, activation: Activation): Tensor {
  const hidden = nonlinearity(dense(x, p.W1, p.b1), activation === 'relu');
  return dense(hidden, p.W2, p.b2);
}

/** Fraction of rows whose largest logit is the label, read asynchronously (any backend). */
export async function accuracyAsync(p: Params, x: Tensor, labels: Int32Array, activation: Activation): Promise<number> {
  const predicted = await argmax(predictLogits(p, x, activation), 1).data();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

/** Fraction of rows whose largest logit is the label. */
export function accuracy(p: Params, x: Tensor, labels: Int32Array, activation: Activation): number {
  const predicted = argmax(predictLogits(p, x, activation), 1).dataSync();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}
