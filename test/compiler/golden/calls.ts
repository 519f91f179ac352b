/**
 * Golden case "calls": a differentiable helper of the same file called in a
 * loop (its arguments depend on the running sum), and one imported from
 * calls-lib.ts.
 */
import { softClip } from './calls-lib.ts';

/** @differentiable */
export function bump(a: number, b: number): number {
  return a * Math.exp(-b * b);
}

/** @differentiable */
export function chain(x: number, y: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) s += bump(x + i, y * s);
  return softClip(s, 2) + bump(y, x);
}
