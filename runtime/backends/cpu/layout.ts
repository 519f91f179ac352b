/**
 * CPU kernels that move data without arithmetic (transpose, slice, concat,
 * gather) and scatterAdd, the adjoint of gather.
 */
import type { Shape, TypedArray } from '../../tensor.ts';
import { stridesOf } from '../../tensor.ts';

/** out = x with axes permuted: out.shape[i] = x.shape[perm[i]]. */
export function transposeKernel(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void {
  const rank = shape.length;
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  if (rank === 2 && perm[0] === 1) {
    // Blocked 2-D transpose.
    const rows = shape[0]!;
    const cols = shape[1]!;
    const B = 32;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(i0 + B, rows);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(j0 + B, cols);
        for (let i = i0; i < i1; i++) {
          for (let j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j]!;
        }
      }
    }
    return;
  }
  const strides = perm.map((p) => inStrides[p]!);
  copyStrided(x, 0, strides, outShape, out, 0);
}

/** Copies the strided view (offset, strides, shape) of x into out, row-major. */
export function copyStrided(
  x: TypedArray,
  offset: number,
  strides: readonly number[],
  shape: Shape,
  out: TypedArray,
  outOffset: number,
): void {
  const rank = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return;
  if (rank === 0) {
    out[outOffset] = x[offset]!;
    return;
  }
  const n = shape[rank - 1]!;
  const s = strides[rank - 1]!;
  const idx = new Int32Array(rank);
  let src = offset;
  for (let o = outOffset, end = outOffset + size; o < end; o += n) {
    for (let j = 0, p = src; j < n; j++, p += s) out[o + j] = x[p]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function sliceKernel(x: TypedArray, shape: Shape, begin: readonly number[], size: Shape, out: TypedArray): void {
  const strides = stridesOf(shape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += begin[d]! * strides[d]!;
  copyStrided(x, offset, strides, size, out, 0);
}

/** Writes g (shape gShape) into out (shape `shape`, zeros) at `begin`. */
export function sliceAdjointKernel(g: TypedArray, gShape: Shape, shape: Shape, begin: readonly number[], out: TypedArray): void {
  const strides = stridesOf(shape);
  const rank = shape.length;
  let size = 1;
  for (const d of gShape) size *= d;
  if (size === 0) return;
  let offset = 0;
  for (let d = 0; d < rank; d++) offset += begin[d]! * strides[d]!;
  if (rank === 0) {
    out[0] = g[0]!;
    return;
  }
  const n = gShape[rank - 1]!;
  const idx = new Int32Array(rank);
  let dst = offset;
  for (let i = 0; i < size; i += n) {
    for (let j = 0; j < n; j++) out[dst + j] = g[i + j]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      dst += strides[d]!;
      if (idx[d]! < gShape[d]!) break;
      dst -= strides[d]! * gShape[d]!;
      idx[d] = 0;
    }
  }
}

/** Concatenates along `axis`: each input is [outer, len_i * inner]. */
export function concatKernel(xs: readonly TypedArray[], shapes: readonly Shape[], axis: number, out: TypedArray): void {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shapes[0]![d]!;
  const chunks = shapes.map((s) => {
    let c = 1;
    for (let d = axis; d < s.length; d++) c *= s[d]!;
    return c;
  });
  const total = chunks.reduce((a, b) => a + b, 0);
  for (let o = 0; o < outer; o++) {
    let dst = o * total;
    for (let k = 0; k < xs.length; k++) {
      const c = chunks[k]!;
      out.set(xs[k]!.subarray(o * c, o * c + c), dst);
      dst += c;
    }
  }
}

/** out[i, :] = x[indices[i], :] with rows of `row` elements. */
export function gatherKernel(x: TypedArray, row: number, indices: Int32Array, out: TypedArray): void {
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * row;
    out.set(x.subarray(src, src + row), i * row);
  }
}

/** out[indices[i], :] += updates[i, :] (out already holds the target). */
export function scatterAddKernel(out: TypedArray, row: number, indices: Int32Array, updates: TypedArray): void {
  for (let i = 0; i < indices.length; i++) {
    const dst = indices[i]! * row;
    const src = i * row;
    for (let j = 0; j < row; j++) out[dst + j]! += updates[src + j]!;
  }
}
