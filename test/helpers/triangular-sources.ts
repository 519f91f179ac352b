/**
 * GMM's triangular loop (gmm.ts:67-70) as differentiable source fixtures:
 *   - `triangularProductSource`: qxc[r] += L[li] * xc[c] over r > c, the
 *     adjoint accumulator of local-accumulators.test.ts and the invariant
 *     read xc[c] of invariant-reads.test.ts;
 *   - `triangularCounterSource`: li started from a value not proven
 *     integral, the guarded counter of guarded-counters.test.ts and the
 *     versioned loop of versioned-loops.test.ts.
 */
export const triangularProductSource = `
/** GMM's triangular product: qxc[r] += L[li] * xc[c] over r > c. @differentiable wrt(x, L) */
export function triangular(x: Float64Array, L: Float64Array, d: number): number {
  const xc = new Float64Array(d);
  const qxc = new Float64Array(d);
  for (let r = 0; r < d; r++) xc[r] = Math.sin(x[r]);
  let li = 0;
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) {
      qxc[r] += L[li] * xc[c];
      li++;
    }
  }
  let s = 0;
  for (let r = 0; r < d; r++) s += qxc[r] * qxc[r];
  return s;
}
`;

export const triangularCounterSource = `
/** GMM's triangular loop: li starts from a value not proven integral and is stepped in the inner loop. @differentiable wrt(a) */
export function triangular(a: Float64Array, d: number, start: number, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    let li = j * start;
    for (let c = 0; c < d; c++) {
      for (let r = c + 1; r < d; r++) {
        s += Math.sin(li * a[r]) * a[c];
        li++;
      }
    }
  }
  return s;
}
`;
