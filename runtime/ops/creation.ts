/**
 * Creating tensors: constants, seeded random values, and conversion from
 * and to JS arrays. Every random op takes an explicit seed (or an `Rng`
 * to draw one from), so results are reproducible.
 */
import { defaultBackend } from '../backends/index.ts';
import { Tensor, typedArrayFor } from '../tensor.ts';
import type { DType, NestedArray, Shape, TypedArray } from '../tensor.ts';
import { Rng } from '../rng.ts';
import { ShapeError, checkShape, fmt } from '../shape.ts';

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  checkShape('zeros', shape);
  return defaultBackend().fill(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  checkShape('ones', shape);
  return defaultBackend().fill(shape, 1, dtype);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  checkShape('full', shape);
  return defaultBackend().fill(shape, value, dtype);
}

function seedOf(seed: number | Rng): number {
  return typeof seed === 'number' ? seed : seed.nextUint32();
}

/** Normal values (mean 0, std 1 unless given) from `seed`. */
export function randn(
  shape: Shape,
  seed: number | Rng,
  options: { mean?: number; std?: number; dtype?: DType } = {},
): Tensor {
  checkShape('randn', shape);
  return defaultBackend().random('normal', shape, options.mean ?? 0, options.std ?? 1, seedOf(seed), options.dtype ?? 'float32');
}

/** Uniform values in [low, high) (default [0, 1)) from `seed`. */
export function randu(
  shape: Shape,
  seed: number | Rng,
  options: { low?: number; high?: number; dtype?: DType } = {},
): Tensor {
  checkShape('randu', shape);
  return defaultBackend().random('uniform', shape, options.low ?? 0, options.high ?? 1, seedOf(seed), options.dtype ?? 'float32');
}

/**
 * A tensor from nested arrays, a flat array or a typed array (values are
 * copied). `shape` defaults to the nesting (or [length] for flat input);
 * `dtype` defaults to the typed array's type, else float32.
 */
export function fromArray(values: NestedArray | ArrayLike<number>, shape?: Shape, dtype?: DType): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (ArrayBuffer.isView(values) || !Array.isArray(values) || values.every((v) => typeof v === 'number')) {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  } else {
    inferred = [];
    let level: NestedArray = values as NestedArray;
    while (Array.isArray(level)) {
      inferred.push(level.length);
      level = level[0] ?? 0;
    }
    const out: number[] = [];
    flattenNested('fromArray', values as NestedArray[], inferred, 0, out);
    flat = out;
  }
  const dt: DType =
    dtype ?? (values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'float32');
  const target = shape ?? inferred;
  checkShape('fromArray', target);
  let size = 1;
  for (const d of target) size *= d;
  if (size !== flat.length) {
    throw new ShapeError(`fromArray: ${flat.length} values do not fill shape ${fmt(target)} (${size} elements)`);
  }
  const storage: TypedArray = typedArrayFor(dt, size);
  for (let i = 0; i < size; i++) storage[i] = flat[i]!;
  return defaultBackend().fromValues(storage, target);
}

function flattenNested(op: string, v: NestedArray[], shape: number[], dim: number, out: number[]): void {
  if (v.length !== shape[dim]) throw new ShapeError(`${op}: ragged nested array (expected ${shape[dim]} entries at depth ${dim}, got ${v.length})`);
  for (const item of v) {
    if (dim === shape.length - 1) {
      if (typeof item !== 'number') throw new ShapeError(`${op}: ragged nested array (expected numbers at depth ${dim})`);
      out.push(item);
    } else {
      if (!Array.isArray(item)) throw new ShapeError(`${op}: ragged nested array (expected arrays at depth ${dim})`);
      flattenNested(op, item, shape, dim + 1, out);
    }
  }
}

/** A tensor adopting `values` as its storage (no copy). */
export function fromTypedArray(values: TypedArray, shape?: Shape): Tensor {
  const s = shape ?? [values.length];
  checkShape('fromTypedArray', s);
  let size = 1;
  for (const d of s) size *= d;
  if (size !== values.length) throw new ShapeError(`fromTypedArray: ${values.length} values do not fill shape ${fmt(s)} (${size} elements)`);
  return defaultBackend().fromValues(values, s);
}

/** Nested JS arrays of the values (a number for a 0-d tensor or a number). */
export function toArray(x: Tensor | number): NestedArray {
  return typeof x === 'number' ? x : x.toArray();
}

/** A copy of a tensor's values as a new tensor (same backend). */
export function clone(x: Tensor): Tensor {
  // A materialising broadcast to the same shape is a copy on every backend (no read back).
  return x.backend.broadcastTo(x, x.shape);
}
