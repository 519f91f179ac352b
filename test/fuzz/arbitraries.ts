/**
 * fast-check arbitraries for fuzzed programs (ast.ts). Depth is explicit:
 * `expr(d)` and `stmt(d)` are built bottom-up, so programs stay small and
 * shrinking walks towards fewer statements, shallower nesting, smaller
 * literals and the first choice of every alternative.
 *
 * `GeneratorOptions.disabled` switches constructs off, to steer around a
 * known compiler bug while it is open (see docs/fuzz-findings.md).
 */
import fc from 'fast-check';
import { MATH_BINARY, MATH_UNARY, RENDER_SWITCHES, type ArrayInit, type RenderSwitch, type Cond, type Expr, type Fn, type Index, type MathFn, type Param, type Program, type Size, type Stmt } from './ast.ts';

/** Constructs that can be switched off one by one. */
export const FEATURES = [
  'helpers', 'wrt', 'arrayParams', 'localArrays', 'push', 'store', 'if', 'for', 'while', 'do', 'forOf',
  'break', 'continue', 'return', 'ternary', 'flag', 'mod', 'dataIndex', 'compound', 'incr', 'powAssign', 'division', 'power',
  'switch', 'updateInCond', 'swap',
  // The types people write (issue #10 item 5): module constants, booleans reassigned and passed on, string-literal unions.
  'moduleConst', 'flagAssign', 'boolParam', 'stringParam',
  // Arrays (issue #10 item 6): slice, concat, reverse, fill, pop, shift, indexOf; local number[][].
  'arrayMethods', 'grid2d',
  // Arrays of objects built with push, and helpers that fill an out-parameter (render-arrays.ts).
  'records', 'outParams',
  // Closures and array methods with callbacks (issue #10 item 3): local functions, map, filter, reduce, forEach, some, every, Array.from.
  'closures', 'callbacks',
  ...RENDER_SWITCHES,
] as const;
export type Feature = (typeof FEATURES)[number];

export interface GeneratorOptions {
  /** Constructs left out of generated programs. */
  disabled: ReadonlySet<Feature | MathFn>;
  /** Nesting depth of statements (if / loops) in the main function. */
  stmtDepth: number;
  /** Nesting depth of expressions. */
  exprDepth: number;
  /** Most statements in one block. */
  maxStmts: number;
  /** Most helper functions. */
  maxHelpers: number;
}

/**
 * Constructs switched off by default because of open compiler bugs; each
 * names its entry in docs/fuzz-findings.md. Pass `--enable name` to the fuzz
 * CLI to turn one back on and check whether it is fixed.
 */
export const KNOWN_BUG_SWITCHES: ReadonlyMap<Feature | MathFn, string> = new Map<Feature | MathFn, string>([
]);

export const DEFAULT_OPTIONS: GeneratorOptions = {
  disabled: new Set(KNOWN_BUG_SWITCHES.keys()),
  stmtDepth: 3,
  exprDepth: 3,
  maxStmts: 4,
  maxHelpers: 2,
};

type Weighted<T> = { arbitrary: fc.Arbitrary<T>; weight: number };

/** fc.oneof over the enabled alternatives (the first is used when the others are off). */
function choose<T>(alternatives: (Weighted<T> | null)[]): fc.Arbitrary<T> {
  const on = alternatives.filter((a): a is Weighted<T> => a !== null && a.weight > 0);
  return on.length === 1 ? on[0]!.arbitrary : fc.oneof(...on);
}

/** `arb` or, once in `freq` draws, null (shrinks towards null). */
function optional<T>(arb: fc.Arbitrary<T>, freq: number): fc.Arbitrary<T | null> {
  return fc.option(arb, { freq, nil: null });
}

const smallLiteral = fc.oneof(
  fc.constantFrom(0, 1, 2, 0.5, -1, 3),
  fc.integer({ min: -300, max: 300 }).map((n) => n / 100),
);

/**
 * Numbers the inputs are drawn from: exact 0, small integers and halves, and
 * arbitrary values in [-2, 2]. Values under 1e-6 in magnitude become 0:
 * squares of them underflow, and finite differences around them straddle
 * the cusps of functions like cbrt(x * x) without any decision changing.
 */
export const inputNumber = fc.oneof(
  { arbitrary: fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v)), weight: 4 },
  { arbitrary: fc.constantFrom(0, 1, -1, 0.5, -0.5, 2), weight: 1 },
);

/** Calls of local functions and `reduce` over an array in scope (render-closures.ts), from the expressions one level down. */
function closureExprs(sub: fc.Arbitrary<Expr>, w: (f: Feature, weight: number) => number): Weighted<Expr>[] {
  return [
    { arbitrary: fc.record({ k: fc.constant('callFn' as const), fn: fc.nat(2), arg: sub }), weight: w('closures', 3) },
    { arbitrary: fc.record({ k: fc.constant('reduce' as const), arr: fc.nat(3), form: fc.nat(2), e: sub }), weight: w('callbacks', 2) },
  ];
}

export function programArbitrary(opts: GeneratorOptions = DEFAULT_OPTIONS): fc.Arbitrary<Program> {
  const on = (f: Feature | MathFn) => !opts.disabled.has(f);
  const w = (f: Feature | MathFn, weight: number) => (on(f) ? weight : 0);
  const mathFns = [...MATH_UNARY, ...MATH_BINARY].filter(on);

  const exprs: fc.Arbitrary<Expr>[] = [];
  const conds: fc.Arbitrary<Cond>[] = [];
  const indexes: fc.Arbitrary<Index>[] = [];

  const size: fc.Arbitrary<Size> = choose<Size>([
    { arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ k: 'lit' as const, n })), weight: 2 },
    { arbitrary: fc.nat(3).map((arr) => ({ k: 'len' as const, arr })), weight: w('arrayParams', 1) },
  ]);
  const loopBound: fc.Arbitrary<Size> = choose<Size>([
    { arbitrary: fc.integer({ min: 0, max: 4 }).map((n) => ({ k: 'lit' as const, n })), weight: 2 },
    { arbitrary: fc.nat(3).map((arr) => ({ k: 'len' as const, arr })), weight: w('arrayParams', 1) },
  ]);

  for (let d = 0; d <= opts.exprDepth; d++) {
    const sub = d === 0 ? null : exprs[d - 1]!;
    const subCond = d === 0 ? null : conds[d - 1]!;
    const index: fc.Arbitrary<Index> = choose<Index>([
      { arbitrary: fc.nat(4).map((value) => ({ k: 'lit' as const, value })), weight: 2 },
      { arbitrary: fc.record({ k: fc.constant('counter' as const), ref: fc.nat(3), plus: fc.nat(2) }), weight: 3 },
      sub ? { arbitrary: fc.record({ k: fc.constant('data' as const), e: sub }), weight: w('dataIndex', 1) } : null,
    ]);
    indexes.push(index);
    const leaf: Weighted<Expr>[] = [
      { arbitrary: fc.nat(9).map((ref) => ({ k: 'num' as const, ref })), weight: 6 },
      { arbitrary: smallLiteral.map((value) => ({ k: 'lit' as const, value })), weight: 2 },
      { arbitrary: fc.record({ k: fc.constant('read' as const), arr: fc.nat(4), index }), weight: 3 },
      { arbitrary: fc.nat(3).map((arr) => ({ k: 'len' as const, arr })), weight: 1 },
      { arbitrary: fc.record({ k: fc.constant('konst' as const), ref: fc.nat(3), index: optional(index, 2) }), weight: w('moduleConst', 1) },
      { arbitrary: fc.record({ k: fc.constant('indexOf' as const), arr: fc.nat(4), index }), weight: w('arrayMethods', 1) },
      { arbitrary: fc.record({ k: fc.constant('cell' as const), grid: fc.nat(2), i: index, j: index }), weight: w('grid2d', 2) },
      ...(sub ? closureExprs(sub, w) : []),
    ];
    if (!sub || !subCond) {
      exprs.push(choose(leaf));
    } else {
      const args = fc.array(sub, { minLength: 1, maxLength: 3 });
      exprs.push(
        choose<Expr>([
          ...leaf,
          { arbitrary: fc.record({ k: fc.constant('neg' as const), e: sub }), weight: 1 },
          { arbitrary: fc.record({ k: fc.constant('bin' as const), op: fc.constantFrom('+' as const, '-' as const, '*' as const), l: sub, r: sub }), weight: 8 },
          { arbitrary: fc.record({ k: fc.constant('div' as const), form: fc.nat(8), l: sub, r: sub }), weight: w('division', 2) },
          { arbitrary: fc.record({ k: fc.constant('powi' as const), e: sub, n: fc.nat(3), call: fc.boolean() }), weight: w('power', 1) },
          mathFns.length > 0
            ? { arbitrary: fc.record({ k: fc.constant('math' as const), fn: fc.constantFrom(...mathFns), form: fc.nat(11), args }), weight: 10 }
            : null,
          { arbitrary: fc.record({ k: fc.constant('mod' as const), e: sub, m: fc.constantFrom(0.7, 1.5, 2) }), weight: w('mod', 1) },
          { arbitrary: fc.record({ k: fc.constant('cond' as const), c: subCond, t: sub, f: sub }), weight: w('ternary', 1) },
          {
            arbitrary: fc.record({ k: fc.constant('call' as const), helper: fc.nat(2), args, arrs: fc.array(fc.nat(3), { maxLength: 2 }) }),
            weight: w('helpers', 2),
          },
        ]),
      );
    }
    const e = exprs[d]!;
    const cmp = fc.record({ k: fc.constant('cmp' as const), op: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const), l: e, r: e });
    if (!subCond) {
      conds.push(cmp);
    } else {
      conds.push(
        choose<Cond>([
          { arbitrary: cmp, weight: 6 },
          { arbitrary: fc.record({ k: fc.constantFrom('and' as const, 'or' as const), a: subCond, b: subCond }), weight: 2 },
          { arbitrary: fc.record({ k: fc.constant('not' as const), a: subCond }), weight: 1 },
          { arbitrary: fc.nat(2).map((ref) => ({ k: 'flag' as const, ref })), weight: w('flag', 1) },
          { arbitrary: fc.record({ k: fc.constant('mode' as const), value: fc.nat(2), eq: fc.boolean() }), weight: w('stringParam', 1) },
          { arbitrary: fc.record({ k: fc.constant('some' as const), arr: fc.nat(3), every: fc.boolean(), c: subCond }), weight: w('callbacks', 1) },
          {
            arbitrary: fc.record({
              k: fc.constant('bump' as const),
              target: fc.nat(5),
              op: fc.constantFrom('++' as const, '--' as const),
              prefix: fc.boolean(),
              rel: fc.constantFrom('<' as const, '>=' as const),
              r: exprs[d - 1]!,
            }),
            weight: w('updateInCond', 1),
          },
        ]),
      );
    }
  }
  const expr = exprs[opts.exprDepth]!;
  const cond = conds[Math.min(2, opts.exprDepth)]!;
  const index = indexes[opts.exprDepth]!;

  const arrayInit: fc.Arbitrary<ArrayInit> = choose<ArrayInit>([
    { arbitrary: fc.record({ k: fc.constant('f64' as const), size }), weight: 2 },
    { arbitrary: fc.record({ k: fc.constant('fill' as const), size, annotate: fc.boolean() }), weight: 2 },
    { arbitrary: fc.record({ k: fc.constant('push' as const), elems: fc.array(expr, { minLength: 1, maxLength: 3 }), literal: fc.boolean() }), weight: w('push', 2) },
    { arbitrary: fc.record({ k: fc.constant('copy' as const), from: fc.nat(2), how: fc.nat(3) }), weight: w('arrayParams', 2) },
    { arbitrary: fc.record({ k: fc.constant('slice' as const), from: fc.nat(3), form: fc.nat(7), e: expr }), weight: w('arrayMethods', 3) },
    { arbitrary: fc.record({ k: fc.constant('concat' as const), from: fc.nat(3), other: fc.nat(3), e: expr }), weight: w('arrayMethods', 1) },
    { arbitrary: fc.record({ k: fc.constant('reversed' as const), from: fc.nat(3) }), weight: w('arrayMethods', 1) },
    { arbitrary: fc.record({ k: fc.constant('mapped' as const), from: fc.nat(3), form: fc.nat(3), size, e: expr, c: cond }), weight: w('callbacks', 8) },
  ]);

  const simple: Weighted<Stmt>[] = [
    { arbitrary: fc.record({ k: fc.constant('assign' as const), target: fc.nat(5), op: fc.constant('=' as const), e: expr }), weight: 6 },
    {
      arbitrary: fc.record({ k: fc.constant('assign' as const), target: fc.nat(5), op: fc.constantFrom('+=' as const, '-=' as const, '*=' as const, '/=' as const), e: expr }),
      weight: w('compound', 5),
    },
    { arbitrary: fc.record({ k: fc.constant('assign' as const), target: fc.nat(5), op: fc.constant('**=' as const), e: expr }), weight: w('powAssign', 1) },
    { arbitrary: fc.record({ k: fc.constant('incr' as const), target: fc.nat(5), op: fc.constantFrom('++' as const, '--' as const), prefix: fc.boolean() }), weight: w('incr', 1) },
    {
      arbitrary: fc.record({ k: fc.constant('store' as const), arr: fc.nat(3), index, op: fc.constantFrom('=' as const, '+=' as const, '-=' as const, '*=' as const), e: expr }),
      weight: w('localArrays', w('store', 4)),
    },
    { arbitrary: fc.record({ k: fc.constant('push' as const), arr: fc.nat(3), e: expr }), weight: w('localArrays', w('push', 2)) },
    { arbitrary: fc.record({ k: fc.constant('let' as const), e: expr, mutable: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ k: fc.constant('flag' as const), c: cond }), weight: w('flag', 1) },
    {
      arbitrary: fc.record({ k: fc.constant('setFlag' as const), ref: fc.nat(2), op: fc.constantFrom('=' as const, '&&=' as const, '||=' as const), c: cond }),
      weight: w('flagAssign', 2),
    },
    { arbitrary: fc.record({ k: fc.constant('array' as const), init: arrayInit, f64Write: fc.boolean() }), weight: w('localArrays', 1) },
    {
      arbitrary: fc.record({ k: fc.constant('jump' as const), kind: fc.constant('break' as const), c: optional(cond, 6), loop: fc.nat(2) }),
      weight: w('break', 2),
    },
    {
      arbitrary: fc.record({ k: fc.constant('jump' as const), kind: fc.constant('continue' as const), c: optional(cond, 6), loop: fc.nat(2) }),
      weight: w('continue', 2),
    },
    { arbitrary: fc.record({ k: fc.constant('return' as const), c: optional(cond, 8), e: expr }), weight: w('return', 1) },
    {
      arbitrary: fc.record({
        k: fc.constant('arrayOp' as const),
        arr: fc.nat(3),
        op: fc.constantFrom('reverse' as const, 'fill' as const, 'pop' as const, 'shift' as const),
        e: expr,
        start: fc.nat(2),
        target: fc.nat(5),
      }),
      weight: w('localArrays', w('arrayMethods', 4)),
    },
    { arbitrary: fc.record({ k: fc.constant('grid' as const), rows: fc.nat(2), cols: fc.nat(2), e: expr }), weight: w('grid2d', 2) },
    {
      arbitrary: fc.record({ k: fc.constant('setCell' as const), grid: fc.nat(2), i: index, j: index, op: fc.constantFrom('=' as const, '+=' as const), e: expr }),
      weight: w('grid2d', 2),
    },
    { arbitrary: fc.record({ k: fc.constant('records' as const), n: fc.nat(3), e: expr, e2: expr, target: fc.nat(5), read: fc.nat(3) }), weight: w('records', 2) },
    { arbitrary: fc.record({ k: fc.constant('outParam' as const), e: expr, e2: expr, e3: expr, target: fc.nat(5) }), weight: w('outParams', 2) },
    {
      arbitrary: fc.record({ k: fc.constant('localFn' as const), form: fc.nat(3), e: expr, c: cond, e2: expr, target: fc.nat(5) }),
      weight: w('closures', 3),
    },
    { arbitrary: fc.record({ k: fc.constant('callWriter' as const), fn: fc.nat(2), arg: expr }), weight: w('closures', 2) },
    {
      arbitrary: fc.record({
        k: fc.constant('array' as const),
        init: fc.record({ k: fc.constant('mapped' as const), from: fc.nat(3), form: fc.nat(3), size, e: expr, c: cond }),
        f64Write: fc.boolean(),
      }),
      weight: w('localArrays', w('callbacks', 2)),
    },
    { arbitrary: fc.record({ k: fc.constant('forEach' as const), arr: fc.nat(3), target: fc.nat(5), e: expr }), weight: w('callbacks', 2) },
    {
      arbitrary: fc.record({ k: fc.constant('swap' as const), a: fc.nat(5), b: fc.nat(5), e: expr, elems: fc.boolean(), arr: fc.nat(3), i: index, j: index }),
      weight: w('swap', 2),
    },
  ];

  const stmtsAt = (depth: number, maxStmts: number): fc.Arbitrary<Stmt[]> => {
    const stmts: fc.Arbitrary<Stmt>[] = [choose(simple)];
    for (let d = 1; d <= depth; d++) {
      const block = fc.array(stmts[d - 1]!, { maxLength: maxStmts });
      stmts.push(
        choose<Stmt>([
          ...simple,
          { arbitrary: fc.record({ k: fc.constant('if' as const), c: cond, then: block, else: optional(block, 2) }), weight: w('if', 5) },
          { arbitrary: fc.record({ k: fc.constant('for' as const), bound: loopBound, body: block }), weight: w('for', 3) },
          { arbitrary: fc.record({ k: fc.constant('while' as const), c: cond, max: fc.integer({ min: 1, max: 5 }), body: block }), weight: w('while', 2) },
          { arbitrary: fc.record({ k: fc.constant('do' as const), c: cond, max: fc.integer({ min: 1, max: 5 }), body: block }), weight: w('do', 1) },
          { arbitrary: fc.record({ k: fc.constant('forOf' as const), arr: fc.nat(3), body: block }), weight: w('forOf', 2) },
          {
            arbitrary: fc.record({
              k: fc.constant('switch' as const),
              disc: expr,
              counter: fc.boolean(),
              clauses: fc.array(fc.record({ isDefault: fc.boolean(), body: block, brk: fc.boolean(), braces: fc.boolean() }), { minLength: 1, maxLength: 3 }),
            }),
            weight: w('switch', 2),
          },
          {
            arbitrary: fc.record({ k: fc.constant('whileDec' as const), c: cond, max: fc.integer({ min: 1, max: 5 }), prefix: fc.boolean(), body: block }),
            weight: w('updateInCond', 1),
          },
        ]),
      );
    }
    return fc.array(stmts[depth]!, { maxLength: maxStmts });
  };

  const param: fc.Arbitrary<Param> = choose<Param>([
    { arbitrary: fc.constant({ type: 'number' as const, length: 0 }), weight: 3 },
    { arbitrary: fc.record({ type: fc.constantFrom('Float64Array' as const, 'number[]' as const), length: fc.integer({ min: 1, max: 4 }) }), weight: w('arrayParams', 2) },
  ]);
  const fnAt = (depth: number, maxStmts: number): fc.Arbitrary<Fn> =>
    fc.record({
      params: fc.array(param, { minLength: 1, maxLength: 4 }),
      wrt: on('wrt') ? fc.option(fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), { freq: 3 }) : fc.constant(null),
      body: fc
        .tuple(fc.array(fc.record({ k: fc.constant('let' as const), e: expr, mutable: fc.constant(true) }), { minLength: 1, maxLength: 3 }), stmtsAt(depth, maxStmts))
        .map(([lets, rest]): Stmt[] => [...lets, ...rest]),
      result: expr,
      flagParam: on('boolParam') ? fc.boolean() : fc.constant(false),
      modeParam: on('stringParam') ? fc.boolean() : fc.constant(false),
    });

  return fc.record({
    helpers: on('helpers') ? fc.array(fnAt(Math.min(1, opts.stmtDepth), 3), { maxLength: opts.maxHelpers }) : fc.constant([]),
    main: fnAt(opts.stmtDepth, opts.maxStmts),
    pool: fc.array(inputNumber, { minLength: 6, maxLength: 16 }),
    consts: on('moduleConst') ? fc.array(smallLiteral, { maxLength: 4 }) : fc.constant([]),
    mode: fc.nat(2),
    avoid: fc.constant(RENDER_SWITCHES.filter((r: RenderSwitch) => !on(r))),
  });
}
