/**
 * Matrix products with a fused elementwise epilogue: the product's elements
 * go straight through a generated kernel (the product is the kernel's
 * operand 0, `operands` follow, broadcast to the product's shape), so
 * `tanh(add(matmul(x, W), b))` is one pass over the output instead of two.
 * The compiler's fusion (compiler/emit/fuse-epilogue.ts) emits these for
 * `matmul` and for the adjoint products `matmulGradA` / `matmulGradB`.
 *
 * Shapes are not known when the code is generated, so each call checks at
 * run time that the epilogue may run inside the product: every operand
 * broadcasts to the product's shape (and, for the adjoint products, the
 * product needs no summing over broadcast batch axes). When not, it gives
 * the same result unfused: the product, then `fused(kernel, ...)`.
 */
import type { FusedKernel } from '../backends/fused.ts';
import { release } from '../lifetimes.ts';
import { Tensor, type DType, type Shape } from '../tensor.ts';
import { broadcastShapes, shapesEqual } from '../shape.ts';
import { matmul, matmulBatchShape } from './linalg.ts';
import { matmulGradA, matmulGradB, type ShapeLike } from './adjoint.ts';
import { fused } from './fused.ts';
import { backendOf, type Operand } from './util.ts';

/** `kernel(matmul(a, b, transposeA, transposeB), ...operands)` in one pass where the shapes allow it. */
export function matmulFused(kernel: FusedKernel, a: Tensor, b: Tensor, operands: readonly Operand[], transposeA = false, transposeB = false): Tensor {
  if (operands.length + 1 !== kernel.arity) throw new RangeError(`${kernel.name}: takes ${kernel.arity} operands (the product first), got the product and ${operands.length}`);
  const batch = matmulBatchShape(a, b, transposeA, transposeB);
  const out = productShapeOf(a, b, transposeA, transposeB, batch);
  if (!fitsProduct(kernel, out, operands)) return unfused(kernel, matmul(a, b, transposeA, transposeB), operands);
  return backendOf(kernel.name, a, b, ...operands).matmulEpilogue(a, b, transposeA, transposeB, batch, kernel, operands);
}

/** `kernel(matmulGradA(g, a, b, transposeA, transposeB), ...operands)`: the cotangent of a, with the epilogue in its product. */
export function matmulGradAFused(kernel: FusedKernel, g: Tensor, a: Tensor, b: Tensor, operands: readonly Operand[], transposeA = false, transposeB = false): Tensor {
  // matmulGradA's product: G op(B)^T, or op(B) G^T when A was transposed.
  const [x, y, tx, ty] = transposeA ? [b, g, transposeB, true] : [g, b, false, !transposeB];
  if (!shapesEqual(productShapeOf(x, y, tx, ty, matmulBatchShape(x, y, tx, ty)), a.shape)) return unfused(kernel, matmulGradA(g, a, b, transposeA, transposeB), operands);
  return matmulFused(kernel, x, y, operands, tx, ty);
}

/** `kernel(matmulGradB(g, a, b, transposeA, transposeB), ...operands)`: the cotangent of b, with the epilogue in its product. */
export function matmulGradBFused(kernel: FusedKernel, g: Tensor, a: Tensor, b: Tensor, operands: readonly Operand[], transposeA = false, transposeB = false): Tensor {
  // matmulGradB's product: op(A)^T G, or G^T op(A) when B was transposed.
  const [x, y, tx, ty] = transposeB ? [g, a, true, transposeA] : [a, g, !transposeA, false];
  if (!shapesEqual(productShapeOf(x, y, tx, ty, matmulBatchShape(x, y, tx, ty)), b.shape)) return unfused(kernel, matmulGradB(g, a, b, transposeA, transposeB), operands);
  return matmulFused(kernel, x, y, operands, tx, ty);
}

/**
 * The shape, dtype and backend `matmul(a, b, transposeA, transposeB)`
 * would have (checked as matmul checks them), computing nothing: what the
 * shape-only reads (`unbroadcast(g, like)`) of a product the compiler
 * fused away still need.
 */
export function productLike(a: Tensor, b: Tensor, transposeA = false, transposeB = false): ShapeLike {
  const shape = productShapeOf(a, b, transposeA, transposeB, matmulBatchShape(a, b, transposeA, transposeB));
  const dtype: DType = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
  return { shape, dtype, backend: backendOf('matmul', a, b) };
}

function productShapeOf(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batch: Shape): number[] {
  const m = transposeA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const n = transposeB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  return [...batch, m, n];
}

/** Does every tensor operand broadcast to the product's shape `out` (so the result has the product's shape)? */
function fitsProduct(kernel: FusedKernel, out: Shape, operands: readonly Operand[]): boolean {
  return operands.every((x) => !(x instanceof Tensor) || shapesEqual(broadcastShapes(kernel.name, out, x.shape), out));
}

function unfused(kernel: FusedKernel, product: Tensor, operands: readonly Operand[]): Tensor {
  const out = fused(kernel, [product, ...operands]) as Tensor;
  release(product);
  return out;
}
