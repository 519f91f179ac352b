/**
 * Layout and indexing: reshape, broadcastTo, concat, slice, gather (rows by
 * index, e.g. embeddings) and scatterAdd (its adjoint).
 */
import { Tensor, shapeSize } from '../tensor.ts';
import type { Shape } from '../tensor.ts';
import { ShapeError, broadcastShapes, fmt, normalizeAxis, resolveBegin, shapesEqual } from '../shape.ts';
import { backendOf, expectTensor, indexArray, type Operand } from './util.ts';

/** Same values, new shape; one entry may be -1 (inferred). Shares storage. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  expectTensor('reshape', 'the operand', x);
  const target = shape.slice();
  const unknown = target.indexOf(-1);
  if (unknown >= 0) {
    const known = target.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (target.lastIndexOf(-1) !== unknown || known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
    }
    target[unknown] = x.size / known;
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  if (shapesEqual(target, x.shape)) return x;
  return backendOf('reshape', x).reshape(x, target);
}

/** Repeats x along broadcast dimensions to make `shape`. */
export function broadcastTo(x: Operand, shape: Shape): Tensor {
  if (typeof x === 'number') return backendOf('broadcastTo').fill(shape, x, 'float32');
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(out, shape)) throw new ShapeError(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  if (shapesEqual(x.shape, shape)) return x;
  return backendOf('broadcastTo', x).broadcastTo(x, shape);
}

/** Joins tensors along `axis` (default 0); other dimensions must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = expectTensor('concat', 'each operand', xs[0]);
  const ax = normalizeAxis('concat', first.shape, axis);
  for (const x of xs) {
    expectTensor('concat', 'each operand', x);
    const ok = x.rank === first.rank && x.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) {
      throw new ShapeError(
        `concat: shapes ${fmt(first.shape)} and ${fmt(x.shape)} do not match outside axis ${ax}`,
      );
    }
  }
  if (xs.length === 1) return first;
  return backendOf('concat', ...xs).concat(xs, ax);
}

/**
 * Stacks tensors of one shape along a new axis `axis` (default 0; -1 is the
 * new last axis): each gets a dimension of size 1 there, then they are
 * joined with concat.
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('stack: needs at least one tensor');
  const first = expectTensor('stack', 'each operand', xs[0]);
  const rank = first.rank + 1;
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new ShapeError(`stack: axis ${axis} is out of range for ${rank - 1}-d tensors`);
  const expanded = xs.map((x) => {
    expectTensor('stack', 'each operand', x);
    if (!shapesEqual(x.shape, first.shape)) throw new ShapeError(`stack: shapes ${fmt(first.shape)} and ${fmt(x.shape)} differ`);
    return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
  });
  return concat(expanded, ax);
}

/**
 * The block of x starting at `begin` with extent `size` per axis (-1: to
 * the end). Shorter lists leave trailing axes whole.
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  expectTensor('slice', 'the operand', x);
  const b = resolveBegin('slice', x.shape, begin);
  const s = x.shape.map((d, i) => {
    const want = size?.[i] ?? -1;
    return want === -1 ? d - b[i]! : want;
  });
  for (let i = 0; i < x.rank; i++) {
    if (!Number.isInteger(s[i]) || s[i]! < 0 || b[i]! + s[i]! > x.shape[i]!) {
      throw new ShapeError(
        `slice: begin [${begin.join(',')}] and size [${(size ?? []).join(',')}] are out of range for shape ${fmt(x.shape)}`,
      );
    }
  }
  return backendOf('slice', x).slice(x, b, s);
}

/** Rows of `x` (axis 0) picked by `indices`: result shape indices.shape ++ x.shape[1:]. */
export function gather(x: Tensor, indices: Int32Array | Tensor | readonly number[]): Tensor {
  expectTensor('gather', 'the table', x);
  if (x.rank === 0) throw new ShapeError('gather: the table must have at least 1 dimension, got shape []');
  const idx = indexArray('gather', 'indices', indices);
  checkIndices('gather', idx, x.shape[0]!, x.shape);
  const idxShape = indices instanceof Tensor ? indices.shape : [idx.length];
  return backendOf('gather', x).gather(x, idx, idxShape);
}

/**
 * `target` with `updates` added at rows `indices` (repeated indices add
 * up): NumPy's `np.add.at(target, indices, updates)`, without mutating.
 */
export function scatterAdd(target: Tensor, indices: Int32Array | Tensor | readonly number[], updates: Tensor): Tensor {
  expectTensor('scatterAdd', 'the target', target);
  expectTensor('scatterAdd', 'the updates', updates);
  const idx = indexArray('scatterAdd', 'indices', indices);
  checkIndices('scatterAdd', idx, target.shape[0] ?? 0, target.shape);
  const want = [...(indices instanceof Tensor ? indices.shape : [idx.length]), ...target.shape.slice(1)];
  if (!shapesEqual(updates.shape, want)) {
    throw new ShapeError(`scatterAdd: updates of shape ${fmt(updates.shape)} do not match indices and target (expected ${fmt(want)})`);
  }
  return backendOf('scatterAdd', target, updates).scatterAdd(target, idx, updates);
}

function checkIndices(op: string, idx: Int32Array, rows: number, shape: Shape): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= rows) throw new ShapeError(`${op}: index ${v} (at position ${i}) is out of range for shape ${fmt(shape)}`);
  }
}

