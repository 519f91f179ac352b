/**
 * Golden case "loops": a while loop left by a break whose test depends on
 * the data, so the trip count is known only at run time.
 */

/** @differentiable wrt(x) */
export function damped(x: number, limit: number): number {
  let v = x;
  let steps = 0;
  while (steps < 10) {
    v = 0.5 * v + Math.sin(x * v);
    steps++;
    if (v > limit) break;
  }
  return v * steps;
}
