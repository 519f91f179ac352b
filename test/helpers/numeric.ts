/**
 * Numeric oracles for derivative tests: central finite differences over
 * every number of a structured argument list, and comparison helpers.
 */
import { flatten, unflatten } from 'wengert';

/** Central-difference gradient of `f` with respect to the arguments at `wrt` (all numbers in them, flattened). */
export function finiteDifferenceGradient(f: (...args: any[]) => number, args: unknown[], wrt: number[], h = 1e-6): number[] {
  const out: number[] = [];
  for (const which of wrt) {
    const flat = flatten(args[which]);
    for (let k = 0; k < flat.length; k++) {
      const at = (delta: number) => {
        const copy = flat.slice();
        copy[k] = copy[k]! + delta;
        const a = args.slice();
        a[which] = typeof args[which] === 'number' ? copy[0] : unflatten(args[which], copy);
        return f(...a);
      };
      const step = h * Math.max(1, Math.abs(flat[k]!));
      out.push((at(step) - at(-step)) / (2 * step));
    }
  }
  return out;
}

/** Largest |a - b| / max(1, |b|). */
export function maxRelError(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

export function dotFlat(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
