/**
 * The backend interface: where tensor storage lives and the kernels that
 * compute on it. Ops (runtime/ops/) validate arguments, work out result
 * shapes and dtypes, and then call exactly one of these methods, so a new
 * backend (WebGPU next) implements this interface and nothing else. The CPU
 * backend is the reference: other backends are tested against it.
 *
 * Conventions: every kernel returns a new tensor unless its name ends in
 * `InPlace`; shapes handed to kernels are already validated; `axes` are
 * sorted and non-negative; int32 index arrays are host `Int32Array`s.
 */
import type { DType, Shape, Tensor, TypedArray } from '../tensor.ts';
import type { FusedKernel } from './fused.ts';
import type { BinaryOpName, UnaryGradOpName, UnaryOpName } from './op-table.ts';

export type BackendName = 'cpu' | 'webgpu';

/**
 * The elementwise op names are the keys of the op table (op-table.ts),
 * which holds each op's CPU and WGSL code and its documentation:
 * `UnaryOp` (one operand; `leakyRelu` reads `param`), `UnaryGradOp`
 * (`g * f'(v)` for activations, fused) and `BinaryOp` (two broadcast
 * operands; comparisons give int32 0/1).
 */
export type UnaryOp = UnaryOpName;
export type UnaryGradOp = UnaryGradOpName;
export type BinaryOp = BinaryOpName;

export type ReduceOp = 'sum' | 'max' | 'min';

/** An operand of an elementwise kernel: a tensor or a scalar. */
export type Operand = Tensor | number;

export interface Backend {
  readonly name: BackendName;

  // ---- storage ---------------------------------------------------------
  /** A tensor that adopts `values` (no copy) as its storage. */
  fromValues(values: TypedArray, shape: Shape): Tensor;
  /** A tensor filled with `value`. */
  fill(shape: Shape, value: number, dtype: DType): Tensor;
  /** The values on the host; throws if the backend cannot read synchronously. */
  readSync(t: Tensor): TypedArray;
  read(t: Tensor): Promise<TypedArray>;
  /** Same storage, new shape (sizes equal). */
  reshape(x: Tensor, shape: Shape): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;

  // ---- elementwise -----------------------------------------------------
  unary(op: UnaryOp, x: Tensor, param: number): Tensor;
  /** `g * f'(v)`; g and v have the same shape. */
  unaryGrad(op: UnaryGradOp, g: Tensor, v: Tensor, param: number): Tensor;
  /** a op b with NumPy broadcasting to `outShape`. */
  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor;
  /** cond != 0 ? a : b, broadcast to `outShape`. */
  where(cond: Operand, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor;
  /** Broadcast to a bigger shape (materialised). */
  broadcastTo(x: Tensor, shape: Shape): Tensor;
  /** One generated elementwise kernel over broadcast operands (compiler fusion). */
  fused(kernel: FusedKernel, operands: readonly Operand[], outShape: Shape, outDtype: DType): Tensor;
  /** Gives t's storage back to the backend's pool; t must not be used afterwards. No-op on the CPU. */
  release(t: Tensor): void;

  // ---- reductions ------------------------------------------------------
  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor;
  /**
   * A sum with a fused elementwise prologue (compiler fusion): `kernel`
   * over `operands` broadcast to `shape` (of dtype `dtype`), summed over
   * `axes` and divided by `count` (the reduced count for a mean, 1 for a
   * sum), without storing the kernel's values.
   */
  sumFused(kernel: FusedKernel, operands: readonly Operand[], shape: Shape, dtype: DType, axes: readonly number[], keepdims: boolean, count: number): Tensor;
  /** int32 index of the largest element along `axis` (first one on ties); the axis is removed. */
  argmax(x: Tensor, axis: number): Tensor;

  // ---- linear algebra and layout --------------------------------------
  /**
   * Batched matrix product of a [..., m, k] (or [..., k, m] if transposeA)
   * and b [..., k, n] (or [..., n, k]); batch dimensions broadcast to
   * `batchShape`.
   */
  matmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape): Tensor;
  /**
   * matmul with a fused elementwise epilogue: each product element c goes
   * through `kernel.cpu` / `body` as operand 0, the other operands (tensors
   * or numbers, broadcast to the product's shape) following; one pass.
   */
  matmulEpilogue(
    a: Tensor,
    b: Tensor,
    transposeA: boolean,
    transposeB: boolean,
    batchShape: Shape,
    kernel: FusedKernel,
    operands: readonly Operand[],
  ): Tensor;
  transpose(x: Tensor, perm: readonly number[]): Tensor;
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** Zeros of `shape` with `g` written at `begin` (adjoint of slice). */
  sliceAdjoint(g: Tensor, shape: Shape, begin: readonly number[]): Tensor;
  concat(xs: readonly Tensor[], axis: number): Tensor;
  /** Rows `indices` of `x` along axis 0: result shape indexShape ++ x.shape[1:]. */
  gather(x: Tensor, indices: Int32Array, indexShape: Shape): Tensor;
  /** A copy of `target` with `updates` rows added at `indices` (along axis 0). */
  scatterAdd(target: Tensor, indices: Int32Array, updates: Tensor): Tensor;

  // ---- nn ----------------------------------------------------------------
  /** softmax (or log-softmax) along `axis`. */
  softmax(x: Tensor, axis: number, log: boolean): Tensor;
  /** mean over rows of -log softmax(logits)[label]; logits [n, c]. */
  softmaxCrossEntropy(logits: Tensor, labels: Int32Array): number;
  /** The same mean as a 0-d tensor of the logits' float dtype, computed on the backend (no read back). */
  softmaxCrossEntropyMean(logits: Tensor, labels: Int32Array): Tensor;
  /** scale * (softmax(logits) - onehot(labels)): the fused gradient. */
  softmaxCrossEntropyGrad(logits: Tensor, labels: Int32Array, scale: number): Tensor;
  /** x * mask / (1 - rate) with mask_i = uniform(seed, i) >= rate. */
  dropout(x: Tensor, rate: number, seed: number): Tensor;
  /** Uniform [lo, hi) or normal(mean = lo, std = hi) values from `seed`. */
  random(kind: 'uniform' | 'normal', shape: Shape, a: number, b: number, seed: number, dtype: DType): Tensor;

  // ---- optimizers (in place) -------------------------------------------
  /** p -= lr * (g + weightDecay * p) */
  sgdInPlace(p: Tensor, g: Tensor, lr: number, weightDecay: number): void;
  /** v = mu v + g; p -= lr * (nesterov ? g + mu v : v) */
  momentumInPlace(p: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, nesterov: boolean): void;
  /** Adam with bias correction; t counts steps from 1. */
  adamInPlace(
    p: Tensor,
    g: Tensor,
    m: Tensor,
    v: Tensor,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    t: number,
  ): void;
}
