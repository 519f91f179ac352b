/**
 * CPU kernels for elementwise ops: unary functions, fused activation
 * gradients and broadcast binary ops, generated from the op table
 * (../op-table.ts). Each (op, result kind) gets its own loop compiled once
 * with `new Function`, so V8 sees a tight loop over typed arrays with the
 * op's expression inlined, as if written by hand.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import type { TypedArray } from '../../tensor.ts';
import { binaryOps, cpuExpr, cpuHelpers, unaryGradOps, unaryOps, type ElementwiseOp } from '../op-table.ts';

export { tanhF32 } from '../op-table.ts';

type Arr = TypedArray | Float64Array;

/** The op table's helpers, passed to every generated kernel by name. */
const helperNames = Object.keys(cpuHelpers);
const helperValues = Object.values(cpuHelpers);

function compile<F>(params: string[], body: string): F {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...helperNames, `return function (${params.join(', ')}) {\n${body}\n};`)(...helperValues) as F;
}

/** Kernels by op name and result kind ('f32' for float32 results, 'f64' otherwise). */
function cache<K, F>(make: (key: K, f32: boolean) => F): (key: K, out: Arr) => F {
  const f32 = new Map<K, F>();
  const other = new Map<K, F>();
  return (key, out) => {
    const isF32 = out instanceof Float32Array;
    const m = isF32 ? f32 : other;
    let f = m.get(key);
    if (f === undefined) {
      f = make(key, isF32);
      m.set(key, f);
    }
    return f;
  };
}

function expr(spec: ElementwiseOp, f32: boolean, ...args: string[]): string {
  return cpuExpr(spec, f32 ? 'float32' : 'float64', ...args);
}

type UnaryK = (x: Arr, out: Arr, p: number) => void;
const unaryK = cache<UnaryOp, UnaryK>((op, f32) =>
  compile(['x', 'out', 'p'], `const n = x.length;\nfor (let i = 0; i < n; i++) { const v = x[i]; out[i] = ${expr(unaryOps[op], f32, 'v', 'p')}; }`),
);

export function unaryKernel(op: UnaryOp, x: Arr, out: Arr, param: number): void {
  unaryK(op, out)(x, out, param);
}

type UnaryGradK = (g: Arr, v: Arr, out: Arr, p: number) => void;
const unaryGradK = cache<UnaryGradOp, UnaryGradK>((op, f32) =>
  compile(
    ['g', 'v', 'out', 'p'],
    `const n = g.length;\nfor (let i = 0; i < n; i++) { const gi = g[i]; const vi = v[i]; out[i] = ${expr(unaryGradOps[op], f32, 'gi', 'vi', 'p')}; }`,
  ),
);

export function unaryGradKernel(op: UnaryGradOp, g: Arr, v: Arr, out: Arr, param: number): void {
  unaryGradK(op, out)(g, v, out, param);
}

type BinaryK = (a: Arr, ao: number, sa: number, b: Arr, bo: number, sb: number, out: Arr, o: number, n: number) => void;
const binaryK = cache<BinaryOp, BinaryK>((op, f32) =>
  compile(
    ['a', 'ao', 'sa', 'b', 'bo', 'sb', 'out', 'o', 'n'],
    `const end = o + n;\nfor (; o < end; o++, ao += sa, bo += sb) { const x = a[ao]; const y = b[bo]; out[o] = ${expr(binaryOps[op], f32, 'x', 'y')}; }`,
  ),
);

/** One output row: out[o + i] = a[ao + i sa] op b[bo + i sb] for i < n. */
export function binaryRow(
  op: BinaryOp,
  a: Arr,
  ao: number,
  sa: number,
  b: Arr,
  bo: number,
  sb: number,
  out: Arr,
  o: number,
  n: number,
): void {
  binaryK(op, out)(a, ao, sa, b, bo, sb, out, o, n);
}

type Scalar2 = (x: number, y: number) => number;
const binaryScalarK = new Map<BinaryOp, Scalar2>();

/** The same op on two numbers (used when both operands are numbers). */
export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  let f = binaryScalarK.get(op);
  if (f === undefined) {
    f = compile<Scalar2>(['x', 'y'], `return ${binaryOps[op].cpu('x', 'y')};`);
    binaryScalarK.set(op, f);
  }
  return f(x, y);
}

const unaryScalarK = new Map<UnaryOp, Scalar2>();

export function unaryScalar(op: UnaryOp, x: number, param: number): number {
  let f = unaryScalarK.get(op);
  if (f === undefined) {
    f = compile<Scalar2>(['x', 'p'], `return ${unaryOps[op].cpu('x', 'p')};`);
    unaryScalarK.set(op, f);
  }
  return f(x, param);
}
