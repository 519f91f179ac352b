/**
 * Shape arithmetic shared by the ops: broadcasting, axis normalisation and
 * the wording of shape errors (each names the op and the shapes involved).
 */
import type { Shape } from './tensor.ts';

/** `[2,3]`, the way every error message prints a shape. */
export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** A user-facing error about shapes or arguments of a runtime op. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** NumPy broadcasting of two shapes; throws naming `op` and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together ` +
          `(dimension ${i - rank} is ${da} vs ${db})`,
      );
    }
  }
  return out;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Sorted, non-negative axes from an axis, a list of axes, or `null` /
 * `undefined` (all axes). Negative axes count from the end.
 */
export function normalizeAxes(
  op: string,
  shape: Shape,
  axes: number | readonly number[] | null | undefined,
): number[] {
  const rank = shape.length;
  if (axes === null || axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const out: number[] = [];
  for (const a of list) out.push(normalizeAxis(op, shape, a));
  out.sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new ShapeError(`${op}: axis ${out[i]} is repeated in [${list.join(',')}]`);
  }
  return out;
}

export function normalizeAxis(op: string, shape: Shape, axis: number): number {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for shape ${fmt(shape)}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** The shape after reducing `axes` (sorted, normalised). */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** `shape` viewed as [outer, r, inner] with its dimensions first..last (contiguous, the reduced ones) as r. */
export function middleDims(shape: Shape, first: number, last: number): { outer: number; r: number; inner: number } {
  let outer = 1;
  let r = 1;
  let inner = 1;
  for (let d = 0; d < shape.length; d++) {
    if (d < first) outer *= shape[d]!;
    else if (d <= last) r *= shape[d]!;
    else inner *= shape[d]!;
  }
  return { outer, r, inner };
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid shape ${fmt(shape)}`);
  }
}

/** Start indices for slicing `shape`: missing entries are 0; each must lie in [0, dim]. */
export function resolveBegin(op: string, shape: Shape, begin: readonly number[]): number[] {
  if (begin.length > shape.length) throw new ShapeError(`${op}: begin [${begin.join(',')}] has more entries than shape ${fmt(shape)}`);
  return shape.map((d, i) => {
    const v = begin[i] ?? 0;
    if (!Number.isInteger(v) || v < 0 || v > d) throw new ShapeError(`${op}: begin [${begin.join(',')}] is out of range for shape ${fmt(shape)}`);
    return v;
  });
}
