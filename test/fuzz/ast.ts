/**
 * The shape of a fuzzed program, before it is rendered to TypeScript.
 *
 * The tree is context-free: a variable, array or loop is named by an index
 * that the renderer (render.ts) resolves modulo what is in scope at that
 * point. Any tree fast-check generates or shrinks to therefore renders to
 * a valid program, and a shrunk tree stays meaningful.
 */

/** Math functions of one argument, each rendered in forms that keep it in its domain. */
export const MATH_UNARY = [
  'exp', 'expm1', 'log', 'log1p', 'sqrt', 'cbrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'abs', 'sign', 'floor', 'ceil', 'round', 'trunc',
] as const;
/** Math functions of two (or, for max/min/hypot, two or three) arguments. */
export const MATH_BINARY = ['pow', 'atan2', 'max', 'min', 'hypot'] as const;

export type MathUnary = (typeof MATH_UNARY)[number];
export type MathBinary = (typeof MATH_BINARY)[number];
export type MathFn = MathUnary | MathBinary;

/** An array index: a literal, a loop counter plus a literal, or a value computed from data. */
export type Index =
  | { k: 'lit'; value: number }
  | { k: 'counter'; ref: number; plus: number }
  | { k: 'data'; e: Expr };

export type Expr =
  /** A number variable in scope (parameter, local, loop counter or for...of element). */
  | { k: 'num'; ref: number }
  | { k: 'lit'; value: number }
  /** An element of an array in scope. */
  | { k: 'read'; arr: number; index: Index }
  /** `arr.length` (no derivative). */
  | { k: 'len'; arr: number }
  | { k: 'neg'; e: Expr }
  | { k: 'bin'; op: '+' | '-' | '*'; l: Expr; r: Expr }
  /** Division by something kept away from 0; `form` picks the divisor's shape. */
  | { k: 'div'; form: number; l: Expr; r: Expr }
  /** `e ** n` or `Math.pow(e, n)` with a small integer literal n. */
  | { k: 'powi'; e: Expr; n: number; call: boolean }
  /** A Math function; `form` picks how its arguments are kept in its domain. */
  | { k: 'math'; fn: MathFn; form: number; args: Expr[] }
  /** `e % m` with a positive literal m. */
  | { k: 'mod'; e: Expr; m: number }
  | { k: 'cond'; c: Cond; t: Expr; f: Expr }
  /** A call of a helper defined earlier in the file; `arrs` pick its array arguments. */
  | { k: 'call'; helper: number; args: Expr[]; arrs: number[] }
  /** A module-level constant (Program.consts): the number `K<ref>`, or an element `KS[index]` of the constant array. */
  | { k: 'konst'; ref: number; index: Index | null }
  /** `a.indexOf(a[index])`: the first position holding that element's value (a number with no derivative). */
  | { k: 'indexOf'; arr: number; index: Index }
  /** `g[i][j]`, an element of a local number[][] in scope (Stmt 'grid'). */
  | { k: 'cell'; grid: number; i: Index; j: Index }
  /** `fN(arg)`, a call of a local function in scope (Stmt 'localFn', render-closures.ts). */
  | { k: 'callFn'; fn: number; arg: Expr }
  /** `a.reduce((acc, p, j) => ..., 0)`, without an initial value, or reduceRight (`form` picks); `e` sees p and j. */
  | { k: 'reduce'; arr: number; form: number; e: Expr };

export type Cond =
  | { k: 'cmp'; op: '<' | '<=' | '>' | '>='; l: Expr; r: Expr }
  | { k: 'and' | 'or'; a: Cond; b: Cond }
  | { k: 'not'; a: Cond }
  /** A boolean local in scope (`let b = x > y`), or `true` when there is none. */
  | { k: 'flag'; ref: number }
  /** `mode === 'b'` (or `!==`) on the function's string-literal-union parameter (Fn.modeParam), or `true` without one. */
  | { k: 'mode'; value: number; eq: boolean }
  /** An update inside a condition, `v++ < e` or `--v >= e` (on an assignable number variable). */
  | { k: 'bump'; target: number; op: '++' | '--'; prefix: boolean; rel: '<' | '>='; r: Expr }
  /** `a.some((p) => c)` or `a.every((p) => c)` on an array in scope (render-closures.ts). */
  | { k: 'some'; arr: number; every: boolean; c: Cond };

export type ArrayInit =
  /** `new Float64Array(size)` */
  | { k: 'f64'; size: Size }
  /** `new Array(size).fill(0)`, with or without a `number[]` annotation */
  | { k: 'fill'; size: Size; annotate: boolean }
  /** `const a: number[] = []` then `a.push(...)`, or the literal `[e0, e1]` */
  | { k: 'push'; elems: Expr[]; literal: boolean }
  /** a copy of a parameter array: `xs.slice()`, `Array.from(xs)`, `[...xs]`, `new Float64Array(xs)` */
  | { k: 'copy'; from: number; how: number }
  /** `src.slice(a, b)` of an array in scope, with bounds that keep it non-empty (`form` picks them). */
  | { k: 'slice'; from: number; form: number; e: Expr }
  /** `a.concat(b, [e])` of number[]s in scope. */
  | { k: 'concat'; from: number; other: number; e: Expr }
  /** `src.slice().reverse()` */
  | { k: 'reversed'; from: number }
  /** `src.map((p, j) => e)`, `src.filter((p, j) => j === 0 || c)`, `Array.from({ length: n }, (_, j) => e)`, `Array.from(src, (p) => e)` (`form` picks). */
  | { k: 'mapped'; from: number; form: number; size: Size; e: Expr; c: Cond };

/** A size: a literal (1..4) or the length of a parameter array. */
export type Size = { k: 'lit'; n: number } | { k: 'len'; arr: number };

export type Stmt =
  | { k: 'assign'; target: number; op: '=' | '+=' | '-=' | '*=' | '/=' | '**='; e: Expr }
  | { k: 'incr'; target: number; op: '++' | '--'; prefix: boolean }
  | { k: 'store'; arr: number; index: Index; op: '=' | '+=' | '-=' | '*='; e: Expr }
  | { k: 'push'; arr: number; e: Expr }
  /** `let vN = e` (mutable) or `const vN = e`: a new number variable for the rest of the block. */
  | { k: 'let'; e: Expr; mutable: boolean }
  /** `let bN = cond`: a new boolean local. */
  | { k: 'flag'; c: Cond }
  /** `bN = cond`, `bN &&= cond` or `bN ||= cond` on a boolean local or parameter in scope. */
  | { k: 'setFlag'; ref: number; op: '=' | '&&=' | '||='; c: Cond }
  /** A new local array for the rest of the block. */
  | { k: 'array'; init: ArrayInit; f64Write: boolean }
  | { k: 'if'; c: Cond; then: Stmt[]; else: Stmt[] | null }
  | { k: 'for'; bound: Size; body: Stmt[] }
  /** `while (c && n < max) { n++; ... }`: a data-dependent trip count, bounded. */
  | { k: 'while'; c: Cond; max: number; body: Stmt[] }
  | { k: 'do'; c: Cond; max: number; body: Stmt[] }
  | { k: 'forOf'; arr: number; body: Stmt[] }
  /** `break` / `continue`, guarded by `c` when given; `loop` picks the target among the enclosing loops. */
  | { k: 'jump'; kind: 'break' | 'continue'; c: Cond | null; loop: number }
  /** `return e`, guarded by `c` when given. */
  | { k: 'return'; c: Cond | null; e: Expr }
  /**
   * `switch (d) { case 0: ... }` on a piecewise-constant discriminant (a counter or
   * `Math.floor(Math.abs(e))`, modulo one more than the clauses); clause j is `case j`,
   * or `default` for the first clause marked so; `brk` ends it with `break` (else it
   * falls through), `braces` wraps its body in a block.
   */
  | { k: 'switch'; disc: Expr; counter: boolean; clauses: { isDefault: boolean; body: Stmt[]; brk: boolean; braces: boolean }[] }
  /** `let n = max; while ((c) && n-- > 0)` (or `--n >= 0`): an update in a loop condition, after a short-circuit. */
  | { k: 'whileDec'; c: Cond; max: number; prefix: boolean; body: Stmt[] }
  /** `[a, b] = [b, e]` on two number variables, or `[x[i], x[j]] = [x[j], x[i] + e]` on a local array. */
  | { k: 'swap'; a: number; b: number; e: Expr; elems: boolean; arr: number; i: Index; j: Index }
  /**
   * On a local array: `a.reverse()`, `a.fill(e, start)`, or `if (a.length > 1) t += a.pop()!`
   * (`a.shift()!`) on a number[]; `start` picks the fill's start, `target` the number variable.
   */
  | { k: 'arrayOp'; arr: number; op: 'reverse' | 'fill' | 'pop' | 'shift'; e: Expr; start: number; target: number }
  /** `const gN: number[][] = []`, then `rows` rows of `cols` elements `e` pushed in two loops. */
  | { k: 'grid'; rows: number; cols: number; e: Expr }
  /** `g[i][j] = e` or `g[i][j] += e` on a local number[][] in scope. */
  | { k: 'setCell'; grid: number; i: Index; j: Index; op: '=' | '+='; e: Expr }
  /**
   * An array of objects built with push (render-arrays.ts): `const pN: { a: number; b: number }[] = []`,
   * `n` records `{ a: e, b: e2 }` pushed in a loop, then read into `target` by for...of (`read` even) or by index.
   */
  | { k: 'records'; n: number; e: Expr; e2: Expr; target: number; read: number }
  /** An out-parameter call (render-arrays.ts): `const oN = [e, e2]; fillOut(e3, oN); target += oN[0] * oN[1];`. */
  | { k: 'outParam'; e: Expr; e2: Expr; e3: Expr; target: number }
  /**
   * A local function for the rest of the block (render-closures.ts), by `form`: an arrow with
   * an expression body, a block body with a default parameter and an early return (`c`, `e2`),
   * a function declaration, or an arrow that adds to a captured variable (`target`).
   */
  | { k: 'localFn'; form: number; e: Expr; c: Cond; e2: Expr; target: number }
  /** `fN(arg);`: a call, for its effect, of a local function that writes a captured variable. */
  | { k: 'callWriter'; fn: number; arg: Expr }
  /** `a.forEach((p, j) => { t += e; })` on an array in scope. */
  | { k: 'forEach'; arr: number; target: number; e: Expr };

export type ParamType = 'number' | 'number[]' | 'Float64Array';

export interface Param {
  type: ParamType;
  /** Length of the array given as input (arrays only). */
  length: number;
}

export interface Fn {
  params: Param[];
  /** Which parameters `wrt(...)` names; null for no wrt clause (every parameter). */
  wrt: boolean[] | null;
  body: Stmt[];
  result: Expr;
  /** A trailing `flag: boolean` parameter (a constant, read as a flag in scope). */
  flagParam?: boolean;
  /** A trailing `mode: 'a' | 'b' | 'c'` parameter (a constant, compared in conditions). */
  modeParam?: boolean;
}

export interface Program {
  /** Functions the main function may call; helper j may call helpers before it. */
  helpers: Fn[];
  main: Fn;
  /** Numbers the input points are drawn from (cyclically). */
  pool: number[];
  /** Module-level constants: `const K0 = ...;` each, and `const KS = [...] as const;` of them all. */
  consts?: number[];
  /** Picks the main function's mode argument (and its flag argument) at each input point. */
  mode?: number;
  /** Constructs the renderer steers around (open compiler bugs; see RENDER_SWITCHES). */
  avoid: RenderSwitch[];
}

/**
 * Constructs that are switched off while rendering, not while generating:
 * the tree keeps its shape and the renderer writes a near-equivalent.
 */
export const RENDER_SWITCHES = [
  'assignNonWrtParam',
  'arrayInLoopToHelper',
  'negatedNegative',
  'copyArrayKind',
  'arrayInBranchOrLoop',
  'lengthAssign',
  'negatedPowBaseInCond',
  'assignCallResult',
  'computedIndexInLoopCond',
  'literalUnionLocal',
  'assignArrayElement',
] as const;
export type RenderSwitch = (typeof RENDER_SWITCHES)[number];
