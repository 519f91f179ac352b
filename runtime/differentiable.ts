/**
 * Markers read by the wengert compiler. At run time they do nothing: the
 * derivatives are generated at build time into `*.grad.ts` files.
 */

type Method = (...args: never[]) => unknown;

/**
 * Marks a class method as differentiable: `@differentiable` or
 * `@differentiable({ wrt: ['x'] })`. The compiler reads the decorator from
 * source; at run time it leaves the method unchanged. It works both as a
 * standard (TC39) decorator and with `experimentalDecorators`.
 */
export function differentiable<T extends Method>(target: T, context: ClassMethodDecoratorContext): T;
export function differentiable(target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
export function differentiable(options: { wrt?: readonly string[] }): {
  <T extends Method>(target: T, context: ClassMethodDecoratorContext): T;
  (target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
};
export function differentiable(first: unknown, second?: unknown): unknown {
  // Called with options (`@differentiable({ wrt })`) there is no second argument.
  const isOptions = second === undefined;
  if (isOptions) return passThrough;
  return passThrough(first, second);
}

/** A decorator that changes nothing: standard decorators get the method back, legacy ones `undefined`. */
function passThrough(target: unknown, second?: unknown): unknown {
  if (typeof target === 'function' && second !== null && typeof second === 'object' && 'kind' in (second as object)) return target;
  return undefined;
}

/**
 * Returns its argument unchanged; the compiler treats the result as a
 * constant, so no derivative flows through it.
 */
export function stopGradient<T>(value: T): T {
  return value;
}
