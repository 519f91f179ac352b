/**
 * Strided iteration for elementwise CPU kernels. Operands are broadcast to
 * the output shape by giving broadcast dimensions stride 0; adjacent
 * dimensions that are contiguous in every operand are merged, so the common
 * cases (same shape, scalar operand, bias row) run as one long inner loop.
 */
import type { Shape } from '../../tensor.ts';

/** Strides of an operand of shape `shape` read in the index space of `outShape`. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = rank - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Calls `row(offsets, outOffset, n)` for each inner row of the output, where
 * `offsets[k]` is operand k's offset at the row start; `innerStrides[k]`
 * (returned) is its stride along the row.
 */
export function forEachRow(
  outShape: Shape,
  operandStrides: number[][],
  row: (offsets: Int32Array | number[], outOffset: number, n: number) => void,
): void {
  const k = operandStrides.length;
  // Merge dimensions (drop size-1 ones, fuse contiguous neighbours).
  const dims: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    let fusable = last >= 0;
    for (let j = 0; j < k && fusable; j++) {
      if (strides[j]![last] !== operandStrides[j]![d]! * n) fusable = false;
    }
    if (fusable) {
      dims[last] = dims[last]! * n;
      for (let j = 0; j < k; j++) strides[j]![last] = operandStrides[j]![d]!;
    } else {
      dims.push(n);
      for (let j = 0; j < k; j++) strides[j]!.push(operandStrides[j]![d]!);
    }
  }
  let size = 1;
  for (const n of outShape) size *= n;
  if (size === 0) return;
  if (dims.length === 0) {
    row(new Array<number>(k).fill(0), 0, 1);
    return;
  }
  const rank = dims.length;
  const n = dims[rank - 1]!;
  const rows = size / n;
  const idx = new Int32Array(rank);
  const offsets = new Array<number>(k).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offsets, r * n, n);
    // Advance the odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offsets[j]! += strides[j]![d]!;
      if (idx[d]! < dims[d]!) break;
      for (let j = 0; j < k; j++) offsets[j]! -= strides[j]![d]! * dims[d]!;
      idx[d] = 0;
    }
  }
}

/** The stride along the merged inner row, for each operand. */
export function innerStrides(outShape: Shape, operandStrides: number[][]): number[] {
  // The last non-size-1 dimension decides; merged dimensions keep the
  // innermost stride, which is the one the row loop walks.
  for (let d = outShape.length - 1; d >= 0; d--) {
    if (outShape[d] !== 1) return operandStrides.map((s) => s[d]!);
  }
  return operandStrides.map(() => 0);
}
