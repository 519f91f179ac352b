/**
 * Golden case "arrays": elements read from a Float64Array parameter and
 * written into a local number[], which is read back in a second loop.
 */

/** @differentiable */
export function roughness(xs: Float64Array): number {
  const n = xs.length;
  const diffs: number[] = new Array(n - 1).fill(0);
  for (let i = 0; i + 1 < n; i++) diffs[i] = xs[i + 1] - xs[i];
  let s = 0;
  for (let i = 0; i < diffs.length; i++) s += diffs[i] * diffs[i] * xs[i];
  return s;
}
