/**
 * The `Tensor` type: an n-dimensional array with a shape, a dtype and
 * row-major storage owned by a backend. Tensors are immutable as far as
 * ops are concerned; only optimizers update parameters in place.
 */
import type { Backend } from './backends/backend.ts';

/** Element types. `int32` is for labels and indices. */
export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type Shape = readonly number[];

/** Nested JS arrays of numbers (the result of `toArray`). */
export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements (product of the shape). */
  readonly size: number;
  /** The backend that owns `storage`. */
  readonly backend: Backend;
  /**
   * Backend storage. For the `cpu` backend a typed array of `size` elements
   * in row-major order; other backends keep an opaque handle here.
   */
  readonly storage: unknown;

  /** Internal: use `fromArray`, `zeros`, ... to make tensors. */
  constructor(backend: Backend, storage: unknown, shape: Shape, dtype: DType) {
    this.backend = backend;
    this.storage = storage;
    this.shape = Object.freeze(shape.slice());
    this.dtype = dtype;
    this.size = shapeSize(shape);
    if (tensorHook !== null) tensorHook(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  /**
   * The values, row-major. On the CPU backend this is the storage itself, not
   * a copy: do not write to it. Backends that cannot read synchronously throw.
   */
  dataSync(): TypedArray {
    if (readHook !== null) readHook('dataSync', this);
    return this.backend.readSync(this);
  }

  /** The values, row-major, once the backend has them on the host. */
  data(): Promise<TypedArray> {
    try {
      if (readHook !== null) readHook('data', this);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.backend.read(this);
  }

  /** The values as nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    return nest(this.dataSync(), this.shape, 0, 0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(',')}])`;
  }
}

let tensorHook: ((t: Tensor) => void) | null = null;

/** Internal: runtime/lifetimes.ts sees every new tensor (to know which scope made its storage). */
export function setTensorHook(hook: ((t: Tensor) => void) | null): void {
  tensorHook = hook;
}

let readHook: ((op: string, t: Tensor) => void) | null = null;

/** Internal: runtime/lifetimes.ts checks every read (a released tensor throws, saying how it was released). */
export function setReadHook(hook: ((op: string, t: Tensor) => void) | null): void {
  readHook = hook;
}

export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements) of a shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function typedArrayFor(dtype: DType, size: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'float64') return new Float64Array(size);
  return new Int32Array(size);
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

function nest(values: TypedArray, shape: Shape, dim: number, offset: number): NestedArray {
  if (dim === shape.length) return values[offset]!;
  const n = shape[dim]!;
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) out.push(nest(values, shape, dim + 1, offset + i * inner));
  return out;
}
