/**
 * The seed examples: the functions of the lectures on the Wengert list.
 * `wengert build examples` writes their derivatives to model.grad.ts beside
 * this file; examples/demo.ts prints their values and gradients.
 */

/**
 * f(x1, x2) = x1^2 + (x1 - x2) - ln(x1^2 + x2^2); its gradient at (2, 1) is [4.2, -1.4].
 * @differentiable
 */
export function f(x1: number, x2: number): number {
  return x1 ** 2 + (x1 - x2) - Math.log(x1 ** 2 + x2 ** 2);
}

/**
 * g(a, b) = ln(a b); its gradient is [1/a, 1/b].
 * @differentiable
 */
export function g(a: number, b: number): number {
  return Math.log(a * b);
}

/**
 * h(x1, x2) = ln(x1) + x1 x2 - sin(x2); its gradient is [1/x1 + x2, x1 - cos(x2)].
 * @differentiable
 */
export function h(x1: number, x2: number): number {
  return Math.log(x1) + x1 * x2 - Math.sin(x2);
}

/**
 * The logistic map v <- 4 v (1 - v), applied n times from v = x; differentiated in x only.
 * @differentiable wrt(x)
 */
export function logistic(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) {
    v = 4 * v * (1 - v);
  }
  return v;
}
