/**
 * Hand-written value-and-gradient of the XOR losses (the fallback until
 * model.grad.ts is generated).
 */
import { add, matmul, sigmoidCrossEntropy, sigmoidCrossEntropyGrad, sum, tanh, tanhGrad, type Tensor } from 'wengert';
import type { NetParams, NeuronParams } from './model.ts';

export function valueAndGrad_neuronLoss(p: NeuronParams, x: Tensor, y: Tensor): [number, NeuronParams] {
  const z = add(matmul(x, p.w), p.b);
  const value = sigmoidCrossEntropy(z, y);
  const dz = sigmoidCrossEntropyGrad(1, z, y); // (sigmoid(z) - y) / n
  return [value, { w: matmul(x, dz, true, false), b: sum(dz, 0) }];
}

export function valueAndGrad_netLoss(p: NetParams, x: Tensor, y: Tensor): [number, NetParams] {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  const z = add(matmul(h, p.W2), p.b2);
  const value = sigmoidCrossEntropy(z, y);
  const dz = sigmoidCrossEntropyGrad(1, z, y);
  const dh = matmul(dz, p.W2, false, true);
  const da = tanhGrad(dh, h) as Tensor;
  return [value, { W1: matmul(x, da, true, false), b1: sum(da, 0), W2: matmul(h, dz, true, false), b2: sum(dz, 0) }];
}
