/**
 * Fused elementwise kernels: the compiler (compiler/emit/fuse*.ts) turns a
 * chain of elementwise ops of a generated sweep into one `FusedKernel`,
 * written into the generated file with its WGSL and its CPU function, both
 * built from the elementwise op table. A backend runs it over operands
 * broadcast (NumPy rules) to the output shape: one pass, no intermediates.
 *
 * This file also holds the CPU implementation (`cpuFused`): a walk over the
 * broadcast output's rows that runs the kernel's own row loop (`cpuRows`,
 * which the compiler writes with the element function inlined), or, for a
 * kernel without one, a shared loop that calls `kernel.cpu` per element.
 */
import type { Operand } from './backend.ts';
import { shapeSize, typedArrayFor } from '../tensor.ts';
import type { DType, Shape, TypedArray } from '../tensor.ts';
import { broadcastStrides, forEachRow, innerStrides } from './cpu/strided.ts';

export interface FusedKernel {
  /** Stable name (e.g. `fused_loss_3`), used in error messages and labels. */
  readonly name: string;
  /** Operand count; each operand is a Tensor or a number, broadcast (NumPy rules) to the output shape. */
  readonly arity: number;
  /** WGSL source declaring `fn body(v0: f32, ..., v<arity-1>: f32) -> f32` (helper fns may precede it). */
  readonly wgsl: string;
  /** The same function on the CPU (generated from the same op table). */
  readonly cpu: (...v: number[]) => number;
  /**
   * How the result dtype follows the tensor operands (as in the op table):
   * `same` keeps int32 (a chain of add, sub, mul, ...), `float` (the
   * default) turns int32 into float32. float64 wins over float32 either way.
   */
  readonly dtype?: 'same' | 'float';
  /**
   * For float32 results on the CPU, where it differs from `cpu`: the op
   * table's float32 expressions (`tanhF32`, exact to float32 and faster
   * than Math.tanh), as the CPU's unfused float32 kernels compute.
   */
  readonly cpuF32?: (...v: number[]) => number;
  /**
   * `cpu` as a loop over one row of the output: the CPU backend's fast
   * path (one call per row, none per element), where present.
   */
  readonly cpuRows?: FusedRows;
  /** `cpuF32` as a row loop, where `cpuF32` is given. */
  readonly cpuRowsF32?: FusedRows;
}

/**
 * Writes `out[o + i]` for `i < n`, operand `j` read from `x[j]` at
 * `p[j] + i * s[j]` (a scalar operand is a one-element array with step 0).
 */
export type FusedRows = (out: TypedArray, o: number, n: number, x: readonly TypedArray[], p: ArrayLike<number>, s: ArrayLike<number>) => void;

type Arr = TypedArray;

/**
 * The values of `kernel` over `operands` broadcast to `outShape`, in a new
 * typed array of `outDtype` (the CPU backend wraps it in a tensor), or in
 * `into`: the storage of operand 0 when that is a full-size operand whose
 * values are not needed after (each element reads its own position first).
 * Operand shapes are already checked to broadcast to `outShape`.
 */
export function cpuFused(kernel: FusedKernel, operands: readonly Operand[], outShape: Shape, outDtype: DType, into?: TypedArray): TypedArray {
  const out = into ?? typedArrayFor(outDtype, shapeSize(outShape));
  const arrays = operands.map((x) => (typeof x === 'number' ? Float64Array.of(x) : (x.storage as TypedArray)));
  const shapes = operands.map((x) => (typeof x === 'number' ? null : x.shape));
  runFused(kernel, arrays, shapes, outShape, out, outDtype === 'float32');
  return out;
}

/**
 * A matrix product's epilogue in place, on the slices [from, to) of
 * `outShape`'s first dimension only (rows of the product): `kernel` over
 * (`out`, ...`rest`) broadcast to `outShape`, into `out`, as `cpuFused`
 * with `into` = operand 0 = `out` computes those slices. The CPU backend
 * runs it on the rows of a threaded product as they are done. Each other
 * operand is read from its own slices where it runs along that dimension,
 * else whole.
 */
export function cpuEpilogueRows(kernel: FusedKernel, out: TypedArray, outShape: Shape, rest: readonly Operand[], from: number, to: number): void {
  const rowSize = shapeSize(outShape.slice(1));
  const sliceShape = [to - from, ...outShape.slice(1)];
  const slice = out.subarray(from * rowSize, to * rowSize);
  const arrays: Arr[] = [slice];
  const shapes: (Shape | null)[] = [sliceShape];
  for (const x of rest) {
    if (typeof x === 'number') {
      arrays.push(Float64Array.of(x));
      shapes.push(null);
      continue;
    }
    const alongRows = x.shape.length === outShape.length && x.shape[0] === outShape[0] && outShape[0] !== 1;
    const storage = x.storage as TypedArray;
    arrays.push(alongRows ? storage.subarray(from * (x.size / outShape[0]!)) : storage);
    shapes.push(alongRows ? [to - from, ...x.shape.slice(1)] : x.shape);
  }
  runFused(kernel, arrays, shapes, sliceShape, slice, out instanceof Float32Array);
}

/** The kernel over operand arrays of `shapes` (null: one number) broadcast to `outShape`, into `out`. */
function runFused(kernel: FusedKernel, arrays: Arr[], shapes: (Shape | null)[], outShape: Shape, out: TypedArray, f32: boolean): void {
  const size = shapeSize(outShape);
  const rows = rowsFor(kernel, f32);
  const sizes = shapes.map((s) => (s === null ? 1 : shapeSize(s)));
  // Fast path: every operand is full-size or a scalar (the common case in a sweep).
  if (sizes.every((n) => n === size || n === 1)) {
    const steps = sizes.map((n) => (n === 1 ? 0 : 1));
    rows(out, 0, size, arrays, new Array<number>(arrays.length).fill(0), steps);
    return;
  }
  const strides = shapes.map((s) => broadcastStrides(s ?? [], outShape));
  const inner = innerStrides(outShape, strides);
  forEachRow(outShape, strides, (offsets, o, n) => rows(out, o, n, arrays, offsets, inner));
}

/** The row loop for a float32 (`f32`) or other result: the kernel's own, else the shared one over its element function. */
function rowsFor(kernel: FusedKernel, f32: boolean): FusedRows {
  if (f32 && kernel.cpuF32) return kernel.cpuRowsF32 ?? elementRows(kernel.cpuF32);
  return kernel.cpuRows ?? elementRows(kernel.cpu);
}

function elementRows(f: (...v: number[]) => number): FusedRows {
  return (out, o, n, x, p, s) => rowLoop(f, x, p, s, out, o, n);
}

/** One inner row; the arity switch is outside the loop so each loop has a fixed call shape. */
function rowLoop(
  f: (...v: number[]) => number,
  a: readonly Arr[],
  offsets: ArrayLike<number>,
  s: ArrayLike<number>,
  out: Arr,
  o: number,
  n: number,
): void {
  switch (a.length) {
    case 1: {
      const [x0] = a as [Arr];
      for (let i = 0, p0 = offsets[0]!; i < n; i++, p0 += s[0]!) out[o + i] = f(x0[p0]!);
      return;
    }
    case 2: {
      const [x0, x1] = a as [Arr, Arr];
      const [s0, s1] = s as [number, number];
      for (let i = 0, p0 = offsets[0]!, p1 = offsets[1]!; i < n; i++, p0 += s0, p1 += s1) out[o + i] = f(x0[p0]!, x1[p1]!);
      return;
    }
    case 3: {
      const [x0, x1, x2] = a as [Arr, Arr, Arr];
      const [s0, s1, s2] = s as [number, number, number];
      let p0 = offsets[0]!;
      let p1 = offsets[1]!;
      let p2 = offsets[2]!;
      for (let i = 0; i < n; i++, p0 += s0, p1 += s1, p2 += s2) out[o + i] = f(x0[p0]!, x1[p1]!, x2[p2]!);
      return;
    }
    case 4: {
      const [x0, x1, x2, x3] = a as [Arr, Arr, Arr, Arr];
      const [s0, s1, s2, s3] = s as [number, number, number, number];
      let p0 = offsets[0]!;
      let p1 = offsets[1]!;
      let p2 = offsets[2]!;
      let p3 = offsets[3]!;
      for (let i = 0; i < n; i++, p0 += s0, p1 += s1, p2 += s2, p3 += s3) out[o + i] = f(x0[p0]!, x1[p1]!, x2[p2]!, x3[p3]!);
      return;
    }
    default: {
      const k = a.length;
      const p = Array.from(offsets).slice(0, k);
      const v = new Array<number>(k);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          v[j] = a[j]![p[j]!]!;
          p[j]! += s[j]!;
        }
        out[o + i] = f(...v);
      }
    }
  }
}
