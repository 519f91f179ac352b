/**
 * `matmulFused(kernel, a, b, operands)`: a matrix product whose elements go
 * straight through a generated elementwise kernel (the product is the
 * kernel's operand 0, `operands` follow, broadcast to the product's shape),
 * so `add(matmul(h, W), b)` or `tanh(add(matmul(x, W), b))` is one pass
 * over the output instead of two. The compiler's fusion emits it; shapes
 * are checked as `matmul` checks them.
 */
import type { FusedKernel } from '../backends/fused.ts';
import { Tensor } from '../tensor.ts';
import { ShapeError, broadcastShapes, fmt, shapesEqual } from '../shape.ts';
import { matmulBatchShape } from './linalg.ts';
import { backendOf, type Operand } from './util.ts';

export function matmulFused(kernel: FusedKernel, a: Tensor, b: Tensor, operands: readonly Operand[], transposeA = false, transposeB = false): Tensor {
  const batch = matmulBatchShape(a, b, transposeA, transposeB);
  if (operands.length + 1 !== kernel.arity) throw new RangeError(`${kernel.name}: takes ${kernel.arity} operands (the product first), got the product and ${operands.length}`);
  const m = transposeA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const n = transposeB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  const out = [...batch, m, n];
  for (const x of operands) {
    if (x instanceof Tensor && !shapesEqual(broadcastShapes(kernel.name, out, x.shape), out)) {
      throw new ShapeError(`${kernel.name}: operand of shape ${fmt(x.shape)} does not broadcast to the product's shape ${fmt(out)}`);
    }
  }
  return backendOf(kernel.name, a, b, ...operands).matmulEpilogue(a, b, transposeA, transposeB, batch, kernel, operands);
}
