/**
 * Hostile inputs: sources the compiler must refuse with a located
 * diagnostic, each with the exact first line it prints today
 * (`<name>.ts:LINE:COL: error: message`). A change of position or wording
 * shows up as a test failure, to be accepted deliberately.
 *
 * Cases where the compiler accepts what it should refuse, or refuses with
 * a misleading message, are listed in `knownGaps` with their entry in
 * docs/fuzz-findings.md.
 */

export interface HostileCase {
  /** File name without `.ts`. */
  name: string;
  source: string;
  /** The first line of the first diagnostic, with the file's base name. */
  expected: string;
}

const fn = (body: string, params = 'x: number', tag = '@differentiable'): string =>
  `/** ${tag} */\nexport function f(${params}): number {\n${body}\n}\n`;

export const hostileCases: HostileCase[] = [
  // ---- fixed gaps D1-D3, D7, D8 (docs/fuzz-findings.md) ----
  { name: 'or-operator', source: fn('  return x || 1;'), expected: 'or-operator.ts:3:10: error: the operator || is not supported in a number expression' },
  { name: 'on-interface', source: '/** @differentiable */\nexport interface I {\n  x: number;\n}\n', expected: 'on-interface.ts:2:1: error: @differentiable marks an interface, not a function' },
  { name: 'on-enum', source: '/** @differentiable */\nexport enum E {\n  A,\n}\n', expected: 'on-enum.ts:2:1: error: @differentiable marks an enum, not a function' },
  { name: 'missing-return', source: fn('  if (x > 0) return x;'), expected: 'missing-return.ts:2:1: error: f does not return a value on every path' },
  {
    name: 'this-parameter',
    source: fn('  return this.k * x;', 'this: { k: number }, x: number'),
    expected: 'this-parameter.ts:2:19: error: a `this` parameter is not supported on a differentiable function',
  },
  { name: 'dangling-annotation', source: 'export const a = 1;\n/** @differentiable */\n', expected: 'dangling-annotation.ts:2:1: error: @differentiable marks nothing' },
  // ---- malformed source ----
  { name: 'syntax-error', source: fn('  return x + ;'), expected: 'syntax-error.ts:3:14: error: syntax error: Expression expected.' },
  {
    name: 'syntax-error-crlf',
    source: '/** @differentiable */\r\nexport function f(x: number): number {\r\n  if (x > 0) {\r\n    return x;\r\n  }\r\n  return 0 + ;\r\n}\r\n',
    expected: 'syntax-error-crlf.ts:6:14: error: syntax error: Expression expected.',
  },
  { name: 'with', source: fn('  with (Math) {\n    return sin(x);\n  }'), expected: 'with.ts:3:3: error: with is not supported in a differentiable function' },

  // ---- the annotation on something that is not a function ----
  { name: 'on-class', source: '/** @differentiable */\nexport class C {\n  x = 1;\n}\n', expected: 'on-class.ts:2:1: error: @differentiable marks a class, not a function' },
  { name: 'on-variable', source: '/** @differentiable */\nexport const k = 3;\n', expected: 'on-variable.ts:2:1: error: @differentiable marks a variable, not a function' },
  {
    name: 'on-getter',
    source: 'export class C {\n  w = 2;\n  /** @differentiable */\n  get v(): number {\n    return this.w * 2;\n  }\n}\n',
    expected: 'on-getter.ts:4:3: error: @differentiable marks a getter or setter, not a function',
  },
  { name: 'on-type-alias', source: '/** @differentiable */\nexport type P = { x: number };\n', expected: 'on-type-alias.ts:2:1: error: @differentiable marks a type alias, not a function' },
  {
    name: 'default-export',
    source: '/** @differentiable */\nexport default function (x: number): number {\n  return x * x;\n}\n',
    expected: 'default-export.ts:2:1: error: @differentiable function has no name',
  },

  // ---- what to differentiate ----
  { name: 'wrt-missing', source: fn('  return x * y;', 'x: number, y: number', '@differentiable wrt(z)'), expected: 'wrt-missing.ts:2:1: error: wrt(z) names no parameter of f' },
  { name: 'wrt-string', source: fn('  return x * s.length;', 'x: number, s: string', '@differentiable wrt(s)'), expected: 'wrt-string.ts:2:1: error: parameter s has type string, which cannot be differentiated' },
  { name: 'no-numeric-params', source: fn('  return flag ? s.length : 0;', 's: string, flag: boolean'), expected: 'no-numeric-params.ts:2:1: error: f has no parameter to differentiate with respect to' },
  { name: 'no-params', source: fn('  return 1;', ''), expected: 'no-params.ts:2:1: error: f has no parameter to differentiate with respect to' },
  { name: 'destructured-param', source: fn('  return a * b;', '{ a, b }: { a: number; b: number }'), expected: 'destructured-param.ts:2:19: error: destructured parameters are not supported' },
  { name: 'rest-param', source: fn('  return xs[0];', '...xs: number[]'), expected: 'rest-param.ts:2:19: error: rest parameters are not supported' },
  { name: 'return-string', source: fn('  return String(x);').replace('): number', '): string'), expected: 'return-string.ts:2:31: error: f returns string, not a number, a Tensor, an array of numbers, or a tuple or object of these' },
  { name: 'return-boolean', source: fn('  return x > 0;').replace('): number', '): boolean'), expected: 'return-boolean.ts:2:31: error: f returns boolean, not a number, a Tensor, an array of numbers, or a tuple or object of these' },

  // ---- control flow and function kinds ----
  // Direct recursion is supported (test/compiler/recursion.test.ts); the primal must still be importable.
  {
    name: 'recursion-not-exported',
    source: '/** @differentiable */\nfunction f(x: number): number {\n  if (x < 1) return x;\n  return x * f(x - 1);\n}\n',
    expected: 'recursion-not-exported.ts:4:14: error: f is called from a differentiable function but is not exported',
  },
  { name: 'generator', source: '/** @differentiable */\nexport function* f(x: number): Generator<number> {\n  yield x;\n}\n', expected: 'generator.ts:2:1: error: f is a generator' },
  { name: 'async', source: '/** @differentiable */\nexport async function f(x: number): Promise<number> {\n  return x;\n}\n', expected: 'async.ts:2:1: error: f is async' },
  { name: 'try-catch', source: fn('  try {\n    return Math.log(x);\n  } catch {\n    return 0;\n  }'), expected: 'try-catch.ts:3:3: error: try/catch is not supported in a differentiable function' },
  { name: 'throw', source: fn("  if (x < 0) throw new Error('negative');\n  return Math.sqrt(x);"), expected: 'throw.ts:3:14: error: throw is not supported in a differentiable function' },
  { name: 'switch-case-update', source: fn('  let j = 0;\n  switch (k) {\n    case j++:\n      return x;\n  }\n  return x * x;', 'x: number, k: number'), expected: 'switch-case-update.ts:5:10: error: the case label j++ changes a variable' },
  { name: 'for-in', source: fn('  let s = 0;\n  for (const k in xs) s += xs[k];\n  return s;', 'xs: number[]'), expected: 'for-in.ts:4:3: error: for...in is not supported in a differentiable function' },
  { name: 'for-await', source: fn('  let s = 0;\n  for await (const x of xs) s += x;\n  return s;', 'xs: number[]'), expected: 'for-await.ts:4:3: error: for await is not supported' },
  { name: 'continue-to-block', source: fn('  let y = x;\n  blk: {\n    for (let i = 0; i < 2; i++) {\n      if (i > 0) continue blk;\n    }\n  }\n  return y;'), expected: 'continue-to-block.ts:6:18: error: continue blk names a labelled block, not a loop' },
  { name: 'return-without-value', source: fn('  if (x > 0) return;\n  return x;'), expected: 'return-without-value.ts:3:14: error: return without a value' },
  {
    name: 'loop-condition-call',
    source: '/** @differentiable */\nexport function g(x: number): number {\n  return x * 0.5;\n}\n\n' + fn('  let v = x;\n  let n = 0;\n  while (g(v) > 0.1 && n < 10) {\n    v = g(v);\n    n++;\n  }\n  return v;'),
    expected: 'loop-condition-call.ts:10:10: error: the loop condition computes g(v), which is not a plain comparison',
  },

  // ---- closures, eval and calls ----
  // Local functions that cannot be inlined (lower-closures.ts); the ones that can are in test/compiler/closures.test.ts.
  { name: 'closure-returned', source: fn('  const mk = () => (y: number) => y * x;\n  return mk()(x);'), expected: "closure-returned.ts:3:20: error: the local function callback escapes the differentiable function: it is returned" },
  { name: 'closure-stored', source: fn('  const g = (y: number) => y * x;\n  const fs = [g];\n  return fs.length * x;'), expected: 'closure-stored.ts:4:15: error: the local function g escapes the differentiable function: it is stored in an array or object' },
  {
    name: 'closure-passed',
    source: 'export function apply(f: (v: number) => number, v: number): number {\n  return f(v);\n}\n' + fn('  const g = (y: number) => y * x;\n  return apply(g, x);'),
    expected: 'closure-passed.ts:7:16: error: the local function g escapes the differentiable function: it is passed to apply, which is not an array method wengert lowers (map, filter, forEach, reduce, reduceRight, some, every, find, findIndex or Array.from)',
  },
  { name: 'closure-async', source: fn('  const g = async (y: number) => y * x;\n  return x;'), expected: 'closure-async.ts:3:13: error: the async function g is not supported in a differentiable function' },
  { name: 'closure-generator', source: fn('  function* gen() {\n    yield x;\n  }\n  return x;'), expected: 'closure-generator.ts:3:3: error: the generator function gen is not supported in a differentiable function' },
  {
    name: 'closure-this',
    source: fn('  const g = function (this: { k: number }, y: number) {\n    return this.k * y;\n  };\n  return x;'),
    expected: 'closure-this.ts:4:12: error: `this` inside the function g is not the `this` of the method around it',
  },
  {
    name: 'callback-mutates-array',
    source: fn('  const ys = [x, 2 * x];\n  ys.forEach((v) => {\n    ys.push(v);\n  });\n  return ys[0]!;'),
    expected: 'callback-mutates-array.ts:5:5: error: the callback of ys.forEach changes ys, the array it iterates',
  },
  { name: 'closure-recursive', source: fn('  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));\n  return fact(3) * x;'), expected: 'closure-recursive.ts:3:57: error: the local function fact calls itself, and a local function is inlined where it is called' },
  { name: 'closure-let', source: fn('  let g = (y: number) => y * x;\n  return g(x);'), expected: 'closure-let.ts:3:7: error: the local function g is declared with let' },
  { name: 'eval', source: fn("  return x * (eval('2') as number);"), expected: 'eval.ts:3:15: error: eval is not supported in a differentiable function' },
  {
    name: 'declared-function',
    source: 'declare function mystery(x: number): number;\n\n' + fn('  return mystery(x) * 2;'),
    expected: 'declared-function.ts:5:10: error: mystery is not a differentiable function, and the generated file cannot import it',
  },
  {
    name: 'plain-function',
    source: 'export function plain(x: number): number {\n  return x * 3;\n}\n\n' + fn('  return plain(x * x) + 1;'),
    expected: 'plain-function.ts:7:10: error: plain is not differentiable, but its argument depends on x',
  },
  { name: 'undeclared-function', source: fn('  return nowhere(x);'), expected: 'undeclared-function.ts:3:10: error: cannot resolve the function nowhere' },
  {
    name: 'helper-not-exported',
    source: '/** @differentiable */\nfunction g(x: number): number {\n  return x * x;\n}\n\n' + fn('  return g(x) + 1;'),
    expected: 'helper-not-exported.ts:8:10: error: g is called from a differentiable function but is not exported',
  },
  { name: 'math-clz32', source: fn('  return Math.clz32(x);'), expected: 'math-clz32.ts:3:10: error: Math.clz32 is not supported' },
  { name: 'console-log', source: fn('  console.log(x);\n  return x;'), expected: 'console-log.ts:3:3: error: the result of console.log(...) is not used' },

  // ---- writes the compiler refuses ----
  { name: 'write-param-array', source: fn('  xs[0] = 1;\n  return xs[0] * xs[1];', 'xs: Float64Array'), expected: 'write-param-array.ts:3:3: error: cannot write into xs[0]: xs is a parameter' },
  { name: 'push-param-array', source: fn('  xs.push(1);\n  return xs[0];', 'xs: number[]'), expected: 'push-param-array.ts:3:3: error: cannot push onto xs: only local arrays can grow' },
  { name: 'reassign-local-array', source: fn('  let a = new Float64Array(3);\n  a = new Float64Array(4);\n  return a[0] + xs[0];', 'xs: Float64Array'), expected: 'reassign-local-array.ts:4:3: error: cannot reassign a (an array)' },
  { name: 'reassign-param-array', source: fn('  xs = [1, 2];\n  return xs[0];', 'xs: number[]'), expected: 'reassign-param-array.ts:3:3: error: cannot reassign xs (an array)' },
  { name: 'write-param-field', source: fn('  p.w = x;\n  return p.w * x;', 'p: { w: number }, x: number'), expected: 'write-param-field.ts:3:3: error: cannot write into p.w: p is a parameter' },
  { name: 'nullish-assignment', source: fn('  let y = 0;\n  y ??= x;\n  return y;'), expected: 'nullish-assignment.ts:4:3: error: the assignment operator ??= is not supported' },
  { name: 'delete', source: fn('  const a = xs.slice();\n  delete a[0];\n  return a[1];', 'xs: number[]'), expected: 'delete.ts:4:3: error: delete is not supported in a differentiable function' },

  // ---- values that are not numbers ----
  { name: 'module-let', source: 'let K = 2;\n\n' + fn('  return K * x;'), expected: 'module-let.ts:5:10: error: K is a module-level let, whose value may change between calls' },
  { name: 'object-field-write', source: fn('  const o = { a: x };\n  o.a = 2 * x;\n  return o.a;'), expected: 'object-field-write.ts:4:3: error: cannot write into o.a: the fields of a local object are fixed when it is made' },
  { name: 'date-local', source: fn('  const d = new Date();\n  return x * d.getTime();'), expected: 'date-local.ts:3:9: error: local d of type Date is not supported' },
  { name: 'typeof', source: fn("  if (typeof x === 'number') return x;\n  return 0;"), expected: 'typeof.ts:3:7: error: typeof is not supported in a differentiable function' },
  { name: 'arguments', source: fn('  return x * arguments.length;'), expected: 'arguments.ts:3:14: error: cannot read arguments.length' },
  { name: 'void', source: fn('  void x;\n  return x;'), expected: 'void.ts:3:3: error: void x (VoidExpression) is not supported in a differentiable function' },
];

/** Inputs the compiler handles poorly today, each with its entry in docs/fuzz-findings.md. */
export interface KnownGap {
  name: string;
  source: string;
  /** What should happen. */
  wanted: string;
  finding: string;
}

export const knownGaps: KnownGap[] = [
];
