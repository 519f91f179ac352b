/**
 * GMM's logsumexp over the first n entries of a Float64Array, as a
 * differentiable source fixture: the helper that recording.test.ts calls on
 * a rewritten scratch array and inline-helpers.test.ts inlines.
 */
export const logsumexpSource = `/** @differentiable wrt(v) */
export function lse(v: Float64Array, n: number): number {
  let mx = v[0];
  for (let i = 1; i < n; i++) if (v[i] > mx) mx = v[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(v[i] - mx);
  return mx + Math.log(sum);
}`;
