/**
 * Markers read by the wengert compiler. At run time they do nothing: the
 * derivatives are generated at build time into `*.grad.ts` files.
 */

/**
 * Marks a class method as differentiable. Use `@differentiable` or
 * `@differentiable({ wrt: ['x'] })`. The compiler reads the decorator from
 * source; at run time it returns the method unchanged.
 */
export function differentiable<This, Args extends unknown[], Ret>(
  target: (this: This, ...args: Args) => Ret,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Ret>,
): (this: This, ...args: Args) => Ret;
export function differentiable(options: {
  wrt?: readonly string[];
}): <This, Args extends unknown[], Ret>(
  target: (this: This, ...args: Args) => Ret,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Ret>,
) => (this: This, ...args: Args) => Ret;
export function differentiable(first: unknown, _context?: unknown): unknown {
  if (typeof first === 'function') return first;
  return (target: unknown) => target;
}

/**
 * Returns its argument unchanged; the compiler treats the result as a
 * constant, so no derivative flows through it.
 */
export function stopGradient<T>(value: T): T {
  return value;
}
