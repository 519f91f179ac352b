/**
 * Shared pieces of the ADBench tests: central finite differences, tolerant
 * comparison, a seeded random source, and loading the derivatives wengert
 * generates for examples/adbench (generated into the source folder first).
 */
import { pathToFileURL } from 'node:url';
import { type AdbenchModel, generateAdbenchDerivatives, gradPath } from '../../examples/adbench/generate.ts';

/**
 * Central finite differences of a scalar function of a flat vector,
 * step h * max(1, |x_i|). Returns one partial derivative per entry.
 */
export function finiteDifferenceGradient(f: (x: Float64Array) => number, x0: Float64Array, h = 1e-6): Float64Array {
  const x = Float64Array.from(x0);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const step = h * Math.max(1, Math.abs(x0[i]!));
    x[i] = x0[i]! + step;
    const up = f(x);
    x[i] = x0[i]! - step;
    const down = f(x);
    x[i] = x0[i]!;
    out[i] = (up - down) / (2 * step);
  }
  return out;
}

/** Central finite differences of a vector function: rows = outputs, columns = inputs. */
export function finiteDifferenceJacobian(
  f: (x: Float64Array) => ArrayLike<number>,
  x0: Float64Array,
  h = 1e-6,
): number[][] {
  const outputs = f(x0).length;
  const jac: number[][] = Array.from({ length: outputs }, () => new Array<number>(x0.length).fill(0));
  const x = Float64Array.from(x0);
  for (let i = 0; i < x.length; i++) {
    const step = h * Math.max(1, Math.abs(x0[i]!));
    x[i] = x0[i]! + step;
    const up = Array.from(f(x));
    x[i] = x0[i]! - step;
    const down = Array.from(f(x));
    x[i] = x0[i]!;
    for (let r = 0; r < outputs; r++) jac[r]![i] = (up[r]! - down[r]!) / (2 * step);
  }
  return jac;
}

/**
 * Entries where |actual - expected| > atol + rtol |expected|, as readable
 * lines (empty when all agree), so a failure names every bad entry.
 */
export function mismatches(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
  label = 'entry',
): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length}, expected ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) out.push(`${label} ${i}: ${a} vs ${e} (diff ${a - e})`);
  }
  return out;
}

/** Concatenates arrays into one Float64Array, in order. */
export function concat(...parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let k = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[k++] = p[i]!;
  return out;
}

/** Splits a flat vector into consecutive Float64Arrays of the given lengths. */
export function split(flat: Float64Array, ...lengths: number[]): Float64Array[] {
  let k = 0;
  return lengths.map((len) => flat.slice(k, (k += len)));
}

/** A deterministic uniform source in [-1, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomArray(length: number, random: () => number): Float64Array {
  return Float64Array.from({ length }, () => random());
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export type Generated<T> =
  | { status: 'ok'; module: T }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: unknown };

/**
 * Generates `<model>.grad.ts` with the wengert compiler and imports it.
 * `skipped` only while the compiler core has not landed (the reason is
 * printed); a compile error or a failed import is `failed`, and the tests
 * that need the module rethrow it, so they fail rather than skip.
 */
export async function loadGenerated<T>(model: AdbenchModel): Promise<Generated<T>> {
  try {
    const result = generateAdbenchDerivatives([model]);
    if (!result.ok) {
      console.warn(`test/adbench: skipping the generated-derivative tests of ${model}: ${result.reason}`);
      return { status: 'skipped', reason: result.reason };
    }
    const module = (await import(pathToFileURL(gradPath(model)).href)) as T;
    return { status: 'ok', module };
  } catch (error) {
    return { status: 'failed', error };
  }
}

/** The generated module, or the error that kept it from being generated. */
export function generatedModule<T>(generated: Generated<T>): T {
  if (generated.status === 'ok') return generated.module;
  if (generated.status === 'failed') throw generated.error;
  throw new Error(`not generated: ${generated.reason}`);
}

/** A describe title that carries the skip reason, so a skipped block says why in the report. */
export function generatedTitle(title: string, generated: Generated<unknown>): string {
  return generated.status === 'skipped' ? `${title} (skipped: ${generated.reason})` : title;
}
