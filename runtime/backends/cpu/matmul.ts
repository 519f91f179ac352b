/**
 * CPU matrix product C = A B on typed arrays, with A and B given by offsets
 * and (row, column) strides so that transposed operands need no copy.
 * C is row-major [m, n] and is overwritten.
 *
 * Register tiling: each 4 x 4 block of C is summed in 16 local numbers over
 * the whole k loop, so per k four numbers of A and four of B feed sixteen
 * multiply-adds and C is stored once (twice the speed of accumulating rows
 * of C in memory, which this file did before). Rows and columns past the
 * last full block are single dot products. Every element is summed over k
 * in order 0, 1, ..., k-1 in a JavaScript number (float64) and rounded
 * once when stored, whatever block it is in; so any split of the rows at
 * multiples of 4 between threads gives the same bits.
 *
 * The float32 hot path of the backend goes to the WebAssembly SIMD kernel
 * (simd-gemm.ts) when it is available; this file is the fallback and the
 * float64 kernel.
 */
import type { TypedArray } from '../../tensor.ts';

export interface GemmArgs {
  a: TypedArray;
  aOff: number;
  /** stride between rows of A (the m index) and between its columns (k). */
  ars: number;
  acs: number;
  b: TypedArray;
  bOff: number;
  brs: number;
  bcs: number;
  c: TypedArray;
  cOff: number;
  m: number;
  n: number;
  k: number;
}

export function gemmJs(g: GemmArgs): void {
  const { a, b, c, m, n, k, ars, acs, brs, bcs, aOff, bOff, cOff } = g;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const pa0 = aOff + i * ars;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = pa0;
      let pb = bOff + j * bcs;
      for (let kk = 0; kk < k; kk++, pa += acs, pb += brs) {
        const a0 = a[pa]!, a1 = a[pa + ars]!, a2 = a[pa + 2 * ars]!, a3 = a[pa + 3 * ars]!;
        const b0 = b[pb]!, b1 = b[pb + bcs]!, b2 = b[pb + 2 * bcs]!, b3 = b[pb + 3 * bcs]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const o = cOff + i * n + j;
      c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03;
      c[o + n] = c10; c[o + n + 1] = c11; c[o + n + 2] = c12; c[o + n + 3] = c13;
      c[o + 2 * n] = c20; c[o + 2 * n + 1] = c21; c[o + 2 * n + 2] = c22; c[o + 2 * n + 3] = c23;
      c[o + 3 * n] = c30; c[o + 3 * n + 1] = c31; c[o + 3 * n + 2] = c32; c[o + 3 * n + 3] = c33;
    }
    for (let r = i; r < i + 4; r++) dots(g, r, n4, n);
  }
  for (let r = m4; r < m; r++) dots(g, r, 0, n);
}

/** C[i, j] for j in [from, to), one dot product each. */
function dots(g: GemmArgs, i: number, from: number, to: number): void {
  const { a, b, c, n, k, ars, acs, brs, bcs } = g;
  const pa0 = g.aOff + i * ars;
  for (let j = from; j < to; j++) {
    let s = 0;
    for (let kk = 0, pa = pa0, pb = g.bOff + j * bcs; kk < k; kk++, pa += acs, pb += brs) s += a[pa]! * b[pb]!;
    c[g.cOff + i * n + j] = s;
  }
}
