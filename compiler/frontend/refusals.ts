/**
 * What wengert refuses in a differentiable function, as one list: each
 * construct with why and what to write instead, and a smallest program that
 * shows it. docs/supported.md's "Refused, with the reason" section is made
 * from this list (`refusedMarkdown`), and test/diagnostics/supported-doc.test.ts
 * checks that the two agree, that every statement and expression refusal of
 * unsupported.ts is in it, and that the compiler refuses each example with a
 * located error and a hint.
 */
import { expressionRefusals, statementRefusals } from './unsupported.ts';

export interface RefusedConstruct {
  /** The construct as the docs name it. */
  construct: string;
  /** Why it is refused. */
  why: string;
  /** What to write instead. */
  instead: string;
  /** A differentiable function that uses it (with its imports); the build must refuse it. */
  example: string;
  /** The `what` of the unsupported.ts entries this construct covers, if it is refused there. */
  covers?: readonly string[];
}

const fn = (body: string, params = 'x: number', ret = 'number') => `/** @differentiable */\nexport function f(${params}): ${ret} {\n${body}\n}\n`;

export const refusedConstructs: readonly RefusedConstruct[] = [
  {
    construct: 'generators and `async` functions',
    why: 'a derivative is taken of a function that runs to its end and returns one value',
    instead: 'compute the values in a loop and return them, or differentiate the synchronous part',
    example: '/** @differentiable */\nexport async function f(x: number): Promise<number> {\n  return x * x;\n}\n',
    covers: ['await', 'yield'],
  },
  {
    construct: '`try`/`catch` and `throw`',
    why: 'derivatives of exceptional control flow are not defined',
    instead: 'check the inputs before calling the differentiable function',
    example: fn("  if (x < 0) throw new Error('negative');\n  return Math.sqrt(x);"),
    covers: ['try/catch', 'throw'],
  },
  {
    construct: '`for...in`',
    why: 'it walks the keys of an object, which are strings',
    instead: 'a counted `for` loop, or `for...of` over an array',
    example: fn('  let s = 0;\n  for (const k in xs) s += xs[k]!;\n  return s;', 'xs: number[]'),
    covers: ['for...in'],
  },
  {
    construct: '`with`, `eval`, `debugger`',
    why: 'the compiler must see every name and all the code it differentiates',
    instead: 'name objects explicitly and write the code out',
    example: fn('  return eval("x * x") as number;'),
    covers: ['with', 'debugger'],
  },
  {
    construct: 'local functions and function values that escape the body',
    why: 'a local function is inlined where it is called; one that is returned, stored or passed on would need a derivative of its own',
    instead: 'call it, or pass it to an array method (`xs.map(f)`); otherwise move it to module level and mark it `@differentiable`',
    example: fn('  const g = (y: number) => y * x;\n  const h = [g];\n  return h[0]!(2);'),
    covers: ['a function value here', 'a function declaration here'],
  },
  {
    construct: 'local functions declared with `let`, a local function that calls itself, `this` inside a `function` expression, a `thisArg` argument, `xs.find(p)` without `!`, a callback that changes the array it iterates',
    why: 'each call of a local function is inlined where it is made, so a name must call one function, the inlining must end, and the loop an array method stands for must see its array unchanged',
    instead: 'declare local functions with `const` or `function` (recursion works at module level, with `@differentiable`), use an arrow for `this`, write `xs.find(p)!`, and build a new array instead of changing the one iterated',
    example: fn('  function g(n: number): number {\n    return n <= 0 ? x : x * g(n - 1);\n  }\n  return g(2);'),
  },
  {
    construct: 'class declarations and expressions, `super`',
    why: 'a class defines methods the compiler would have to differentiate as values',
    instead: 'declare the class at module level; a `@differentiable` method calls the base method through `this`',
    example: fn('  class P { v = 1; }\n  return x * new P().v;'),
    covers: ['a class declaration', 'a class expression', 'super'],
  },
  {
    construct: '`delete`, `typeof`, `null`, `new` of anything but arrays',
    why: 'differentiable functions have no side effects on objects, and types are known at build time',
    instead: 'allocate arrays in a declaration (`const a = new Float64Array(n)`) and remove the checks',
    example: fn('  const d = new Date();\n  return x * d.getTime();'),
    covers: ['delete', 'typeof', 'null', 'new'],
  },
  {
    construct: 'strings used as numbers or built at run time',
    why: 'strings play no part in derivatives; string constants and string-literal unions are compared, never computed',
    instead: 'compare strings in conditions (`mode === "fast"`), and keep numbers as numbers',
    example: fn('  const s = `${x}`;\n  return Number(s) * x;'),
    covers: ['a template string', 'a tagged template', 'a string'],
  },
  {
    construct: 'object literals outside arguments, locals, pushed elements and results of a declared object type',
    why: 'an object literal is a record only where its type is declared (`dense({ W, b }, x)`, `const layer: Layer = { W, b }`, `layers.push({ W, b })`, `return { h, c }`)',
    instead: 'declare the object in a `const` of its type first',
    example: fn('  return { a: x }.a;'),
    covers: ['an object literal'],
  },
  {
    construct: 'writing into a parameter, or into a field of a local object',
    why: "writing into a parameter would change the caller's data; a local object is shared with the arrays it was pushed into and is read back in the reverse sweep as it was made",
    instead: 'copy the parameter (`const copy = xs.slice()`), or make a new object with the new value',
    example: fn('  xs[0] = x;\n  return xs[0]! * xs[1]!;', 'x: number, xs: number[]'),
  },
  {
    construct: 'a structured result (a tuple or object holding tensors) returned from several places as a local or a field rather than a literal or a call',
    why: 'each return makes the result, a record or a call\'s result, once per call',
    instead: 'write the value out (`return [h, c]`, `return { h, c }`), or return once, at the end',
    example: `import { Tensor, tanh } from 'wengert';\n${fn('  const s: [Tensor, Tensor] = [a, tanh(a)];\n  if (up) return s;\n  return [tanh(a), a];', 'a: Tensor, up: boolean', '[Tensor, Tensor]')}`,
  },
  {
    construct: 'module-level `let`s and constants whose value is not known at build time',
    why: 'other code may change them between the forward and the reverse sweep',
    instead: 'pass such values in as parameters',
    example: `let scale = 2;\nexport function setScale(s: number) { scale = s; }\n${fn('  return scale * x;')}`,
  },
  {
    construct: '`??=` and bitwise compound assignments (`|=`, `<<=`, ...)',
    why: 'a differentiable number is never undefined, and bitwise operators have no derivative',
    instead: 'assign with `=`, writing the operation out',
    example: fn('  let k = 3;\n  k <<= 1;\n  return k * x;'),
  },
  {
    construct: 'object and rest destructuring, reassigning an array variable',
    why: 'each local holds one value the compiler tracks by name',
    instead: 'read fields one by one (`const a = obj.a`) and declare a new `const` array',
    example: fn('  const { a, b } = p;\n  return a * b;', 'p: { a: number; b: number }'),
  },
  {
    construct: 'calls to unknown functions with arguments that depend on the differentiated inputs',
    why: 'the compiler cannot see their derivative',
    instead: 'mark the function `@differentiable`, or wrap the argument in `stopGradient`',
    example: `import { helper } from './helper-not-differentiable.ts';\n${fn('  return helper(x);')}`,
  },
  {
    construct: 'a module-level constant array of objects read at a computed index',
    why: 'constant values are written into the generated code as literals; an array of objects cannot be copied into one local array',
    instead: 'read it at constant indexes, or pass it in as a parameter',
    example: `const TABLE = [{ w: 1 }, { w: 2 }] as const;\n${fn('  const i = x > 0 ? 1 : 0;\n  return TABLE[i]!.w * x;')}`,
  },
  {
    construct: 'optional parameters named in `wrt(...)`',
    why: 'an optional parameter may be left out, so it is a constant of the function',
    instead: 'give it a default value instead of `?:` (`k = 1`)',
    example: '/** @differentiable wrt(x, k) */\nexport function f(x: number, k?: number): number {\n  return x * (k ?? 1);\n}\n',
  },
  {
    construct: 'a `case` label that updates a variable',
    why: 'which labels are evaluated depends on the ones before them',
    instead: 'compute the label into a `const` before the `switch`',
    example: fn('  let k = 0;\n  switch (x > 0 ? 1 : 2) {\n    case ++k:\n      return x;\n    default:\n      return 2 * x;\n  }'),
  },
  {
    construct: 'a result that is not a number, a Tensor, a `{ loss, ... }` object, an array or tuple of numbers, or a tuple or object holding tensors',
    why: 'the derivative of a string, a boolean or a class instance has no meaning',
    instead: 'return the numbers or tensors the result is made of',
    example: fn('  return x > 0;', 'x: number', 'boolean'),
  },
  {
    construct: '`sort`, `splice`, `unshift` and `copyWithin` on arrays',
    why: 'they reorder or resize an array in ways the reverse sweep would have to undo element by element',
    instead: 'build a new array with a loop and `push`',
    example: fn('  const ys = xs.slice();\n  ys.sort();\n  return ys[0]! * x;', 'x: number, xs: number[]'),
  },
];

/** The covered `what`s of unsupported.ts that no construct here names (the test wants none). */
export function uncoveredRefusals(): string[] {
  const covered = new Set(refusedConstructs.flatMap((c) => c.covers ?? []));
  const all = [...Object.values(statementRefusals), ...Object.values(expressionRefusals)].map((r) => r!.what);
  return [...new Set(all)].filter((w) => !covered.has(w));
}

/** The "Refused, with the reason" list of docs/supported.md. */
export function refusedMarkdown(): string {
  return refusedConstructs.map((c) => `- ${c.construct}: ${c.why}. Instead: ${c.instead}.`).join('\n');
}
