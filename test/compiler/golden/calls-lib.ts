/**
 * Golden case "calls", second file: a differentiable function that
 * calls.ts imports, so calls.grad.ts imports its derivatives from
 * calls-lib.grad.ts.
 */

/** @differentiable */
export function softClip(x: number, scale: number): number {
  return scale * Math.tanh(x / scale);
}
