/**
 * CPU reduction kernels. A reduction over a contiguous block of axes views
 * the input as [outer, r, inner] and reduces the middle dimension; other
 * axis sets are transposed to that form first (by the backend).
 */
import type { ReduceOp } from '../backend.ts';
import type { TypedArray } from '../../tensor.ts';

/** out[o, i] = reduce_r x[o, r, i]. `out` has outer * inner elements. */
export function reduceKernel(op: ReduceOp, x: TypedArray, out: TypedArray, outer: number, r: number, inner: number): void {
  if (inner === 1) {
    // Row reductions: accumulate in a float64 local.
    for (let o = 0; o < outer; o++) {
      const base = o * r;
      if (op === 'sum') {
        let s = 0;
        for (let k = 0; k < r; k++) s += x[base + k]!;
        out[o] = s;
      } else if (op === 'max') {
        let m = -Infinity;
        for (let k = 0; k < r; k++) {
          const v = x[base + k]!;
          if (v > m || v !== v) m = v;
        }
        out[o] = m;
      } else {
        let m = Infinity;
        for (let k = 0; k < r; k++) {
          const v = x[base + k]!;
          if (v < m || v !== v) m = v;
        }
        out[o] = m;
      }
    }
    return;
  }
  // Column reductions: walk rows in order (cache friendly), accumulate in a
  // float64 buffer for sums.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
    acc.fill(init);
    let k = 0;
    if (op === 'sum') k = sumRowsByFour(x, (o * r) * inner, r, inner, acc);
    for (; k < r; k++) {
      const base = (o * r + k) * inner;
      if (op === 'sum') {
        for (let i = 0; i < inner; i++) acc[i]! += x[base + i]!;
      } else if (op === 'max') {
        for (let i = 0; i < inner; i++) {
          const v = x[base + i]!;
          if (v > acc[i]! || v !== v) acc[i] = v;
        }
      } else {
        for (let i = 0; i < inner; i++) {
          const v = x[base + i]!;
          if (v < acc[i]! || v !== v) acc[i] = v;
        }
      }
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i]!;
  }
}

/**
 * acc[i] += the rows of `x` from `base` (rows of `inner`), four rows per
 * pass over acc: ((((acc + x0) + x1) + x2) + x3), the additions of one row
 * at a time in the same order (the same bits), with a quarter of the loads
 * and stores of acc. Returns how many of the `r` rows it summed (a
 * multiple of 4); the caller adds the rest.
 */
function sumRowsByFour(x: TypedArray, base: number, r: number, inner: number, acc: Float64Array): number {
  let k = 0;
  for (; k + 4 <= r; k += 4) {
    const b0 = base + k * inner;
    const b1 = b0 + inner;
    const b2 = b1 + inner;
    const b3 = b2 + inner;
    for (let i = 0; i < inner; i++) acc[i] = acc[i]! + x[b0 + i]! + x[b1 + i]! + x[b2 + i]! + x[b3 + i]!;
  }
  return k;
}
