/**
 * The model the no-eval tests differentiate on the CPU backend (in Node
 * with `Function` and `eval` patched to throw, and in a browser page whose
 * Content-Security-Policy forbids eval): a layer whose activations go
 * through most elementwise ops of the op table, over a bias row broadcast
 * and a number parameter, so the sweeps run unary, binary, activation
 * gradient, fused and number kernels.
 */
import { add, div, exp, leakyRelu, log, matmul, maximum, mul, relu, sigmoid, softplus, sqrt, sub, sum, tanh, type Tensor } from 'wengert';

export interface Params {
  W: Tensor;
  b: Tensor;
  s: number;
}

/** @differentiable wrt(p) */
export function loss(p: Params, x: Tensor): number {
  const z = add(matmul(x, p.W), p.b);
  const a = tanh(z);
  const c = sigmoid(mul(z, p.s));
  const d = leakyRelu(sub(a, c), 0.2);
  const e = relu(add(d, 0.1));
  const f = softplus(mul(a, 3));
  const g = div(sqrt(add(mul(c, c), 1)), add(exp(mul(d, -1)), 1));
  const h = maximum(f, g);
  const k = log(add(h, e));
  return sum(mul(k, exp(mul(p.s, p.s))));
}
