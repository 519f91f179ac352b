/**
 * The source whose fused groups run inside a host: matrix products with an
 * elementwise epilogue (forward and adjoint) and reductions with an
 * elementwise prologue (test/webgpu-compiler/host-fusion.test.ts).
 */
export const hostFusionSource = `
import { add, matmul, mean, meanAll, mul, sigmoid, softmaxCrossEntropyLoss, sub, sum, sumAll, tanh, type Tensor } from 'wengert';

export interface P { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** A tanh layer then a sigmoid layer: matmul epilogues forward, matmulGradA with tanhGrad / sigmoidGrad epilogues in the adjoint. @differentiable wrt(p) */
export function dense(p: P, x: Tensor, labels: Int32Array): Tensor {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const s = sigmoid(add(matmul(h, p.W2, false, true), p.b2));
  return softmaxCrossEntropyLoss(s, labels);
}

/** A mean squared error: meanAll of a chain is one reduction with a prologue. @differentiable wrt(y) */
export function mse(y: Tensor, t: Tensor): Tensor {
  const d = sub(y, t);
  return meanAll(mul(d, d));
}

/** Sums and means over axes of chains, and a bias broadcast over rows (its adjoint an unbroadcast of a chain). @differentiable wrt(x, b) */
export function axes(x: Tensor, b: Tensor): Tensor {
  const z = mul(add(x, b), tanh(x));
  const rows = sum(mul(z, z), [1], true);
  const cols = mean(sub(z, 0.5), [0]);
  return add(sumAll(mul(rows, 0.25)), sumAll(mul(cols, cols)));
}

/** A batched product with a weight broadcast over the batch: the adjoint product sums over the batch, so its tanhGrad epilogue runs unfused. @differentiable wrt(x, V) */
export function batched(x: Tensor, V: Tensor, c: Tensor): Tensor {
  return sumAll(mul(matmul(x, tanh(mul(V, 1.5))), c));
}

/** A bias that broadcasts the product up (B has a batch axis the product lacks): the epilogue runs unfused. @differentiable wrt(x, W, B) */
export function wide(x: Tensor, W: Tensor, B: Tensor): Tensor {
  return sumAll(tanh(add(matmul(x, W), B)));
}
`;
