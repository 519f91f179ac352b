/**
 * Test helpers for the tensor runtime: seeded float64 tensors, inner
 * products over numbers / tensors / arrays of tensors, and central finite
 * differences.
 */
import * as W from 'wengert';
import { Tensor } from 'wengert';

/** A float64 tensor with values in [lo, hi) from `seed`. */
export function T(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  return W.randu(shape, seed, { low: lo, high: hi, dtype: 'float64' });
}

/** Values shaped like `like` (number, tensor or array of tensors), from `seed`. */
export function randomLike(like: unknown, seed: number): unknown {
  if (typeof like === 'number') return new W.Rng(seed).uniform() * 2 - 1;
  if (like instanceof Tensor) return T([...like.shape], seed);
  if (Array.isArray(like)) return like.map((x, i) => randomLike(x, seed * 31 + i + 1));
  throw new Error(`randomLike: unsupported ${typeof like}`);
}

/** Describes the kind and shape of a value, for comparing structures. */
export function describe(x: unknown): string {
  if (typeof x === 'number') return 'number';
  if (x instanceof Tensor) return `tensor[${x.shape.join(',')}]`;
  if (Array.isArray(x)) return `[${x.map(describe).join(', ')}]`;
  return typeof x;
}

/** <a, b> for numbers, tensors of equal shape, and arrays of them. */
export function inner(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a instanceof Tensor && b instanceof Tensor) {
    if (describe(a) !== describe(b)) throw new Error(`inner: ${describe(a)} vs ${describe(b)}`);
    const x = a.dataSync();
    const y = b.dataSync();
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.reduce((s: number, x, i) => s + inner(x, b[i]), 0);
  throw new Error(`inner: ${describe(a)} vs ${describe(b)}`);
}

/** Every scalar slot of a value (number in a holder, tensor element, array entries). */
export interface Slot {
  get(): number;
  set(v: number): void;
}

export function slots(holder: unknown[], index: number): Slot[] {
  const x = holder[index];
  if (typeof x === 'number') return [{ get: () => holder[index] as number, set: (v) => (holder[index] = v) }];
  if (x instanceof Tensor) {
    const d = x.dataSync();
    return Array.from({ length: d.length }, (_, i) => ({ get: () => d[i]!, set: (v: number) => (d[i] = v) }));
  }
  if (Array.isArray(x)) return x.flatMap((_, i) => slots(x, i));
  throw new Error(`slots: unsupported ${typeof x}`);
}

/** Flat values of a number / tensor / array of tensors. */
export function flat(x: unknown): number[] {
  if (typeof x === 'number') return [x];
  if (x instanceof Tensor) return Array.from(x.dataSync());
  if (Array.isArray(x)) return x.flatMap(flat);
  throw new Error(`flat: unsupported ${typeof x}`);
}

/** Largest |a - b| / max(1, |a|, |b|) over two equal-length lists. */
export function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`maxRelDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!));
    m = Math.max(m, Number.isNaN(d) ? Infinity : d);
  }
  return m;
}
