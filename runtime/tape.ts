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
  private buf: Float64Array;
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

  private grow(): void {
    const bigger = new Float64Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
  }
}

/** A stack of small integers: branch decisions and loop trip counts. */
export class I32Stack {
  private buf: Int32Array;
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

  private grow(): void {
    const bigger = new Int32Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
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

/** The shared tapes used by generated code. */
export const tape = {
  values: new F64Stack(),
  control: new I32Stack(),
  refs: new RefStack(),
};
