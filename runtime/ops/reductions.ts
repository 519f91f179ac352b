/**
 * Reductions over all axes or given axes. Called without axes (and without
 * keepdims) they return a plain number, so a loss can be `sum(...)`;
 * with axes they return a tensor, keeping reduced axes as size 1 when
 * `keepdims` is true.
 */
import type { ReduceOp } from '../backends/backend.ts';
import { Tensor } from '../tensor.ts';
import { ShapeError, fmt, normalizeAxes } from '../shape.ts';
import { backendOf, numberOnCpu, type Operand } from './util.ts';
import { add, exp, log, sub, where } from './elementwise.ts';

/** An axis, a list of axes, or null / undefined for all axes. */
export type Axes = number | readonly number[] | null | undefined;

/**
 * The same signature for every reduction: a number over all axes (axes
 * omitted, null or undefined) without keepdims, else a tensor.
 */
export interface ReduceFn {
  (x: Operand): number;
  (x: Operand, axes: null | undefined, keepdims?: false): number;
  (x: Operand, axes: number | readonly number[], keepdims?: boolean): Tensor;
  (x: Operand, axes: Axes, keepdims: true): Tensor;
  (x: Operand, axes?: Axes, keepdims?: boolean): Operand;
}

function reduceRaw(op: ReduceOp | 'mean', name: string, x: Operand, axes: Axes, keepdims: boolean): Operand {
  if (typeof x === 'number') {
    if (axes !== null && axes !== undefined && (typeof axes === 'number' || axes.length > 0)) {
      throw new ShapeError(`${name}: cannot reduce axes [${[axes].flat().join(',')}] of a number`);
    }
    return x;
  }
  const ax = normalizeAxes(name, x.shape, axes);
  if (op !== 'sum' && op !== 'mean') {
    for (const a of ax) {
      if (x.shape[a] === 0) throw new ShapeError(`${name}: cannot reduce an empty axis ${a} of shape ${fmt(x.shape)}`);
    }
  }
  const backend = backendOf(name, x);
  let out = backend.reduce(op === 'mean' ? 'sum' : op, x, ax, keepdims);
  if (op === 'mean') {
    let count = 1;
    for (const a of ax) count *= x.shape[a]!;
    const xf = out.dtype === 'int32' ? backend.cast(out, 'float32') : out;
    out = backend.binary('div', xf, count, xf.shape, xf.dtype);
  }
  if ((axes === null || axes === undefined) && !keepdims) {
    numberOnCpu(name, x, name === 'sum' || name === 'mean' ? `${name}All(x)` : `${name}(x, [${[...x.shape.keys()].join(', ')}])`);
    return out.dataSync()[0]!;
  }
  return out;
}

function reducer(op: ReduceOp | 'mean', name: string): ReduceFn {
  return ((x: Operand, axes?: Axes, keepdims: boolean = false) => reduceRaw(op, name, x, axes, keepdims)) as ReduceFn;
}

/** Sum of elements. */
export const sum: ReduceFn = reducer('sum', 'sum');
/** Mean of elements (an empty reduction gives NaN). */
export const mean: ReduceFn = reducer('mean', 'mean');
/** Largest element. */
export const max: ReduceFn = reducer('max', 'max');
/** Smallest element. */
export const min: ReduceFn = reducer('min', 'min');

/** log(sum(exp(x))) over the axes, computed stably (shifted by the max). */
export const logsumexp: ReduceFn = ((x: Operand, axes?: Axes, keepdims: boolean = false): Operand => {
  if (typeof x === 'number') return reduceRaw('sum', 'logsumexp', x, axes, keepdims);
  const ax = normalizeAxes('logsumexp', x.shape, axes);
  const m = reduceRaw('max', 'logsumexp', x, ax, true) as Tensor;
  // Rows that are all -Infinity would give NaN from x - m; shift them by 0.
  const shift = where(isFiniteMask(m), m, 0);
  const s = reduceRaw('sum', 'logsumexp', exp(sub(x, shift)), ax, true) as Tensor;
  let out = add(log(s), shift) as Tensor;
  if (!keepdims) {
    const shape = x.shape.filter((_, d) => !ax.includes(d));
    out = out.backend.reshape(out, shape);
  }
  if ((axes === null || axes === undefined) && !keepdims) return out.dataSync()[0]!;
  return out;
}) as ReduceFn;

/** int32 index of the largest element along `axis` (default the last); first index on ties. No derivative. */
export function argmax(x: Tensor, axis = -1): Tensor {
  const ax = normalizeAxes('argmax', x.shape, axis)[0]!;
  if (x.shape[ax] === 0) throw new ShapeError(`argmax: cannot take the argmax of an empty axis ${ax} of shape ${fmt(x.shape)}`);
  return backendOf('argmax', x).argmax(x, ax);
}

/** int32 1 where m is finite (|m| < Infinity is false for infinities and NaN), computed where m lives (no read back). */
function isFiniteMask(m: Tensor): Tensor {
  return m.backend.binary('less', m.backend.unary('abs', m, 0), Infinity, m.shape, 'int32');
}
