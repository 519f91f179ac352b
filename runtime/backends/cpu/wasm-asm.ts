/**
 * A very small WebAssembly assembler: just what the SIMD matmul kernel in
 * simd-gemm.ts needs (i32 arithmetic, blocks and loops, f32x4 loads, stores,
 * shuffles, multiplies and adds, one imported memory). Building the module from code
 * keeps the kernel readable and needs no toolchain or binary blob.
 */

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Emits the body of one function. Methods return `this` to chain. */
export class FnBuilder {
  readonly code: number[] = [];
  private readonly locals: number[] = [];

  constructor(
    readonly exportName: string,
    readonly params: number[],
  ) {}

  /** Declares a local of `type`; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  get(i: number): this {
    return this.op(0x20, ...uleb(i));
  }
  set(i: number): this {
    return this.op(0x21, ...uleb(i));
  }
  i32(v: number): this {
    return this.op(0x41, ...sleb(v));
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  eqz(): this {
    return this.op(0x45);
  }
  /** i32.ne */
  ne(): this {
    return this.op(0x47);
  }
  /** i32.lt_s */
  ltS(): this {
    return this.op(0x48);
  }
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }
  end(): this {
    return this.op(0x0b);
  }
  /** v128.const of zeros */
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  /** v128.load from (address on the stack) + offset */
  v128Load(offset: number): this {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  /** v128.store: stack [address, value] */
  v128Store(offset: number): this {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  /** v128.load32_splat: one f32 at (address on the stack) + offset, broadcast to four lanes */
  load32Splat(offset = 0): this {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  /** i8x16.shuffle of the two vectors on the stack: lane i of the result is byte lanes[i] of (a, b), 0..31 */
  shuffle(lanes: readonly number[]): this {
    return this.simd(0x0d, ...lanes);
  }
  f32x4Add(): this {
    return this.simd(...uleb(0xe4));
  }
  f32x4Mul(): this {
    return this.simd(...uleb(0xe6));
  }

  private simd(...bytes: number[]): this {
    return this.op(0xfd, ...bytes);
  }
  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /** The function's code-section entry (locals + body + end). */
  encode(): number[] {
    const groups: number[] = [];
    let count = 0;
    for (let i = 0; i < this.locals.length; i++) {
      if (i > 0 && this.locals[i] !== this.locals[i - 1]) {
        groups.push(...uleb(count), this.locals[i - 1]!);
        count = 0;
      }
      count++;
    }
    if (count > 0) groups.push(...uleb(count), this.locals[this.locals.length - 1]!);
    const nGroups = this.locals.length === 0 ? 0 : countGroups(this.locals);
    const body = [...uleb(nGroups), ...groups, ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

function countGroups(types: number[]): number {
  let n = 1;
  for (let i = 1; i < types.length; i++) if (types[i] !== types[i - 1]) n++;
  return n;
}

/** The memory a module imports as `env.memory`: its size in 64 KiB pages; shared memories need a maximum. */
export interface MemoryImport {
  initial: number;
  maximum?: number;
  shared: boolean;
}

/** A module importing one memory (`env.memory`) and exporting the given functions (no results). */
export function assemble(fns: FnBuilder[], memory: MemoryImport): Uint8Array {
  const types: number[] = [];
  const typeIndex: number[] = [];
  const seen = new Map<string, number>();
  for (const f of fns) {
    const key = f.params.join(',');
    let idx = seen.get(key);
    if (idx === undefined) {
      idx = seen.size;
      seen.set(key, idx);
      types.push(0x60, ...uleb(f.params.length), ...f.params, 0);
    }
    typeIndex.push(idx);
  }
  const typeSec = section(1, [...uleb(seen.size), ...types]);
  if (memory.shared && memory.maximum === undefined) throw new RangeError('assemble: a shared memory needs a maximum');
  // limits: 0 (initial), 1 (initial, maximum), 3 (shared, initial, maximum)
  const limits = memory.maximum === undefined ? [0, ...uleb(memory.initial)] : [memory.shared ? 3 : 1, ...uleb(memory.initial), ...uleb(memory.maximum)];
  const importSec = section(2, [1, ...name('env'), ...name('memory'), 0x02, ...limits]);
  const funcSec = section(3, [...uleb(fns.length), ...typeIndex.flatMap((i) => uleb(i))]);
  const exports: number[] = [];
  fns.forEach((f, i) => exports.push(...name(f.exportName), 0x00, ...uleb(i)));
  const exportSec = section(7, [...uleb(fns.length), ...exports]);
  const codeSec = section(10, [...uleb(fns.length), ...fns.flatMap((f) => f.encode())]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...typeSec, ...importSec, ...funcSec, ...exportSec, ...codeSec]);
}
