/**
 * `fused(kernel, operands)`: the op generated code calls for a group of
 * elementwise ops the compiler fused (compiler/emit/fuse.ts). Like every
 * elementwise op it broadcasts its operands (the group's output shape is
 * the broadcast of all of them, because broadcasting is associative) and
 * gives a number when every operand is a number.
 */
import type { FusedKernel } from '../backends/fused.ts';
import { Tensor } from '../tensor.ts';
import type { DType, Shape } from '../tensor.ts';
import { broadcastShapes } from '../shape.ts';
import type { ShapeLike } from './adjoint.ts';
import { backendOf, promote, type Operand } from './util.ts';

export type { FusedKernel } from '../backends/fused.ts';
/** The op table's float32 tanh, which fused kernels' `cpuF32` functions call. */
export { tanhF32 } from '../backends/op-table.ts';

/** Does the tuple hold a Tensor for sure? */
type HasTensor<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? ([H] extends [Tensor] ? true : HasTensor<R>) : false;

/** number when every operand is a number, Tensor when one is surely a tensor, else either. */
export type FusedResult<T extends readonly Operand[]> = T extends readonly number[] ? number : HasTensor<T> extends true ? Tensor : Operand;

/** The values of the generated elementwise `kernel` over `operands`, broadcast together. */
export function fused<const T extends readonly Operand[]>(kernel: FusedKernel, operands: T): FusedResult<T>;
export function fused(kernel: FusedKernel, operands: readonly Operand[]): Operand {
  const out = fusedOutput(kernel, operands);
  if (out === null) return kernel.cpu(...(operands as readonly number[]));
  return backendOf(kernel.name, ...operands).fused(kernel, operands, out.shape, out.dtype);
}

/**
 * The shape, dtype and backend of `fused(kernel, operands)`, computing
 * nothing: what the shape-only reads (`meanGrad(g, x)`) of a chain the
 * compiler fused into a reduction still need.
 */
export function fusedLike<const T extends readonly Operand[]>(kernel: FusedKernel, operands: T): FusedLikeResult<T>;
export function fusedLike(kernel: FusedKernel, operands: readonly Operand[]): ShapeLike | number {
  const out = fusedOutput(kernel, operands);
  // Over numbers the chain is a number, which is its own stand-in.
  if (out === null) return kernel.cpu(...(operands as readonly number[]));
  return { ...out, backend: backendOf(kernel.name, ...operands) };
}

/** number when every operand is a number, ShapeLike when one is surely a tensor, else either. */
export type FusedLikeResult<T extends readonly Operand[]> = T extends readonly number[] ? number : HasTensor<T> extends true ? ShapeLike : ShapeLike | number;

/** The shape and dtype of `kernel` over `operands` (checked: the arity, and that they broadcast), or null when every operand is a number. */
export function fusedOutput(kernel: FusedKernel, operands: readonly Operand[]): { shape: Shape; dtype: DType } | null {
  if (operands.length !== kernel.arity) throw new RangeError(`${kernel.name}: takes ${kernel.arity} operands, got ${operands.length}`);
  let shape: Shape | null = null;
  for (const x of operands) {
    if (x instanceof Tensor) shape = shape === null ? x.shape : broadcastShapes(kernel.name, shape, x.shape);
  }
  return shape === null ? null : { shape, dtype: promote(operands, kernel.dtype !== 'same') };
}
