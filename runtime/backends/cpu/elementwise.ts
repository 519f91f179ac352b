/**
 * CPU kernels for elementwise ops: unary functions, fused activation
 * gradients and broadcast binary ops. Each (op, result kind) has its own
 * loop with the op table's expression inlined (../op-table.ts), so V8 sees
 * a tight loop over typed arrays as if written by hand. The loops are
 * generated ahead of time (elementwise-kernels.ts, written by
 * generate-kernels.ts), never compiled at run time: the backend runs under
 * a Content-Security-Policy that forbids `unsafe-eval`.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import type { TypedArray } from '../../tensor.ts';
import { binaryKernels, binaryScalars, unaryGradKernels, unaryKernels, unaryScalars, type ByResultKind } from './elementwise-kernels.ts';

export { tanhF32 } from '../op-table.ts';

/** The kernel for a result in `out`: `f32` for float32 results, `f64` otherwise (float64 arithmetic). */
function kernelFor<K>(kernels: ByResultKind<K>, out: TypedArray): K {
  return out instanceof Float32Array ? kernels.f32 : kernels.f64;
}

export function unaryKernel(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void {
  kernelFor(unaryKernels[op], out)(x, out, param);
}

export function unaryGradKernel(op: UnaryGradOp, g: TypedArray, v: TypedArray, out: TypedArray, param: number): void {
  kernelFor(unaryGradKernels[op], out)(g, v, out, param);
}

/** One output row: out[o + i] = a[ao + i sa] op b[bo + i sb] for i < n. */
export function binaryRow(
  op: BinaryOp,
  a: TypedArray,
  ao: number,
  sa: number,
  b: TypedArray,
  bo: number,
  sb: number,
  out: TypedArray,
  o: number,
  n: number,
): void {
  kernelFor(binaryKernels[op], out)(a, ao, sa, b, bo, sb, out, o, n);
}

/** The same op on two numbers (used when both operands are numbers). */
export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  return binaryScalars[op](x, y);
}

export function unaryScalar(op: UnaryOp, x: number, param: number): number {
  return unaryScalars[op](x, param);
}
