/**
 * Narrowing helpers for generated tensor code. The derivative templates
 * call runtime ops typed on `Tensor | number`; where the compiler knows a
 * value is a tensor (a tangent or cotangent of a Tensor variable), these
 * give it the Tensor type, and say clearly if that ever does not hold.
 */
import { Tensor } from './tensor.ts';
import { add } from './ops/index.ts';

/** `x` as a Tensor (a tangent or cotangent of a tensor variable). */
export function asTensor(x: Tensor | number): Tensor {
  if (x instanceof Tensor) return x;
  throw new TypeError(`wengert: expected a tensor derivative, got the number ${x}; the variable it belongs to held a number at run time`);
}

/** `acc + x` for the cotangent of a tensor variable; `acc` is null before the first contribution. */
export function addTensor(acc: Tensor | null, x: Tensor | number): Tensor {
  const t = asTensor(x);
  return acc === null ? t : asTensor(add(acc, t));
}

/**
 * `acc[i] = acc[i] + pieces[i]` for each i, in place: accumulates the
 * cotangent of an array or tuple of tensors (the operand list of `concat`,
 * whose cotangent comes back as one piece per tensor).
 */
export function addTensorsInto(acc: (Tensor | null)[], pieces: readonly (Tensor | number | null)[]): void {
  if (acc.length !== pieces.length) {
    throw new RangeError(`wengert: addTensorsInto got ${pieces.length} cotangent pieces for ${acc.length} tensors`);
  }
  // A null piece (no contribution: a structured cotangent's unused part) adds nothing.
  for (let i = 0; i < acc.length; i++) acc[i] = addTensorOrNull(acc[i]!, pieces[i]!);
}

/** `acc + x` where either may be null (no contribution yet): null only when both are. */
export function addTensorOrNull(acc: Tensor | null, x: Tensor | number | null | undefined): Tensor | null {
  if (x === null || x === undefined) return acc;
  return addTensor(acc, x);
}

/**
 * Adds the structured cotangent `src` (tuples, arrays and objects of
 * tensors and numbers, null leaves meaning zero) into `dst` in place, leaf
 * by leaf; a tensor leaf of `dst` may be null before its first
 * contribution. This is how a function returning `[Tensor, Tensor]` or
 * `{ h: Tensor; c: Tensor }` takes its output cotangent.
 */
export function addCotangentInto<T>(dst: T, src: unknown): void {
  if (src === null || src === undefined) return;
  const d = dst as Record<string | number, unknown>;
  const s = src as Record<string | number, unknown>;
  const keys = Array.isArray(dst) ? dst.map((_, i) => i) : Object.keys(d);
  if (Array.isArray(dst) && (!Array.isArray(src) || src.length !== dst.length)) {
    throw new RangeError(`wengert: the output cotangent has ${Array.isArray(src) ? src.length : 'no'} elements, the result ${dst.length}`);
  }
  for (const k of keys) {
    const v = s[k];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') d[k] = (d[k] as number) + v;
    else if (v instanceof Tensor) d[k] = addTensor(d[k] as Tensor | null, v);
    else addCotangentInto(d[k], v);
  }
}
