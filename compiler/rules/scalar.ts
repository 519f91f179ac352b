/**
 * Derivative rules of the scalar primitives: arithmetic operators and the
 * `Math.*` functions. Each entry holds the primal, the JVP and the VJP side
 * by side. `g` is the cotangent of the result, `out` the result itself.
 *
 * Subgradients at kinks are documented in docs/derivatives.md: `abs`, `max`,
 * `min` and `hypot` pick a finite value there, and no rule produces NaN
 * where the true derivative is finite (for example `x ** 0` at x = 0).
 */
import type { Rule } from './types.ts';
import { div, isLiteral, literal, literalValue, mul, neg, sum } from './algebra.ts';

/** A rule for a function of one argument whose derivative is `dfdx(x, out)`. */
function unary(fn: string, dfdx: (x: string, out: string) => string): Rule {
  return {
    arity: 1,
    primal: ([x]) => `${fn}(${x})`,
    jvp: ({ args: [x], out, dargs: [dx] }) => (dx ? mul(dfdx(x!, out), dx) : null),
    vjp: ({ args: [x], out, g }) => mul(g, dfdx(x!, out)),
  };
}

/**
 * `unary` for a function whose derivative is infinite at an edge of its
 * domain (log10 at 0, acosh at 1): a zero tangent contributes 0 there in
 * forward mode, not 0 * Infinity (reverse mode already skips zero cotangents).
 */
function unaryWithPole(fn: string, dfdx: (x: string, out: string) => string): Rule {
  const rule = unary(fn, dfdx);
  return { ...rule, jvp: ({ args: [x], out, dargs: [dx] }) => (dx ? `(${dx} === 0 ? 0 : ${mul(dfdx(x!, out), dx)})` : null) };
}

/** A rule for a piecewise-constant function: zero derivative everywhere it has one. */
function piecewiseConstant(fn: string): Rule {
  return { arity: 1, primal: ([x]) => `${fn}(${x})`, jvp: () => null, vjp: () => null };
}

/** A rule for a function of two arguments with partial derivatives `da`, `db`. */
function binary(
  primal: (a: string, b: string) => string,
  partial: (a: string, b: string, out: string) => [string, string],
): Rule {
  return {
    arity: 2,
    primal: ([a, b]) => primal(a!, b!),
    jvp: ({ args: [a, b], out, dargs: [da, db] }) => {
      const [pa, pb] = partial(a!, b!, out);
      return sum([da ? mul(pa, da) : null, db ? mul(pb, db) : null]);
    },
    vjp: ({ args: [a, b], out, g }, i) => mul(g, partial(a!, b!, out)[i]!),
  };
}

/** `a ** b`, with the exponent's common literal cases folded. */
const pow: Rule = {
  arity: 2,
  primal: ([a, b]) => `${a} ** ${b}`,
  // A zero tangent contributes 0 even where the partial is infinite (d/da of a ** 0.5 at a = 0).
  jvp: ({ args: [a, b], out, dargs: [da, db] }) =>
    sum([
      da ? (isLiteral(b!) && literalValue(b!) >= 1 ? mul(powBase(a!, b!), da) : `(${da} === 0 ? 0 : ${mul(powBase(a!, b!), da)})`) : null,
      db ? mul(powExponent(a!, out), db) : null,
    ]),
  vjp: ({ args: [a, b], out, g }, i) => mul(g, i === 0 ? powBase(a!, b!) : powExponent(a!, out)),
};

// d (a ** b) / da = b * a ** (b - 1); 0 when b = 0 (also at a = 0, where 0 * 0 ** -1 would be NaN)
function powBase(a: string, b: string): string {
  if (isLiteral(b)) {
    const n = literalValue(b);
    if (n === 0) return '0';
    if (n === 1) return '1';
    if (n === 2) return mul('2', a);
    return mul(b, `${a} ** ${literal(n - 1)}`);
  }
  return `(${b} === 0 ? 0 : ${mul(b, `${a} ** (${b} - 1)`)})`;
}

// d (a ** b) / db = a ** b * log(a); 0 at a = 0 (the limit from the right for b > 0)
function powExponent(a: string, out: string): string {
  if (isLiteral(a)) return literalValue(a) === 0 ? '0' : mul(out, `Math.log(${a})`);
  return `(${a} === 0 ? 0 : ${mul(out, `Math.log(${a})`)})`;
}

export const scalarRules = {
  // d (a + b) = da + db
  add: binary((a, b) => `${a} + ${b}`, () => ['1', '1']),
  // d (a - b) = da - db
  sub: binary((a, b) => `${a} - ${b}`, () => ['1', '-1']),
  // d (a * b) = b da + a db
  mul: binary((a, b) => `${a} * ${b}`, (a, b) => [b, a]),
  // d (a / b) = da / b - a / b^2 db
  div: binary((a, b) => `${a} / ${b}`, (a, b) => [div('1', b), neg(div(a, `${b} * ${b}`))]),
  // d (-a) = -da
  neg: {
    arity: 1,
    primal: ([a]) => neg(a!),
    jvp: ({ dargs: [da] }) => (da ? neg(da) : null),
    vjp: ({ g }) => neg(g),
  },
  pow,
  // d (a % b) = da - trunc(a / b) db
  mod: binary((a, b) => `${a} % ${b}`, (a, b) => ['1', neg(`Math.trunc(${a} / ${b})`)]),
  // d exp(x) = exp(x) dx
  exp: unary('Math.exp', (_x, out) => out),
  // d expm1(x) = (expm1(x) + 1) dx
  expm1: unary('Math.expm1', (_x, out) => `(${out} + 1)`),
  // d log(x) = dx / x
  log: unary('Math.log', (x) => div('1', x)),
  // d log1p(x) = dx / (1 + x)
  log1p: unary('Math.log1p', (x) => div('1', `1 + ${x}`)),
  // d log10(x) = dx / (x ln 10) = log10(e) dx / x; Infinity at x = 0, where log10 is -Infinity
  log10: unaryWithPole('Math.log10', (x) => div('Math.LOG10E', x)),
  // d log2(x) = dx / (x ln 2) = log2(e) dx / x; Infinity at x = 0, where log2 is -Infinity
  log2: unaryWithPole('Math.log2', (x) => div('Math.LOG2E', x)),
  // d sqrt(x) = dx / (2 sqrt(x))
  sqrt: unary('Math.sqrt', (_x, out) => div('0.5', out)),
  // d cbrt(x) = dx / (3 cbrt(x)^2)
  cbrt: unary('Math.cbrt', (_x, out) => div('1', `3 * ${out} * ${out}`)),
  // d sin(x) = cos(x) dx
  sin: unary('Math.sin', (x) => `Math.cos(${x})`),
  // d cos(x) = -sin(x) dx
  cos: unary('Math.cos', (x) => `-Math.sin(${x})`),
  // d tan(x) = (1 + tan(x)^2) dx
  tan: unary('Math.tan', (_x, out) => `(1 + ${out} * ${out})`),
  // d asin(x) = dx / sqrt(1 - x^2)
  asin: unary('Math.asin', (x) => div('1', `Math.sqrt(1 - ${x} * ${x})`)),
  // d acos(x) = -dx / sqrt(1 - x^2)
  acos: unary('Math.acos', (x) => div('-1', `Math.sqrt(1 - ${x} * ${x})`)),
  // d atan(x) = dx / (1 + x^2)
  atan: unary('Math.atan', (x) => div('1', `1 + ${x} * ${x}`)),
  // d sinh(x) = cosh(x) dx
  sinh: unary('Math.sinh', (x) => `Math.cosh(${x})`),
  // d cosh(x) = sinh(x) dx
  cosh: unary('Math.cosh', (x) => `Math.sinh(${x})`),
  // d tanh(x) = (1 - tanh(x)^2) dx
  tanh: unary('Math.tanh', (_x, out) => `(1 - ${out} * ${out})`),
  // d asinh(x) = dx / sqrt(x^2 + 1)
  asinh: unary('Math.asinh', (x) => div('1', `Math.sqrt(${x} * ${x} + 1)`)),
  // d acosh(x) = dx / sqrt(x^2 - 1), written sqrt((x - 1)(x + 1)) so that x - 1 is exact near the edge x = 1
  // (Infinity at x = 1, the derivative's one-sided limit; NaN below 1, where acosh is NaN too)
  acosh: unaryWithPole('Math.acosh', (x) => div('1', `Math.sqrt((${x} - 1) * (${x} + 1))`)),
  // d atanh(x) = dx / (1 - x^2), written (1 - x)(1 + x) so that it stays accurate near the edges x = +-1
  // (Infinity at x = +-1, where atanh is +-Infinity)
  atanh: unaryWithPole('Math.atanh', (x) => div('1', `(1 - ${x}) * (1 + ${x})`)),
  // d fround(x) = dx: rounding to the nearest float32 is the identity up to rounding, the derivative
  // the rounding error does not change (1 wherever fround(x) is finite, that is |x| below float32's largest value)
  fround: { arity: 1, primal: ([x]) => `Math.fround(${x})`, jvp: ({ dargs: [dx] }) => dx ?? null, vjp: ({ g }) => g },
  // d |x| = sign(x) dx; the subgradient at 0 is 0
  abs: unary('Math.abs', (x) => `Math.sign(${x})`),
  // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
  atan2: binary(
    (a, b) => `Math.atan2(${a}, ${b})`,
    (a, b) => [div(b, `${a} * ${a} + ${b} * ${b}`), neg(div(a, `${a} * ${a} + ${b} * ${b}`))],
  ),
  // d max(a, b) = da where a >= b, else db (ties go to the first argument)
  max: binary(
    (a, b) => `Math.max(${a}, ${b})`,
    (a, b) => [`(${a} >= ${b} ? 1 : 0)`, `(${a} >= ${b} ? 0 : 1)`],
  ),
  // d min(a, b) = da where a <= b, else db (ties go to the first argument)
  min: binary(
    (a, b) => `Math.min(${a}, ${b})`,
    (a, b) => [`(${a} <= ${b} ? 1 : 0)`, `(${a} <= ${b} ? 0 : 1)`],
  ),
  // d hypot(a, b, ...) = (a da + b db + ...) / hypot(a, b, ...); 0 at the origin (a subgradient)
  hypot: {
    arity: -1,
    primal: (args) => `Math.hypot(${args.join(', ')})`,
    jvp: ({ args, out, dargs }) => sum(dargs.map((d, i) => (d ? mul(`(${out} === 0 ? 0 : ${args[i]} / ${out})`, d) : null))),
    vjp: ({ args, out, g }, i) => mul(g, `(${out} === 0 ? 0 : ${args[i]} / ${out})`),
  },
  // sign, floor, ceil, round, trunc are piecewise constant: zero derivative
  sign: piecewiseConstant('Math.sign'),
  floor: piecewiseConstant('Math.floor'),
  ceil: piecewiseConstant('Math.ceil'),
  round: piecewiseConstant('Math.round'),
  trunc: piecewiseConstant('Math.trunc'),
} satisfies Record<string, Rule>;

export type ScalarPrim = keyof typeof scalarRules;

/** Primitives whose derivative is zero everywhere: their results carry no derivative. */
export const zeroDerivativePrims: ReadonlySet<ScalarPrim> = new Set(['sign', 'floor', 'ceil', 'round', 'trunc']);

/** `Math.<name>` functions that are primitives, with their arity (`variadic` folds pairwise). */
export const mathFunctions: Readonly<Record<string, { prim: ScalarPrim; variadic?: boolean }>> = {
  exp: { prim: 'exp' },
  expm1: { prim: 'expm1' },
  log: { prim: 'log' },
  log1p: { prim: 'log1p' },
  log10: { prim: 'log10' },
  log2: { prim: 'log2' },
  sqrt: { prim: 'sqrt' },
  cbrt: { prim: 'cbrt' },
  pow: { prim: 'pow' },
  sin: { prim: 'sin' },
  cos: { prim: 'cos' },
  tan: { prim: 'tan' },
  asin: { prim: 'asin' },
  acos: { prim: 'acos' },
  atan: { prim: 'atan' },
  atan2: { prim: 'atan2' },
  sinh: { prim: 'sinh' },
  cosh: { prim: 'cosh' },
  tanh: { prim: 'tanh' },
  asinh: { prim: 'asinh' },
  acosh: { prim: 'acosh' },
  atanh: { prim: 'atanh' },
  fround: { prim: 'fround' },
  abs: { prim: 'abs' },
  max: { prim: 'max', variadic: true },
  min: { prim: 'min', variadic: true },
  hypot: { prim: 'hypot', variadic: true },
  sign: { prim: 'sign' },
  floor: { prim: 'floor' },
  ceil: { prim: 'ceil' },
  round: { prim: 'round' },
  trunc: { prim: 'trunc' },
};
