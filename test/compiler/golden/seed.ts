/**
 * Golden case "seed": straight-line scalar code (powers, a difference, a
 * log), the smallest function with every adjoint rule on one line.
 */

/** @differentiable */
export function f(x1: number, x2: number): number {
  return x1 ** 2 + (x1 - x2) - Math.log(x1 ** 2 + x2 ** 2);
}
