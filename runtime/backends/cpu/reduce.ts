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
    for (let k = 0; k < r; k++) {
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
