/**
 * Helpers shared by the op files: picking the backend of the operands,
 * result dtypes, and reading int32 index operands.
 */
import type { Backend } from '../backends/backend.ts';
import { defaultBackend } from '../backends/index.ts';
import { Tensor } from '../tensor.ts';
import { assertLive } from '../lifetimes.ts';
import type { DType } from '../tensor.ts';
import { ShapeError, fmt } from '../shape.ts';

export type Operand = Tensor | number;

/** The backend of the tensor operands (all must agree; none may be released). */
export function backendOf(op: string, ...xs: readonly unknown[]): Backend {
  let b: Backend | null = null;
  for (const x of xs) {
    if (x instanceof Tensor) {
      assertLive(op, x);
      if (b === null) b = x.backend;
      else if (b !== x.backend) throw new ShapeError(`${op}: operands live on different backends (${b.name} and ${x.backend.name})`);
    }
  }
  return b ?? defaultBackend();
}

/**
 * Result dtype of an arithmetic op: float64 wins over float32 over int32;
 * plain numbers are weak (they do not widen float32), but a non-integer
 * number turns int32 into float32.
 */
export function promote(xs: readonly Operand[], floatResult = false): DType {
  let hasF64 = false;
  let hasF32 = false;
  let hasInt = false;
  let fractional = false;
  for (const x of xs) {
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) fractional = true;
    } else if (x.dtype === 'float64') hasF64 = true;
    else if (x.dtype === 'float32') hasF32 = true;
    else hasInt = true;
  }
  if (hasF64) return 'float64';
  if (hasF32) return 'float32';
  if (hasInt && !fractional && !floatResult) return 'int32';
  return 'float32';
}

/** The float dtype of a result computed from x (int32 becomes float32). */
export function floatDtype(x: Tensor): DType {
  return x.dtype === 'int32' ? 'float32' : x.dtype;
}

/** Labels or indices as an Int32Array (from an Int32Array, an int32 tensor or numbers). */
export function indexArray(op: string, what: string, x: Int32Array | Tensor | readonly number[]): Int32Array {
  if (x instanceof Int32Array) return x;
  if (x instanceof Tensor) {
    if (x.dtype !== 'int32') throw new ShapeError(`${op}: ${what} must be int32, got a ${x.dtype} tensor of shape ${fmt(x.shape)}`);
    return x.dataSync() as Int32Array;
  }
  return Int32Array.from(x);
}

export function expectTensor(op: string, what: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  throw new ShapeError(`${op}: ${what} must be a Tensor, got ${typeof x === 'number' ? 'a number' : typeof x}`);
}

/** For ops that give numbers: on a device backend, a clear error naming the 0-d tensor variant (no silent read back). */
export function numberOnCpu(op: string, x: Tensor, variant: string): void {
  if (x.backend.name !== 'cpu') {
    throw new ShapeError(`${op}: gives a number, which would read the ${x.backend.name} device back at every call; use ${variant}, a 0-d tensor read only when you ask (await t.data())`);
  }
}
