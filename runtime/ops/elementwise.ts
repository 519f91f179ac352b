/**
 * Elementwise ops. Operands are tensors or numbers and broadcast the NumPy
 * way; when every operand is a number the result is a number. Also the
 * fused activation gradients (`tanhGrad`, ...) that derivative rules use.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backends/backend.ts';
import { binaryScalar, unaryScalar } from '../backends/cpu/elementwise.ts';
import { binaryOps } from '../backends/op-table.ts';
import { Tensor } from '../tensor.ts';
import type { DType } from '../tensor.ts';
import { broadcastShapes, shapesEqual } from '../shape.ts';
import { backendOf, promote, type Operand } from './util.ts';

/** A function of one operand: numbers give numbers, tensors give tensors. */
export interface UnaryFn {
  (x: number): number;
  (x: Tensor): Tensor;
  (x: Operand): Operand;
}

/** A function of two broadcast operands. */
export interface BinaryFn {
  (a: number, b: number): number;
  (a: Tensor, b: Operand): Tensor;
  (a: Operand, b: Tensor): Tensor;
  (a: Operand, b: Operand): Operand;
}

function unary(op: UnaryOp): UnaryFn {
  return ((x: Operand): Operand => {
    if (typeof x === 'number') return unaryScalar(op, x, 0);
    return backendOf(op, x).unary(op, x, 0);
  }) as UnaryFn;
}

function binaryOp(op: BinaryOp, a: Operand, b: Operand): Operand {
  if (typeof a === 'number' && typeof b === 'number') return binaryScalar(op, a, b);
  const shape = broadcastShapes(op, typeof a === 'number' ? [] : a.shape, typeof b === 'number' ? [] : b.shape);
  const kind = binaryOps[op].dtype;
  const dtype: DType = kind === 'compare' ? 'int32' : promote([a, b], kind === 'float');
  return backendOf(op, a, b).binary(op, a, b, shape, dtype);
}

function binary(op: BinaryOp): BinaryFn {
  return ((a: Operand, b: Operand) => binaryOp(op, a, b)) as BinaryFn;
}

// ---- arithmetic ----------------------------------------------------------
/** a + b */
export const add: BinaryFn = binary('add');
/** a - b */
export const sub: BinaryFn = binary('sub');
/** a * b (elementwise) */
export const mul: BinaryFn = binary('mul');
/** a / b */
export const div: BinaryFn = binary('div');
/** a ** b */
export const pow: BinaryFn = binary('pow');
/** Elementwise larger of a and b. */
export const maximum: BinaryFn = binary('maximum');
/** Elementwise smaller of a and b. */
export const minimum: BinaryFn = binary('minimum');
/** x > 0 ? x : alpha * x, with a learnable (broadcast) alpha. */
export const prelu: BinaryFn = binary('prelu');

// ---- comparisons (int32 0/1, no derivative) ------------------------------
export const greater: BinaryFn = binary('greater');
export const greaterEqual: BinaryFn = binary('greaterEqual');
export const less: BinaryFn = binary('less');
export const lessEqual: BinaryFn = binary('lessEqual');
export const equal: BinaryFn = binary('equal');
export const notEqual: BinaryFn = binary('notEqual');

/** 1 where a > b, 0.5 where a == b, 0 elsewhere: how `maximum` splits its cotangent. */
export const maxMask: BinaryFn = binary('maxMask');

// ---- unary ------------------------------------------------------------------
export const neg: UnaryFn = unary('neg');
export const exp: UnaryFn = unary('exp');
export const log: UnaryFn = unary('log');
export const sqrt: UnaryFn = unary('sqrt');
export const abs: UnaryFn = unary('abs');
/** -1, 0 or 1 (no derivative). */
export const sign: UnaryFn = unary('sign');
export const tanh: UnaryFn = unary('tanh');
/** 1 / (1 + e^-x) */
export const sigmoid: UnaryFn = unary('sigmoid');
/** max(x, 0) */
export const relu: UnaryFn = unary('relu');
/** log(1 + e^x), computed stably. */
export const softplus: UnaryFn = unary('softplus');

/** x > 0 ? x : alpha * x (alpha a constant, default 0.01). */
export function leakyRelu(x: number, alpha?: number): number;
export function leakyRelu(x: Tensor, alpha?: number): Tensor;
export function leakyRelu(x: Operand, alpha?: number): Operand;
export function leakyRelu(x: Operand, alpha = 0.01): Operand {
  if (typeof x === 'number') return unaryScalar('leakyRelu', x, alpha);
  return backendOf('leakyRelu', x).unary('leakyRelu', x, alpha);
}

/** cond != 0 ? a : b, all three broadcast together. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor;
export function where(cond: Operand, a: Tensor, b: Operand): Tensor;
export function where(cond: Operand, a: Operand, b: Tensor): Tensor;
export function where(cond: number, a: number, b: number): number;
export function where(cond: Operand, a: Operand, b: Operand): Operand;
export function where(cond: Operand, a: Operand, b: Operand): Operand {
  if (typeof cond === 'number' && typeof a === 'number' && typeof b === 'number') return cond !== 0 ? a : b;
  const shape = [cond, a, b].reduce<number[]>(
    (s, x) => broadcastShapes('where', s, typeof x === 'number' ? [] : x.shape),
    [],
  );
  return backendOf('where', cond, a, b).where(cond, a, b, shape, promote([a, b]));
}

// ---- fused activation gradients: g * f'(.) -------------------------------
function unaryGrad(op: UnaryGradOp, g: Operand, v: Operand, param: number): Operand {
  if (typeof g === 'number' && typeof v === 'number') {
    switch (op) {
      case 'tanh':
        return g * (1 - v * v);
      case 'sigmoid':
        return g * v * (1 - v);
      case 'relu':
        return v > 0 ? g : 0;
      case 'leakyRelu':
        return v > 0 ? g : param * g;
    }
  }
  const shape = broadcastShapes(`${op}Grad`, typeof g === 'number' ? [] : g.shape, typeof v === 'number' ? [] : v.shape);
  const backend = backendOf(`${op}Grad`, g, v);
  const full = (x: Operand): Tensor => {
    if (typeof x === 'number') return backend.fill(shape, x, 'float32');
    return shapesEqual(x.shape, shape) ? x : backend.broadcastTo(x, shape);
  };
  const gt = full(g);
  const vt = full(v);
  if (gt.dtype !== vt.dtype && (gt.dtype === 'float64' || vt.dtype === 'float64')) {
    return backend.unaryGrad(op, backend.cast(gt, 'float64'), backend.cast(vt, 'float64'), param);
  }
  return backend.unaryGrad(op, gt, vt, param);
}

/** g * (1 - y^2) where y = tanh(x): the cotangent (or tangent) through tanh. */
export function tanhGrad(g: number, y: number): number;
export function tanhGrad(g: Operand, y: Operand): Operand;
export function tanhGrad(g: Operand, y: Operand): Operand {
  return unaryGrad('tanh', g, y, 0);
}
/** g * y (1 - y) where y = sigmoid(x). */
export function sigmoidGrad(g: number, y: number): number;
export function sigmoidGrad(g: Operand, y: Operand): Operand;
export function sigmoidGrad(g: Operand, y: Operand): Operand {
  return unaryGrad('sigmoid', g, y, 0);
}
/** g where x > 0, else 0. */
export function reluGrad(g: number, x: number): number;
export function reluGrad(g: Operand, x: Operand): Operand;
export function reluGrad(g: Operand, x: Operand): Operand {
  return unaryGrad('relu', g, x, 0);
}
/** g where x > 0, else alpha g. */
export function leakyReluGrad(g: number, x: number, alpha?: number): number;
export function leakyReluGrad(g: Operand, x: Operand, alpha?: number): Operand;
export function leakyReluGrad(g: Operand, x: Operand, alpha = 0.01): Operand {
  return unaryGrad('leakyRelu', g, x, alpha);
}

/** The same values as `dtype` (int32 truncates toward zero). */
export function cast(x: number, dtype: DType): number;
export function cast(x: Tensor, dtype: DType): Tensor;
export function cast(x: Operand, dtype: DType): Operand;
export function cast(x: Operand, dtype: DType): Operand {
  if (typeof x === 'number') return dtype === 'int32' ? Math.trunc(x) : dtype === 'float32' ? Math.fround(x) : x;
  if (x.dtype === dtype) return x;
  return backendOf('cast', x).cast(x, dtype);
}
