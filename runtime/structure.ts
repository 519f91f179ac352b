/**
 * Helpers for structured parameters (objects, tuples and arrays of numbers,
 * typed arrays and Tensors): generated code uses them to make adjoint and
 * tangent containers shaped like a parameter.
 */
import { Tensor } from './tensor.ts';
import { zeroFloat64 } from './zero-slab.ts';
import { addTensor } from './typed.ts';

/** A value wengert can differentiate with respect to. */
export type Differentiable =
  | number
  | Float64Array
  | Float32Array
  | Tensor
  | readonly Differentiable[]
  | { readonly [key: string]: Differentiable };

/**
 * A deep copy of `value` with every number replaced by 0. Arrays keep their
 * length, typed arrays their element type, objects their keys, tensors
 * their shape, dtype and backend.
 */
export function zerosLike<T>(value: T): T {
  if (typeof value === 'number') return 0 as T;
  // Fresh zeroed storage: no pass over the values.
  if (value instanceof Float64Array) return zeroFloat64(value.length) as T;
  if (value instanceof Float32Array) return new Float32Array(value.length) as T;
  if (value instanceof Int32Array) return new Int32Array(value.length) as T;
  if (value instanceof Tensor) return value.backend.fill(value.shape, 0, value.dtype) as T;
  if (Array.isArray(value)) return value.map((v) => zerosLike(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = zerosLike(v);
    return out as T;
  }
  return value;
}

/**
 * The adjoint container of a structured parameter holding tensors, as
 * generated reverse mode starts it: like `zerosLike`, but every Tensor leaf
 * is `null` (no contribution yet), so the first contribution is stored as it
 * is instead of being added to a zero tensor. `fillZeros` gives the leaves
 * that got no contribution their zeros before the gradient is returned. The
 * static type is T's, though leaves are null until then.
 */
export function lazyZerosLike<T>(value: T): T {
  if (value instanceof Tensor) return null as T;
  if (Array.isArray(value)) return value.map((v) => lazyZerosLike(v)) as T;
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = lazyZerosLike(v);
    return out as T;
  }
  return zerosLike(value);
}

/** Replaces, in place, each null leaf of `grad` (see `lazyZerosLike`) by the zeros of the same leaf of `like`; returns `grad`. */
export function fillZeros<T>(grad: T, like: T): T {
  const fill = (g: unknown, l: unknown): unknown => {
    if (g === null) return zerosLike(l);
    if (Array.isArray(g)) {
      for (let i = 0; i < g.length; i++) g[i] = fill(g[i], (l as unknown[])[i]);
    } else if (typeof g === 'object' && !(g instanceof Tensor) && !ArrayBuffer.isView(g)) {
      const record = g as Record<string, unknown>;
      for (const k of Object.keys(record)) record[k] = fill(record[k], (l as Record<string, unknown>)[k]);
    }
    return g;
  };
  return fill(grad, like) as T;
}

/** A deep copy of `value` with every number replaced by `fn(number)`. */
export function mapLike<T>(value: T, fn: (x: number) => number): T {
  if (typeof value === 'number') return fn(value) as T;
  if (value instanceof Float64Array) return value.map(fn) as T;
  if (value instanceof Float32Array) return value.map(fn) as T;
  if (value instanceof Tensor) return value.backend.fromValues(value.dataSync().map(fn), value.shape) as T;
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
  } else if (value instanceof Tensor) {
    for (const v of value.dataSync()) out.push(v);
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

/**
 * Adds `src` into `dst` element by element, in place (numbers in arrays,
 * typed arrays and objects, recursively). Generated reverse-mode code uses
 * it to accumulate the cotangent a call returns for an array argument.
 */
export function addInto<T>(dst: T, src: T | ArrayLike<number>): void {
  if (dst instanceof Float64Array || dst instanceof Float32Array || Array.isArray(dst)) {
    const d = dst as unknown as unknown[];
    const s = src as unknown as unknown[];
    if (d.length !== s.length) throw new Error(`addInto: lengths ${d.length} and ${s.length} differ`);
    for (let i = 0; i < d.length; i++) {
      const v = s[i];
      if (typeof v === 'number') (d as number[])[i] = (d as number[])[i]! + v;
      else if (v instanceof Tensor) d[i] = addTensorLeaf(d[i], v);
      else addInto(d[i], v);
    }
    return;
  }
  if (dst !== null && typeof dst === 'object') {
    const d = dst as Record<string, unknown>;
    const s = src as Record<string, unknown>;
    for (const key of Object.keys(d)) {
      const v = s[key];
      if (typeof v === 'number') d[key] = (d[key] as number) + v;
      else if (v instanceof Tensor) d[key] = addTensorLeaf(d[key], v);
      else addInto(d[key], v);
    }
  }
}

/** A tensor leaf plus a contribution: tensors are immutable, so the container takes the sum (a null leaf takes the contribution). */
function addTensorLeaf(leaf: unknown, v: Tensor): Tensor {
  return addTensor(leaf as Tensor | null, v);
}
