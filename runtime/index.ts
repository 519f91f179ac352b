export { F64Stack, I32Stack, RefStack, tape } from './tape.ts';
export { zerosLike, mapLike, flatten, unflatten, addInto } from './structure.ts';
export type { Differentiable } from './structure.ts';
export { addArrayInto, basisLike, countNumbers, jacobianByColumns, jacobianByRows } from './jacobian.ts';
export { differentiable, stopGradient } from './differentiable.ts';
