/**
 * Golden case "custom derivatives": softplus has a user-written vjp only
 * (forward mode is derived from it), logCosh has both a vjp and a jvp, and
 * a caller uses the two through ordinary calls. Both bodies are written
 * naively (exp and cosh overflow above about 710), where the derivatives
 * given for them stay finite.
 */

/** @differentiable */
export function softplus(x: number): number {
  return Math.log1p(Math.exp(x));
}

/** @derivative vjp(softplus) */
export function softplusVjp(x: number, dy: number): number {
  return dy / (1 + Math.exp(-x));
}

/** @differentiable */
export function logCosh(x: number): number {
  return Math.log(Math.cosh(x));
}

/** @derivative vjp(logCosh) */
export function logCoshVjp(x: number, dy: number): number {
  return dy * Math.tanh(x);
}

/** @derivative jvp(logCosh) */
export function logCoshJvp(x: number, dx: number): [number, number] {
  return [Math.log(Math.cosh(x)), Math.tanh(x) * dx];
}

/** @differentiable */
export function smoothLoss(x: number, y: number): number {
  return softplus(x * y) + logCosh(x - y);
}
