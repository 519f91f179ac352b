/**
 * CPU kernels for elementwise ops: unary functions, fused activation
 * gradients, broadcast binary ops and `where`. Each op has its own loop
 * (the switch is outside the loop), so V8 compiles tight loops over typed
 * arrays.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import type { TypedArray } from '../../tensor.ts';

type Arr = TypedArray | Float64Array;

export function unaryKernel(op: UnaryOp, x: Arr, out: Arr, param: number): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]!);
      return;
    case 'tanh':
      if (out instanceof Float32Array) for (let i = 0; i < n; i++) out[i] = tanhF32(x[i]!);
      else for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case 'sigmoid':
      if (out instanceof Float32Array) for (let i = 0; i < n; i++) out[i] = 0.5 + 0.5 * tanhF32(0.5 * x[i]!);
      else for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]!));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : 0;
      }
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : param * v;
      }
      return;
    case 'softplus':
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
  }
  op satisfies never;
}

const TANH_CLAMP = 7.90531110763549805;

/**
 * tanh for float32 results: a rational approximation (odd degree 13 over
 * even degree 6, the coefficients Eigen uses for float), within 3e-7 of
 * Math.tanh everywhere (about 2 float32 ulps) and 5x faster. Beyond
 * |x| = 7.9 it returns the value at the clamp, which rounds to +-1 in float32.
 */
export function tanhF32(x: number): number {
  if (x > TANH_CLAMP) x = TANH_CLAMP;
  else if (x < -TANH_CLAMP) x = -TANH_CLAMP;
  const x2 = x * x;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (x * p) / q;
}

export function unaryGradKernel(op: UnaryGradOp, g: Arr, v: Arr, out: Arr, param: number): void {
  const n = g.length;
  switch (op) {
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const y = v[i]!;
        out[i] = g[i]! * (1 - y * y);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const y = v[i]!;
        out[i] = g[i]! * y * (1 - y);
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = v[i]! > 0 ? g[i]! : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) out[i] = v[i]! > 0 ? g[i]! : param * g[i]!;
      return;
  }
  op satisfies never;
}

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
  const end = o + n;
  switch (op) {
    case 'add':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! + b[bo]!;
      return;
    case 'sub':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! - b[bo]!;
      return;
    case 'mul':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! * b[bo]!;
      return;
    case 'div':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! / b[bo]!;
      return;
    case 'pow':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = Math.pow(a[ao]!, b[bo]!);
      return;
    case 'maximum':
      for (; o < end; o++, ao += sa, bo += sb) {
        const x = a[ao]!;
        const y = b[bo]!;
        out[o] = x >= y || x !== x ? x : y;
      }
      return;
    case 'minimum':
      for (; o < end; o++, ao += sa, bo += sb) {
        const x = a[ao]!;
        const y = b[bo]!;
        out[o] = x <= y || x !== x ? x : y;
      }
      return;
    case 'prelu':
      for (; o < end; o++, ao += sa, bo += sb) {
        const x = a[ao]!;
        out[o] = x > 0 ? x : b[bo]! * x;
      }
      return;
    case 'maxMask':
      for (; o < end; o++, ao += sa, bo += sb) {
        const x = a[ao]!;
        const y = b[bo]!;
        out[o] = x > y ? 1 : x === y ? 0.5 : 0;
      }
      return;
    case 'greater':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! > b[bo]! ? 1 : 0;
      return;
    case 'greaterEqual':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! >= b[bo]! ? 1 : 0;
      return;
    case 'less':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! < b[bo]! ? 1 : 0;
      return;
    case 'lessEqual':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! <= b[bo]! ? 1 : 0;
      return;
    case 'equal':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! === b[bo]! ? 1 : 0;
      return;
    case 'notEqual':
      for (; o < end; o++, ao += sa, bo += sb) out[o] = a[ao]! !== b[bo]! ? 1 : 0;
      return;
  }
  op satisfies never;
}

/** The same op on two numbers (used when both operands are numbers). */
export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  const a = new Float64Array([x]);
  const b = new Float64Array([y]);
  const out = new Float64Array(1);
  binaryRow(op, a, 0, 0, b, 0, 0, out, 0, 1);
  return out[0]!;
}

export function unaryScalar(op: UnaryOp, x: number, param: number): number {
  const out = new Float64Array(1);
  unaryKernel(op, new Float64Array([x]), out, param);
  return out[0]!;
}
