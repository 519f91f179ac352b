/**
 * Hand-written value-and-gradient of the losses in model.ts: the reverse
 * sweep a careful person writes with the runtime ops (and what wengert's
 * generated model.grad.ts is compared with, in tests and in bench/mlp).
 * Each adjoint line names the forward line it comes from.
 */
import {
  add,
  dropout,
  matmul,
  mul,
  relu,
  reluGrad,
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
  sum,
  tanh,
  tanhGrad,
  type Tensor,
} from 'wengert';
import type { Params } from './model.ts';

/** [loss(p, x, labels), d loss / d p] */
export function valueAndGrad_loss(p: Params, x: Tensor, labels: Int32Array): [number, Params] {
  // forward
  const h = tanh(add(matmul(x, p.W1), p.b1)); //       h = tanh(x W1 + b1)
  const logits = add(matmul(h, p.W2), p.b2); //        z = h W2 + b2
  const value = softmaxCrossEntropy(logits, labels); // L = mean CE(z, labels)
  // reverse
  const dLogits = softmaxCrossEntropyGrad(1, logits, labels); // dz = (softmax(z) - onehot) / n
  const dW2 = matmul(h, dLogits, true, false); //               dW2 = h^T dz
  const db2 = sum(dLogits, 0); //                               db2 = sum_rows dz
  const dh = matmul(dLogits, p.W2, false, true); //             dh = dz W2^T
  const dPre = tanhGrad(dh, h) as Tensor; //                    da = dh (1 - h^2)
  const dW1 = matmul(x, dPre, true, false); //                  dW1 = x^T da
  const db1 = sum(dPre, 0); //                                  db1 = sum_rows da
  return [value, { W1: dW1, b1: db1, W2: dW2, b2: db2 }];
}

/** [regularizedLoss(...), d / d p] */
export function valueAndGrad_regularizedLoss(
  p: Params,
  x: Tensor,
  labels: Int32Array,
  useRelu: boolean,
  dropoutRate: number,
  seed: number,
  l2: number,
): [number, Params] {
  // forward
  const z = add(matmul(x, p.W1), p.b1);
  const h = useRelu ? relu(z) : tanh(z);
  const kept = dropout(h, dropoutRate, seed);
  const logits = add(matmul(kept, p.W2), p.b2);
  const penalty = sum(mul(p.W1, p.W1)) + sum(mul(p.W2, p.W2));
  const value = softmaxCrossEntropy(logits, labels) + 0.5 * l2 * penalty;
  // reverse
  const dLogits = softmaxCrossEntropyGrad(1, logits, labels);
  let dW2 = matmul(kept, dLogits, true, false);
  const db2 = sum(dLogits, 0);
  const dKept = matmul(dLogits, p.W2, false, true);
  const dh = dropout(dKept, dropoutRate, seed); // the same mask
  const dz = (useRelu ? reluGrad(dh, z) : tanhGrad(dh, h)) as Tensor;
  let dW1 = matmul(x, dz, true, false);
  const db1 = sum(dz, 0);
  if (l2 !== 0) {
    dW1 = add(dW1, mul(p.W1, l2));
    dW2 = add(dW2, mul(p.W2, l2));
  }
  return [value, { W1: dW1, b1: db1, W2: dW2, b2: db2 }];
}
