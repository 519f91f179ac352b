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
export function addTensorsInto(acc: Tensor[], pieces: readonly (Tensor | number)[]): void {
  if (acc.length !== pieces.length) {
    throw new RangeError(`wengert: addTensorsInto got ${pieces.length} cotangent pieces for ${acc.length} tensors`);
  }
  for (let i = 0; i < acc.length; i++) acc[i] = addTensor(acc[i]!, pieces[i]!);
}
