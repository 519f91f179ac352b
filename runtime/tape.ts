/**
 * The tape of reverse-mode code: values the forward sweep records and the
 * adjoint sweep reads back in the opposite order.
 *
 * Generated code shares one module-level tape per kind (numbers, control
 * decisions, object references). Every generated function pops exactly what
 * it pushed, so nested calls of generated code (a vjp calling another vjp)
 * keep the stack discipline and one tape can be reused across calls without
 * reallocating. Storage is a typed array grown by doubling.
 */

/** A stack of float64 values (primal values overwritten by the forward sweep). */
export class F64Stack {
  /**
   * The storage, of which the first `length` entries are the stack. Loops of
   * generated code keep it and the top in locals (compiler/emit/tape-cursors.ts)
   * and call `grow` when it is full.
   */
  buf: Float64Array;
  /** Number of values on the stack. */
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Float64Array(initialCapacity);
  }

  push(value: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = value;
  }

  pop(): number {
    return this.buf[--this.length]!;
  }

  /**
   * Sets the top to `top` and makes room for `n` more entries, doubling the storage as often as needed;
   * returns the storage. A counted loop of generated code reserves what it will push, then pushes
   * without testing for a full buffer (compiler/emit/tape-cursors.ts).
   */
  reserve(top: number, n: number): Float64Array {
    while (this.buf.length - top < n) this.grow(top);
    this.length = top;
    return this.buf;
  }

  /** Sets the top to `top` (default: where it is), doubles the storage, and returns the new storage. */
  grow(top: number = this.length): Float64Array {
    this.length = top;
    const bigger = new Float64Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
    return bigger;
  }
}

/** A stack of small integers: branch decisions and loop trip counts. */
export class I32Stack {
  /**
   * The storage, of which the first `length` entries are the stack. Loops of
   * generated code keep it and the top in locals (compiler/emit/tape-cursors.ts)
   * and call `grow` when it is full.
   */
  buf: Int32Array;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Int32Array(initialCapacity);
  }

  push(value: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = value;
  }

  pop(): number {
    return this.buf[--this.length]!;
  }

  /**
   * Sets the top to `top` and makes room for `n` more entries, doubling the storage as often as needed;
   * returns the storage. A counted loop of generated code reserves what it will push, then pushes
   * without testing for a full buffer (compiler/emit/tape-cursors.ts).
   */
  reserve(top: number, n: number): Int32Array {
    while (this.buf.length - top < n) this.grow(top);
    this.length = top;
    return this.buf;
  }

  /** Sets the top to `top` (default: where it is), doubles the storage, and returns the new storage. */
  grow(top: number = this.length): Int32Array {
    this.length = top;
    const bigger = new Int32Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
    return bigger;
  }
}

/** A stack of object references (arrays reallocated inside loops, tensors). */
export class RefStack {
  private buf: unknown[] = [];

  get length(): number {
    return this.buf.length;
  }

  push(value: unknown): void {
    this.buf.push(value);
  }

  pop<T>(): T {
    return this.buf.pop() as T;
  }
}

/** A numeric property key: an index into the storage. */
const INDEX_KEY = /^\d+$/;

/**
 * Runs `call` with every push and pop of `stack` reported to `on`, also those
 * of generated loops that keep the stack's storage and top in locals
 * (compiler/emit/tape-cursors.ts): the storage is watched, through a Proxy,
 * for the duration of the call. For tests and tape benchmarks; much slower
 * than the stack itself.
 */
export function watchStack<R>(stack: F64Stack | I32Stack, on: { push(): void; pop(): void }, call: () => R): R {
  // One storage type for both stacks: the code below only moves the storage around.
  type Storage = Float64Array;
  const s = stack as unknown as { buf: Storage; grow(top?: number): Storage };
  let storage = s.buf;
  const watched = (t: Storage): Storage =>
    new Proxy(t, {
      get(target, key) {
        if (typeof key === 'string' && INDEX_KEY.test(key)) on.pop();
        const v = (target as unknown as Record<string | symbol, unknown>)[key];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
      set(target, key, value) {
        if (typeof key === 'string' && INDEX_KEY.test(key)) on.push();
        (target as unknown as Record<string | symbol, unknown>)[key] = value;
        return true;
      },
    });
  const grow = s.grow;
  s.buf = watched(storage);
  s.grow = (top?: number) => {
    // Copying the old storage reads it: not pops.
    s.buf = storage;
    storage = grow.call(stack, top);
    s.buf = watched(storage);
    return s.buf;
  };
  try {
    return call();
  } finally {
    s.buf = storage;
    delete (s as { grow?: unknown }).grow;
  }
}

/** The shared tapes used by generated code. */
export const tape = {
  values: new F64Stack(),
  control: new I32Stack(),
  refs: new RefStack(),
};
