/**
 * Input points and tangent directions for a fuzzed program: numbers are
 * drawn cyclically from the program's pool (so they shrink with it), array
 * parameters get the length the program chose and their declared type.
 */
import type { Param, Program } from './ast.ts';
import { extraInputs } from './render-types.ts';

/** The arguments of the main function at point `k` (0, 1, 2, ...). */
export function inputsAt(p: Program, k: number): unknown[] {
  let cursor = k * 5;
  const next = () => p.pool[cursor++ % p.pool.length]!;
  return [...p.main.params.map((param) => valueFor(param, next)), ...extraInputs(p.main, p.mode, k, p.pool)];
}

/** A pseudo-random direction shaped like the differentiated arguments (a deterministic LCG). */
export function directionFor(params: readonly Param[], seed: number): unknown[] {
  let state = (seed * 2654435761) % 2147483648;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  };
  return params.map((param) => valueFor(param, next));
}

function valueFor(param: Param, next: () => number): unknown {
  if (param.type === 'number') return next();
  const values = Array.from({ length: param.length }, next);
  return param.type === 'Float64Array' ? Float64Array.from(values) : values;
}

/** A deep copy of an argument list (arrays copied, numbers as they are). */
export function copyArgs(args: readonly unknown[]): unknown[] {
  return args.map((a) => (a instanceof Float64Array ? a.slice() : Array.isArray(a) ? a.slice() : a));
}

/** Every number in an argument, in order (none in a flag or a mode string). */
export function flat(a: unknown): number[] {
  if (typeof a === 'number') return [a];
  if (typeof a === 'boolean' || typeof a === 'string') return [];
  if (a instanceof Float64Array) return Array.from(a);
  if (Array.isArray(a)) return a.flatMap(flat);
  throw new Error(`not a number or array: ${String(a)}`);
}

/** `a` with its k-th number replaced by `value`. */
export function withComponent(a: unknown, k: number, value: number): unknown {
  if (typeof a === 'number') return value;
  const copy = a instanceof Float64Array ? a.slice() : (a as number[]).slice();
  copy[k] = value;
  return copy;
}
