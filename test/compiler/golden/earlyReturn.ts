/**
 * Golden case "earlyReturn": a return inside a loop over a Float64Array,
 * which lowering turns into a flag and a single final return.
 */

/** @differentiable */
export function firstAbove(xs: Float64Array, limit: number): number {
  let acc = 0;
  for (let i = 0; i < xs.length; i++) {
    acc += xs[i] * xs[i];
    if (acc > limit) return Math.sqrt(acc);
  }
  return acc;
}
