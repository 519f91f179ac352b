/**
 * CPU matrix product C = A B on typed arrays, with A and B given by offsets
 * and (row, column) strides so that transposed operands need no copy.
 * C is row-major [m, n] and is overwritten.
 *
 * - B rows contiguous (the usual case): i-k-j order, four rows of C at a
 *   time, so each loaded row of B feeds four accumulating rows and the inner
 *   loop is a straight run over contiguous memory with no allocation.
 * - B transposed and A rows contiguous: dot products of contiguous rows.
 * - Otherwise a plain triple loop.
 *
 * The float32 hot path of the backend goes to the WebAssembly SIMD kernel
 * (simd-gemm.ts) when it is available; this file is the reference.
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
  c.fill(0, cOff, cOff + m * n);
  if (bcs === 1) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = cOff + i * n;
      const c1 = c0 + n;
      const c2 = c1 + n;
      const c3 = c2 + n;
      let pa = aOff + i * ars;
      for (let kk = 0; kk < k; kk++, pa += acs) {
        const a0 = a[pa]!;
        const a1 = a[pa + ars]!;
        const a2 = a[pa + 2 * ars]!;
        const a3 = a[pa + 3 * ars]!;
        const pb = bOff + kk * brs;
        for (let j = 0; j < n; j++) {
          const bv = b[pb + j]!;
          c[c0 + j]! += a0 * bv;
          c[c1 + j]! += a1 * bv;
          c[c2 + j]! += a2 * bv;
          c[c3 + j]! += a3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      const ci = cOff + i * n;
      let pa = aOff + i * ars;
      for (let kk = 0; kk < k; kk++, pa += acs) {
        const av = a[pa]!;
        const pb = bOff + kk * brs;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[pb + j]!;
      }
    }
    return;
  }
  if (acs === 1 && brs === 1) {
    for (let i = 0; i < m; i++) {
      const pa = aOff + i * ars;
      const ci = cOff + i * n;
      for (let j = 0; j < n; j++) {
        const pb = bOff + j * bcs;
        let s = 0;
        for (let kk = 0; kk < k; kk++) s += a[pa + kk]! * b[pb + kk]!;
        c[ci + j] = s;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) s += a[aOff + i * ars + kk * acs]! * b[bOff + kk * brs + j * bcs]!;
      c[cOff + i * n + j] = s;
    }
  }
}
