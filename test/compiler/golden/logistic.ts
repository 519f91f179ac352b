/**
 * Golden case "logistic": a counted for loop overwriting one variable, with
 * a parameter (the trip count) that is not differentiated.
 */

/** @differentiable wrt(x) */
export function logistic(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) v = 4 * v * (1 - v);
  return v;
}
