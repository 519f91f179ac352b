/**
 * Helpers that derivative rules (compiler/rules/tensor.ts) and generated
 * reverse-mode code call: undoing broadcasting, expanding reduced
 * cotangents back to the input's shape, the adjoints of layout ops, and
 * accumulating cotangents. Each takes the primal operand it must match
 * (`like`, `x`) so no shapes need to be spelled out in generated code.
 */
import { Tensor } from '../tensor.ts';
import type { DType, Shape } from '../tensor.ts';
import type { Backend } from '../backends/backend.ts';
import { ShapeError, fmt, normalizeAxes, resolveBegin, shapesEqual } from '../shape.ts';
import { backendOf, type Operand } from './util.ts';
import { add, cast, div, equal, exp, mul, sub } from './elementwise.ts';
import { sum, type Axes } from './reductions.ts';
import { invertPermutation, matmul, transpose } from './linalg.ts';
import { broadcastTo, reshape, slice } from './indexing.ts';

/**
 * What a shape-only argument (the `like` of `unbroadcast`, `broadcastLike`,
 * the `x` of `reduceGrad`, `meanGrad`) reads: a tensor, or for a value the
 * compiler fused away (a product into its epilogue, a chain into a
 * reduction), `productLike(a, b)` or `fusedLike(kernel, operands)`, which
 * have no storage.
 */
export interface ShapeLike {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly backend: Backend;
}

/**
 * Sums a cotangent `g` down to the shape of `like` (the operand a
 * broadcasting op read): leading axes `like` lacks and axes where `like`
 * has size 1 are summed. Returns a number when `like` is a number.
 */
export function unbroadcast(g: number, like: number): number;
export function unbroadcast(g: Operand, like: number): number;
export function unbroadcast(g: Operand, like: Tensor | ShapeLike): Tensor;
export function unbroadcast(g: Operand, like: Operand | ShapeLike): Operand;
export function unbroadcast(g: Operand, like: Operand | ShapeLike): Operand {
  if (typeof like === 'number') return typeof g === 'number' ? g : sum(g);
  if (typeof g === 'number') return likeBackend('unbroadcast', like).fill(like.shape, g, floatOf(like.dtype));
  if (shapesEqual(g.shape, like.shape)) return g;
  const rank = like.shape.length;
  if (g.rank < rank && like.shape.slice(0, rank - g.rank).every((d) => d === 1)) {
    g = reshape(g, [...like.shape.slice(0, rank - g.rank).map(() => 1), ...g.shape]);
  }
  const s = sum(g, unbroadcastAxes(g.shape, like.shape), true);
  return reshape(s, like.shape);
}

/**
 * The axes of a cotangent of shape `g` that `unbroadcast` sums to reach
 * `like` (of no higher rank): the leading axes `like` lacks and those where
 * it has size 1.
 */
export function unbroadcastAxes(g: Shape, like: Shape): number[] {
  const lead = g.length - like.length;
  if (lead < 0) throw new ShapeError(`unbroadcast: cotangent of shape ${fmt(g)} is smaller than operand shape ${fmt(like)}`);
  const axes: number[] = [];
  for (let d = 0; d < g.length; d++) {
    if (d < lead) axes.push(d);
    else if (like[d - lead] === 1 && g[d] !== 1) axes.push(d);
    else if (like[d - lead] !== g[d]) {
      throw new ShapeError(`unbroadcast: cotangent of shape ${fmt(g)} does not broadcast from operand shape ${fmt(like)}`);
    }
  }
  return axes;
}

/** A tangent `t` broadcast to the shape of `like` (the op's result). */
export function broadcastLike(t: number, like: number): number;
export function broadcastLike(t: Operand, like: Tensor | ShapeLike): Tensor;
export function broadcastLike(t: Operand, like: Operand | ShapeLike): Operand;
export function broadcastLike(t: Operand, like: Operand | ShapeLike): Operand {
  if (typeof like === 'number') {
    if (typeof t === 'number') return t;
    if (t.size === 1) return t.dataSync()[0]!;
    throw new ShapeError(`broadcastLike: tangent of shape ${fmt(t.shape)} for a number result`);
  }
  if (typeof t === 'number') return likeBackend('broadcastLike', like).fill(like.shape, t, floatOf(like.dtype));
  return shapesEqual(t.shape, like.shape) ? t : broadcastTo(t, like.shape);
}

function likeBackend(op: string, like: Tensor | ShapeLike): Backend {
  return like instanceof Tensor ? backendOf(op, like) : like.backend;
}

function floatOf(dtype: DType): DType {
  return dtype === 'int32' ? 'float32' : dtype;
}

/** `r` (a reduction of x over `axes`) reshaped so that it broadcasts against x. */
export function expandReduced(r: Operand, x: Operand | ShapeLike, axes: Axes | undefined, keepdims: boolean | undefined): Operand {
  if (typeof r === 'number' || typeof x === 'number' || keepdims) return r;
  const ax = normalizeAxes('expandReduced', x.shape, axes);
  const shape: number[] = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  return reshape(r, shape);
}

/**
 * The cotangent of a sum over `axes`: g copied along the reduced axes
 * (shape of x). Like every cotangent helper here, it gives a number for a
 * number `x` and a tensor for a tensor `x`.
 */
export function reduceGrad(g: Operand, x: number, axes?: Axes, keepdims?: boolean): number;
export function reduceGrad(g: Operand, x: Tensor | ShapeLike, axes?: Axes, keepdims?: boolean): Tensor;
export function reduceGrad(g: Operand, x: Operand | ShapeLike, axes?: Axes, keepdims?: boolean): Operand;
export function reduceGrad(g: Operand, x: Operand | ShapeLike, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : sum(g);
  return broadcastLike(expandReduced(g, x, axes, keepdims), x);
}

/** The cotangent of a mean over `axes`: reduceGrad divided by the count. */
export function meanGrad(g: Operand, x: number, axes?: Axes, keepdims?: boolean): number;
export function meanGrad(g: Operand, x: Tensor | ShapeLike, axes?: Axes, keepdims?: boolean): Tensor;
export function meanGrad(g: Operand, x: Operand | ShapeLike, axes?: Axes, keepdims?: boolean): Operand;
export function meanGrad(g: Operand, x: Operand | ShapeLike, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : sum(g);
  const ax = normalizeAxes('meanGrad', x.shape, axes);
  let count = 1;
  for (const a of ax) count *= x.shape[a]!;
  return div(reduceGrad(g, x, axes, keepdims), count);
}

/** Where x attains the max over `axes`, split equally among ties: mask / count. */
function maxWeights(x: Tensor, out: Operand, axes: Axes, keepdims: boolean | undefined): Tensor {
  const mask = cast(equal(x, expandReduced(out, x, axes, keepdims)), x.dtype === 'float64' ? 'float64' : 'float32');
  const count = sum(mask, normalizeAxes('maxGrad', x.shape, axes), true);
  return div(mask, count);
}

/** Cotangent of max (or min) over `axes`; ties share the cotangent equally. */
export function maxGrad(g: Operand, x: number, out: Operand, axes?: Axes, keepdims?: boolean): number;
export function maxGrad(g: Operand, x: Tensor, out: Operand, axes?: Axes, keepdims?: boolean): Tensor;
export function maxGrad(g: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand;
export function maxGrad(g: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : sum(g);
  return mul(reduceGrad(g, x, axes, keepdims), maxWeights(x, out, axes, keepdims));
}

/**
 * Tangent of max (or min) over `axes`. Like the other tangent helpers of
 * reductions, it has the kind of the result `out`: a number for a
 * reduction over all axes without keepdims, else a tensor.
 */
export function maxJvp(dx: Operand, x: Operand, out: number, axes?: Axes, keepdims?: boolean): number;
export function maxJvp(dx: Operand, x: Operand, out: Tensor, axes?: Axes, keepdims?: boolean): Tensor;
export function maxJvp(dx: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand;
export function maxJvp(dx: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof dx === 'number' ? dx : sum(dx);
  return sum(mul(dx, maxWeights(x, out, axes, keepdims)), axes, keepdims ?? false);
}

/** Cotangent of logsumexp over `axes`: g softmax(x). */
export function logsumexpGrad(g: Operand, x: number, out: Operand, axes?: Axes, keepdims?: boolean): number;
export function logsumexpGrad(g: Operand, x: Tensor, out: Operand, axes?: Axes, keepdims?: boolean): Tensor;
export function logsumexpGrad(g: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand;
export function logsumexpGrad(g: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : sum(g);
  return mul(reduceGrad(g, x, axes, keepdims), exp(sub(x, expandReduced(out, x, axes, keepdims))));
}

/** Tangent of logsumexp over `axes`: sum(softmax(x) dx), of the kind of `out`. */
export function logsumexpJvp(dx: Operand, x: Operand, out: number, axes?: Axes, keepdims?: boolean): number;
export function logsumexpJvp(dx: Operand, x: Operand, out: Tensor, axes?: Axes, keepdims?: boolean): Tensor;
export function logsumexpJvp(dx: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand;
export function logsumexpJvp(dx: Operand, x: Operand, out: Operand, axes?: Axes, keepdims?: boolean): Operand {
  if (typeof x === 'number') return typeof dx === 'number' ? dx : sum(dx);
  return sum(mul(exp(sub(x, expandReduced(out, x, axes, keepdims))), dx), axes, keepdims ?? false);
}

/** Cotangent of a in matmul(a, b, transposeA, transposeB), summed over broadcast batch axes. */
export function matmulGradA(g: Tensor, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  // C = op(A) op(B):  dA = G op(B)^T, then transposed back if A was.
  const r = transposeA ? matmul(b, g, transposeB, true) : matmul(g, b, false, !transposeB);
  return unbroadcast(r, a);
}

/** Cotangent of b in matmul(a, b, transposeA, transposeB). */
export function matmulGradB(g: Tensor, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  // dB = op(A)^T G, then transposed back if B was.
  const r = transposeB ? matmul(g, a, true, transposeA) : matmul(a, g, !transposeA, false);
  return unbroadcast(r, b);
}

/** g reshaped to the shape of x (a number when x is a number). */
export function reshapeLike(g: Operand, x: number): number;
export function reshapeLike(g: Operand, x: Tensor): Tensor;
export function reshapeLike(g: Operand, x: Operand): Operand;
export function reshapeLike(g: Operand, x: Operand): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : g.dataSync()[0]!;
  if (typeof g === 'number') return backendOf('reshapeLike', x).fill(x.shape, g, floatOf(x.dtype));
  return reshape(g, x.shape);
}

/** g in x's float dtype (the cotangent of a cast); a number when x is a number. */
export function castLike(g: Operand, x: number): number;
export function castLike(g: Operand, x: Tensor): Tensor;
export function castLike(g: Operand, x: Operand): Operand;
export function castLike(g: Operand, x: Operand): Operand {
  if (typeof x === 'number') return typeof g === 'number' ? g : sum(g);
  if (typeof g === 'number') return backendOf('castLike', x).fill(x.shape, g, floatOf(x.dtype));
  return cast(g, floatOf(x.dtype));
}

/** The cotangent of transpose(x, perm): g transposed back (perm omitted: axes reversed, its own inverse). */
export function transposeGrad(g: Tensor, perm?: readonly number[] | null): Tensor {
  return transpose(g, invertPermutation(perm));
}

/** Zeros shaped like x with g placed at `begin`: the cotangent of slice. */
export function sliceGrad(g: Tensor, x: Tensor, begin: readonly number[]): Tensor {
  return backendOf('sliceGrad', g, x).sliceAdjoint(g, x.shape, resolveBegin('sliceGrad', x.shape, begin));
}

/** g cut along `axis` into pieces shaped like xs: the cotangent of concat. */
export function splitLike(g: Tensor, xs: readonly Tensor[], axis = 0): Tensor[] {
  const ax = normalizeAxes('splitLike', g.shape, axis)[0]!;
  const out: Tensor[] = [];
  let start = 0;
  for (const x of xs) {
    const begin = g.shape.map((_, i) => (i === ax ? start : 0));
    const size = g.shape.map((d, i) => (i === ax ? x.shape[ax]! : d));
    out.push(slice(g, begin, size));
    start += x.shape[ax]!;
  }
  return out;
}

/** g cut along the stacked axis into one piece per x, each shaped like x: the cotangent of stack. */
export function unstackLike(g: Tensor, xs: readonly Tensor[], axis = 0): Tensor[] {
  const ax = axis < 0 ? axis + g.rank : axis;
  return xs.map((x, i) => reshape(slice(g, g.shape.map((_, k) => (k === ax ? i : 0)), g.shape.map((d, k) => (k === ax ? 1 : d))), x.shape));
}

/** The sum of numbers and tensors (broadcasting); null / undefined entries count as zero. */
export function addN(xs: readonly (Operand | null | undefined)[]): Operand {
  let acc: Operand | null = null;
  for (const x of xs) {
    if (x === null || x === undefined) continue;
    acc = acc === null ? x : add(acc, x);
  }
  return acc ?? 0;
}

/** A cotangent-like value: numbers, tensors, and arrays / objects of them. */
export type Accumulable = Operand | readonly Accumulable[] | { readonly [key: string]: Accumulable };

/**
 * acc + x for cotangents: numbers and tensors add (broadcasting), arrays
 * and objects add entry by entry; null or undefined on either side is zero.
 */
export function accumulate<T extends Accumulable>(acc: T | null | undefined, x: T | null | undefined): T | null {
  if (acc === null || acc === undefined) return x ?? null;
  if (x === null || x === undefined) return acc;
  if (typeof acc === 'number' || acc instanceof Tensor || typeof x === 'number' || x instanceof Tensor) {
    return add(acc as Operand, x as Operand) as T;
  }
  if (Array.isArray(acc)) {
    const xs = x as readonly Accumulable[];
    return acc.map((a: Accumulable, i: number) => accumulate(a, xs[i]) ?? 0) as unknown as T;
  }
  const out: Record<string, Accumulable> = {};
  const xo = x as { readonly [key: string]: Accumulable };
  for (const key of new Set([...Object.keys(acc), ...Object.keys(xo)])) {
    out[key] = accumulate((acc as { readonly [key: string]: Accumulable })[key], xo[key]) ?? 0;
  }
  return out as T;
}

