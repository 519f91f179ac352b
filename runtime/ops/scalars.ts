/**
 * Scalars that stay on the device: 0-d tensors. On the CPU a loss may be a
 * plain number (`softmaxCrossEntropy`, `sum(x)`), but on a device backend a
 * number means reading the device back at every call. These ops give the
 * same values as 0-d tensors, read only when the user asks (`item(t)` on
 * the CPU, `await t.data()` anywhere). A `@differentiable` function that
 * returns one gets `grad_f` and `valueAndGrad_f` seeded with `ones([])`
 * (`scalarSeed`, `seedFor`).
 */
import { cpu } from '../backends/cpu/index.ts';
import { constantTensor, release } from '../lifetimes.ts';
import type { Backend } from '../backends/backend.ts';
import type { DType } from '../tensor.ts';
import { Tensor } from '../tensor.ts';
import { ShapeError, fmt } from '../shape.ts';
import { backendOf, expectTensor, floatDtype } from './util.ts';
export { numberOnCpu } from './util.ts';
import { mul } from './elementwise.ts';
import { sum, mean } from './reductions.ts';
import { checkLogits, softmaxCrossEntropyGrad } from './nn.ts';

/** The sum of all elements as a 0-d tensor (no read back). */
export function sumAll(x: Tensor): Tensor {
  expectTensor('sumAll', 'the operand', x);
  return sum(x, [...x.shape.keys()]);
}

/** The mean of all elements as a 0-d tensor (no read back). */
export function meanAll(x: Tensor): Tensor {
  expectTensor('meanAll', 'the operand', x);
  return mean(x, [...x.shape.keys()]);
}

/**
 * `softmaxCrossEntropy` as a 0-d tensor: the mean over the batch of
 * -log softmax(logits)[label], computed on the backend (no read back).
 */
export function softmaxCrossEntropyLoss(logits: Tensor, labels: Int32Array | Tensor): Tensor {
  const idx = checkLogits('softmaxCrossEntropyLoss', logits, labels);
  return backendOf('softmaxCrossEntropyLoss', logits).softmaxCrossEntropyMean(logits, idx);
}

/** The tangent of softmaxCrossEntropyLoss, a 0-d tensor: <softmax(logits) - onehot, dlogits> / batch. */
export function softmaxCrossEntropyLossJvp(dlogits: Tensor, logits: Tensor, labels: Int32Array | Tensor): Tensor {
  const g = softmaxCrossEntropyGrad(1, logits, labels);
  const prod = mul(g, dlogits);
  release(g);
  const out = sumAll(prod);
  release(prod);
  return out;
}

/** The cotangent of the logits of softmaxCrossEntropyLoss for a 0-d (or number) cotangent g. */
export function softmaxCrossEntropyLossGrad(g: Tensor | number, logits: Tensor, labels: Int32Array | Tensor): Tensor {
  if (typeof g === 'number') return softmaxCrossEntropyGrad(g, logits, labels);
  // The seed of grad_f is 1: the gradient is one kernel, not the unit gradient times g.
  if (unitSeeds.has(g)) return softmaxCrossEntropyGrad(1, logits, labels);
  const unit = softmaxCrossEntropyGrad(1, logits, labels);
  const out = mul(unit, g);
  release(unit);
  return out;
}

/** The value of a 0-d (or one-element) tensor, synchronously: on the CPU backend only (elsewhere `(await t.data())[0]`). */
export function item(t: Tensor | number): number {
  if (typeof t === 'number') return t;
  if (t.size !== 1) throw new ShapeError(`item: expected a 0-d tensor, got shape ${fmt(t.shape)}`);
  if (t.backend.name !== 'cpu') throw new ShapeError(`item: a ${t.backend.name} tensor cannot be read synchronously; use (await t.data())[0]`);
  return t.dataSync()[0]!;
}

const SEED = cpu.fill([], 1, 'float32');

/** The seed `grad_f` passes for a Tensor-valued f: stands for ones([]) on the result's backend. */
export function scalarSeed(): Tensor {
  return SEED;
}

/**
 * The cotangent a Tensor-valued f's reverse sweep starts from: `dy` itself,
 * or for the scalar seed of `grad_f`, ones([]) on the backend of `y`, which
 * must then be 0-d.
 */
export function seedFor(dy: Tensor, y: Tensor, fn: string): Tensor {
  if (dy !== SEED) return dy;
  if (!(y instanceof Tensor)) throw new ShapeError(`grad_${fn}: ${fn} returned ${typeof y}, not a tensor`);
  if (y.rank !== 0) {
    throw new ShapeError(`grad_${fn}: ${fn} must return a 0-d tensor for a gradient, got shape ${fmt(y.shape)}; reduce it (sumAll, meanAll, softmaxCrossEntropyLoss) or call vjp_${fn} with a cotangent of that shape`);
  }
  // On the CPU a fresh one costs nothing; on a device it would be a dispatch per step.
  return y.backend.name === 'cpu' ? y.backend.fill([], 1, floatDtype(y)) : unitSeed(y.backend, floatDtype(y));
}

/** The cached ones([]) seeds, per backend and dtype. */
const seeds = new WeakMap<Backend, Map<DType, Tensor>>();
/** The cached seeds: `softmaxCrossEntropyLossGrad` of one needs no multiplication. */
const unitSeeds = new WeakSet<Tensor>();

/**
 * ones([]) on `backend`, made once per backend and dtype and never
 * released (a constant of the runtime, `constantTensor`), so a step of a
 * training loop on a device costs no dispatch or upload for its seed.
 */
function unitSeed(backend: Backend, dtype: DType): Tensor {
  let byDtype = seeds.get(backend);
  if (!byDtype) seeds.set(backend, (byDtype = new Map()));
  let seed = byDtype.get(dtype);
  if (!seed) {
    seed = constantTensor(() => backend.fill([], 1, dtype));
    byDtype.set(dtype, seed);
    unitSeeds.add(seed);
  }
  return seed;
}
