/**
 * The playground's network: a stack of 0 to 6 dense hidden layers and one
 * output unit, with the loss the page trains. `loss` is differentiated by
 * wengert (the Vite plugin generates model.grad.ts from this file on the
 * fly, and the page's code panel shows that file); `forward` runs the same
 * network without derivatives, for the heat maps.
 *
 * The activation is passed as a number: the compiler refuses a string
 * parameter in a condition (`activation === 'tanh'` is "activation
 * (Identifier) is not supported in a differentiable function"), so the
 * page maps names to codes with ACTIVATIONS.
 */
import { Tensor, abs, add, leakyRelu, matmul, mul, relu, sigmoid, sigmoidCrossEntropy, softplus, sum, tanh } from 'wengert';

/** One dense layer: h W + b. */
export interface Layer {
  W: Tensor;
  b: Tensor;
}

/** The trainable parameters: the hidden layers in order, then the output layer (one unit). */
export interface Net {
  hidden: Layer[];
  output: Layer;
}

/** Activation names; the index of a name is the code `loss` and `forward` take. */
export const ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'leakyRelu', 'softplus', 'linear'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * Mean sigmoid cross-entropy of the network's output on a batch (x: one
 * row of features per point, y: labels 0 or 1 as a column), plus the
 * penalty l1 |W|_1 + l2/2 |W|_2^2 over every weight matrix (biases are not
 * penalised). `activation` is an index into ACTIVATIONS.
 * @differentiable wrt(p)
 */
export function loss(p: Net, x: Tensor, y: Tensor, activation: number, l1: number, l2: number): number {
  let h = x;
  let penalty = 0;
  for (const layer of p.hidden) {
    const z = add(matmul(h, layer.W), layer.b);
    if (activation === 0) h = tanh(z);
    else if (activation === 1) h = sigmoid(z);
    else if (activation === 2) h = relu(z);
    else if (activation === 3) h = leakyRelu(z, 0.01);
    else if (activation === 4) h = softplus(z);
    else h = z;
    penalty = penalty + l1 * sum(abs(layer.W)) + 0.5 * l2 * sum(mul(layer.W, layer.W));
  }
  const W = p.output.W;
  const logits = add(matmul(h, W), p.output.b);
  penalty = penalty + l1 * sum(abs(W)) + 0.5 * l2 * sum(mul(W, W));
  return sigmoidCrossEntropy(logits, y) + penalty;
}

/**
 * The activation with code `activation` applied to z: the same choices as
 * in `loss` (which must spell them out itself: a differentiable function
 * reads only its parameters, locals and literals, and calls no plain
 * function with a value that depends on p).
 */
export function activate(z: Tensor, activation: number): Tensor {
  if (activation === 0) return tanh(z);
  if (activation === 1) return sigmoid(z);
  if (activation === 2) return relu(z);
  if (activation === 3) return leakyRelu(z, 0.01);
  if (activation === 4) return softplus(z);
  return z;
}

/** The output of every layer for the rows of x: each hidden layer's activations, then the output probability. */
export function forward(p: Net, x: Tensor, activation: number): Tensor[] {
  const outputs: Tensor[] = [];
  let h = x;
  for (const layer of p.hidden) {
    h = activate(add(matmul(h, layer.W), layer.b), activation);
    outputs.push(h);
  }
  outputs.push(sigmoid(add(matmul(h, p.output.W), p.output.b)));
  return outputs;
}
