/**
 * Helpers for structured parameters (objects, tuples and arrays of numbers
 * and typed arrays): generated code uses them to make adjoint and tangent
 * containers shaped like a parameter.
 */

/** A value wengert can differentiate with respect to. */
export type Differentiable =
  | number
  | Float64Array
  | Float32Array
  | readonly Differentiable[]
  | { readonly [key: string]: Differentiable };

/**
 * A deep copy of `value` with every number replaced by 0. Arrays keep their
 * length, typed arrays their element type, objects their keys.
 */
export function zerosLike<T>(value: T): T {
  return mapLike(value, () => 0) as T;
}

/** A deep copy of `value` with every number replaced by `fn(number)`. */
export function mapLike<T>(value: T, fn: (x: number) => number): T {
  if (typeof value === 'number') return fn(value) as T;
  if (value instanceof Float64Array) return value.map(fn) as T;
  if (value instanceof Float32Array) return value.map(fn) as T;
  if (Array.isArray(value)) return value.map((v) => mapLike(v, fn)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapLike(v, fn);
    return out as T;
  }
  return value;
}

/** Every number in `value`, in a fixed (depth-first, key order) order. */
export function flatten(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (value instanceof Float64Array || value instanceof Float32Array) {
    for (const v of value) out.push(v);
  } else if (Array.isArray(value)) {
    for (const v of value) flatten(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) flatten(v, out);
  }
  return out;
}

/** A copy of `like` whose numbers are taken, in `flatten` order, from `flat`. */
export function unflatten<T>(like: T, flat: ArrayLike<number>): T {
  let k = 0;
  return mapLike(like, () => flat[k++]!) as T;
}
