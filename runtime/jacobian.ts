/**
 * Helpers the generated `jacobian_f` and vector-valued `vjp_f` use:
 * building a Jacobian from reverse sweeps (one per output row) or forward
 * sweeps (one per input column), and unit tangents shaped like the inputs.
 */
import { flatten, unflatten } from './structure.ts';

/** How many numbers a value holds (numbers in arrays, typed arrays, objects). */
export function countNumbers(value: unknown): number {
  if (typeof value === 'number') return 1;
  if (value instanceof Float64Array || value instanceof Float32Array) return value.length;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.length;
  return flatten(value).length;
}

/**
 * A copy of `inputs` that is zero everywhere except 1 at the `j`-th number
 * (in `flatten` order); a `j` outside the numbers (-1) gives all zeros.
 */
export function basisLike<T>(inputs: T, j: number): T {
  const flat = new Array<number>(countNumbers(inputs)).fill(0);
  if (j >= 0 && j < flat.length) flat[j] = 1;
  return unflatten(inputs, flat);
}

/** Jacobian rows from reverse mode: `row(e_i)` is row i (the pullback of the i-th unit cotangent). */
export function jacobianByRows(nOut: number, row: (seed: number[]) => number[]): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < nOut; i++) {
    const seed = new Array<number>(nOut).fill(0);
    seed[i] = 1;
    rows.push(row(seed));
  }
  return rows;
}

/** Jacobian from forward mode: `column(j)` is column j (the pushforward of the j-th unit tangent). */
export function jacobianByColumns(nOut: number, nIn: number, column: (j: number) => number[]): number[][] {
  const rows = Array.from({ length: nOut }, () => new Array<number>(nIn).fill(0));
  for (let j = 0; j < nIn; j++) {
    const c = column(j);
    for (let i = 0; i < nOut; i++) rows[i]![j] = c[i]!;
  }
  return rows;
}

/**
 * One Jacobian row from a gradient (`[Float64Array, Float64Array, number]`,
 * one typed array, an object...): its numbers in `flatten` order.
 */
export function jacobianRow(gradient: unknown): number[] {
  const parts = Array.isArray(gradient) ? gradient : [gradient];
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? 1 : p instanceof Float64Array || p instanceof Float32Array ? p.length : -Infinity;
  if (!(n >= 0)) return flatten(gradient);
  const row = new Array<number>(n);
  let k = 0;
  for (const p of parts) {
    if (typeof p === 'number') row[k++] = p;
    else for (let i = 0; i < p.length; i++) row[k++] = p[i]!;
  }
  return row;
}

/**
 * A Jacobian from forward sweeps carrying `k` directions each: `chunk(j0)`
 * returns the tangents along the unit inputs j0 .. j0 + k - 1 (those past
 * the last input are zero directions and are dropped).
 */
export function jacobianByColumnChunks(nOut: number, nIn: number, k: number, chunk: (j0: number) => readonly ArrayLike<number>[]): number[][] {
  const rows = Array.from({ length: nOut }, () => new Array<number>(nIn).fill(0));
  for (let j0 = 0; j0 < nIn; j0 += k) {
    const columns = chunk(j0);
    for (let r = 0; r < k && j0 + r < nIn; r++) {
      const c = columns[r]!;
      for (let i = 0; i < nOut; i++) rows[i]![j0 + r] = c[i]!;
    }
  }
  return rows;
}

/** `dst[i] += src[i]` for the output cotangent of a vector-valued function. */
export function addArrayInto(dst: { length: number; [i: number]: number }, src: ArrayLike<number>): void {
  if (src.length !== dst.length) {
    throw new Error(`vjp: the output cotangent has length ${src.length}, but the function returns ${dst.length} values`);
  }
  for (let i = 0; i < dst.length; i++) dst[i] = dst[i]! + src[i]!;
}

/** The dot product of two values of the same structure (all their numbers, in `flatten` order). */
export function dotAll(a: unknown, b: unknown): number {
  const x = flatten(a);
  const y = flatten(b);
  if (x.length !== y.length) throw new Error(`dotAll: ${x.length} numbers against ${y.length}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * Reverse mode of a scalar function from its forward mode: `dy` times the
 * directional derivative along each unit input, shaped like `inputs`.
 */
export function pullbackFromJvp<T>(inputs: T, tangent: (t: T) => number, dy: number): T {
  const n = countNumbers(inputs);
  const out = new Array<number>(n);
  for (let j = 0; j < n; j++) out[j] = dy * tangent(basisLike(inputs, j));
  return unflatten(inputs, out);
}
