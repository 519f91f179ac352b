/**
 * Neural-network ops: softmax and log-softmax, the usual losses (each
 * returns the mean as a number), dropout with an explicit seed, and the
 * helpers their derivative rules call (`softmaxGrad`, ...).
 */
import { Tensor } from '../tensor.ts';
import { ShapeError, fmt, normalizeAxis, shapesEqual } from '../shape.ts';
import { backendOf, expectTensor, indexArray, numberOnCpu } from './util.ts';
import { exp, mul, sigmoid, softplus, sub } from './elementwise.ts';
import { mean, sum } from './reductions.ts';

/** e^x / sum(e^x) along `axis` (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  expectTensor('softmax', 'the operand', x);
  return backendOf('softmax', x).softmax(x, normalizeAxis('softmax', x.shape, axis), false);
}

/** x - logsumexp(x) along `axis` (default the last), computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  expectTensor('logSoftmax', 'the operand', x);
  return backendOf('logSoftmax', x).softmax(x, normalizeAxis('logSoftmax', x.shape, axis), true);
}

export function checkLogits(op: string, logits: Tensor, labels: Int32Array | Tensor): Int32Array {
  expectTensor(op, 'logits', logits);
  if (logits.rank !== 2) throw new ShapeError(`${op}: logits must be [batch, classes], got shape ${fmt(logits.shape)}`);
  const [n, c] = logits.shape as [number, number];
  if (n === 0) throw new ShapeError(`${op}: empty batch (logits of shape ${fmt(logits.shape)})`);
  const idx = indexArray(op, 'labels', labels);
  if (idx.length !== n) throw new ShapeError(`${op}: ${idx.length} labels for a batch of ${n} (logits of shape ${fmt(logits.shape)})`);
  for (let i = 0; i < n; i++) {
    if (idx[i]! < 0 || idx[i]! >= c) throw new ShapeError(`${op}: label ${idx[i]} (row ${i}) is out of range for ${c} classes`);
  }
  return idx;
}

/**
 * Mean over the batch of -log softmax(logits)[label]: logits [batch,
 * classes], labels int32 (an Int32Array or an int32 tensor). Fused: one
 * pass per row, no softmax tensor is made.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array | Tensor): number {
  const idx = checkLogits('softmaxCrossEntropy', logits, labels);
  numberOnCpu('softmaxCrossEntropy', logits, 'softmaxCrossEntropyLoss(logits, labels)');
  return backendOf('softmaxCrossEntropy', logits).softmaxCrossEntropy(logits, idx);
}

/** g (softmax(logits) - onehot(labels)) / batch: the cotangent of the logits. */
export function softmaxCrossEntropyGrad(g: number, logits: Tensor, labels: Int32Array | Tensor): Tensor {
  const idx = checkLogits('softmaxCrossEntropyGrad', logits, labels);
  return backendOf('softmaxCrossEntropyGrad', logits).softmaxCrossEntropyGrad(logits, idx, g / logits.shape[0]!);
}

/** The tangent of softmaxCrossEntropy: <softmax(logits) - onehot, dlogits> / batch. */
export function softmaxCrossEntropyJvp(dlogits: Tensor, logits: Tensor, labels: Int32Array | Tensor): number {
  return sum(mul(softmaxCrossEntropyGrad(1, logits, labels), dlogits));
}

/**
 * Mean over all elements of the binary cross-entropy between sigmoid(logits)
 * and targets in [0, 1]: softplus(x) - x z, stable for large |x|.
 */
export function sigmoidCrossEntropy(logits: Tensor, targets: Tensor): number {
  checkPair('sigmoidCrossEntropy', logits, targets);
  numberOnCpu('sigmoidCrossEntropy', logits, 'meanAll(sub(softplus(logits), mul(logits, targets)))');
  return mean(sub(softplus(logits), mul(logits, targets)));
}

/** g (sigmoid(x) - z) / n: cotangent of the logits. */
export function sigmoidCrossEntropyGrad(g: number, logits: Tensor, targets: Tensor): Tensor {
  checkPair('sigmoidCrossEntropyGrad', logits, targets);
  return mul(sub(sigmoid(logits), targets), g / logits.size);
}

/** -g x / n: cotangent of the targets. */
export function sigmoidCrossEntropyTargetGrad(g: number, logits: Tensor): Tensor {
  return mul(logits, -g / logits.size);
}

/** Mean squared error mean((pred - target)^2); shapes must be equal. */
export function mse(pred: Tensor, target: Tensor): number {
  checkPair('mse', pred, target);
  numberOnCpu('mse', pred, 'meanAll(mul(d, d)) with d = sub(pred, target)');
  const d = sub(pred, target);
  return mean(mul(d, d));
}

/** 2 g (pred - target) / n: the cotangent of `pred` (the target's is its negation). */
export function mseGrad(g: number, pred: Tensor, target: Tensor): Tensor {
  checkPair('mseGrad', pred, target);
  return mul(sub(pred, target), (2 * g) / pred.size);
}

function checkPair(op: string, a: Tensor, b: Tensor): void {
  expectTensor(op, 'the first operand', a);
  expectTensor(op, 'the second operand', b);
  if (!shapesEqual(a.shape, b.shape)) throw new ShapeError(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} must be equal`);
  if (a.size === 0) throw new ShapeError(`${op}: empty batch (shape ${fmt(a.shape)})`);
}

/**
 * Zeroes each element with probability `rate` and scales the rest by
 * 1 / (1 - rate). The mask depends only on `seed` and the element index,
 * so the same call in the reverse sweep rebuilds it. rate 0 returns x.
 */
export function dropout(x: Tensor, rate: number, seed: number): Tensor {
  expectTensor('dropout', 'the operand', x);
  if (!(rate >= 0 && rate < 1)) throw new ShapeError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  return backendOf('dropout', x).dropout(x, rate, seed >>> 0);
}

/** y (g - sum(g y)) along `axis`, y = softmax(x): cotangent (and tangent) through softmax. */
export function softmaxGrad(g: Tensor, y: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis('softmaxGrad', y.shape, axis);
  return mul(y, sub(g, sum(mul(g, y), ax, true)));
}

/** g - e^y sum(g) along `axis`, y = logSoftmax(x): cotangent through log-softmax. */
export function logSoftmaxGrad(g: Tensor, y: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis('logSoftmaxGrad', y.shape, axis);
  return sub(g, mul(exp(y), sum(g, ax, true)));
}

/** dx - sum(e^y dx) along `axis`, y = logSoftmax(x): tangent through log-softmax. */
export function logSoftmaxJvp(dx: Tensor, y: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis('logSoftmaxJvp', y.shape, axis);
  return sub(dx, sum(mul(exp(y), dx), ax, true));
}

