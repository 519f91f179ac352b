/**
 * The standard derivative check for one generated function at one point:
 *   - reverse mode (grad_f) against central finite differences;
 *   - forward mode against reverse mode: jvp(x, v) equals grad(x) . v;
 *   - valueAndGrad_f's value and jvp's primal against f itself.
 */
import { expect } from 'vitest';
import { flatten, unflatten } from 'wengert';
import { dotFlat, finiteDifferenceGradient, maxRelError } from './numeric.ts';

export interface CheckOptions {
  /** Indexes of the differentiated arguments (default: all). */
  wrt?: number[];
  /** Tolerance of reverse mode against finite differences. */
  fdTol?: number;
  /** Seed of the direction used for the forward/reverse identity. */
  seed?: number;
}

export function checkDerivatives(mod: { source: any; grad: any }, name: string, args: unknown[], opts: CheckOptions = {}): number[] {
  const f = mod.source[name] as (...a: unknown[]) => number;
  const wrt = opts.wrt ?? args.map((_, i) => i);
  const value = f(...args);
  const grad = mod.grad[`grad_${name}`](...args);
  const gradFlat = wrt.length === 1 ? flatten(grad) : flatten(grad as unknown[]);
  const fd = finiteDifferenceGradient(f, args, wrt);
  expect(gradFlat.length).toBe(fd.length);
  const err = maxRelError(gradFlat, fd);
  if (!(err < (opts.fdTol ?? 1e-5))) {
    throw new Error(`${name}: reverse mode ${JSON.stringify(gradFlat)} differs from finite differences ${JSON.stringify(fd)} (max rel error ${err})`);
  }
  const [v2, g2] = mod.grad[`valueAndGrad_${name}`](...args);
  expect(v2).toBe(value);
  expect(flatten(g2)).toEqual(flatten(grad));
  // Forward mode along a fixed pseudo-random direction.
  let state = opts.seed ?? 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const dirs = wrt.map((i) => {
    const flat = flatten(args[i]).map(() => rand());
    return typeof args[i] === 'number' ? flat[0] : unflatten(args[i], flat);
  });
  const [y, dy] = mod.grad[`jvp_${name}`](...args, ...dirs);
  expect(y).toBe(value);
  const expected = dotFlat(gradFlat, flatten(dirs));
  if (!(Math.abs(dy - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${name}: forward mode ${dy} differs from grad . v = ${expected}`);
  }
  return gradFlat;
}
