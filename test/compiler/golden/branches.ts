/**
 * Golden case "branches": if / else on a condition that depends on the
 * differentiated inputs, each branch assigning the same variable.
 */

/** @differentiable */
export function piecewise(x: number, y: number): number {
  let r = 0;
  if (x * y > 1) {
    r = Math.log(x * y) + y;
  } else {
    r = x - y * y;
  }
  return r * x;
}
