/**
 * Tests of the fuzzer itself: the generator covers every construct and
 * every Math function it claims to, rendering is deterministic, and the
 * oracle is not vacuous: hand-made wrong derivatives are caught, each by
 * the check meant for it, while a kink at the evaluation point is skipped
 * rather than reported.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MATH_BINARY, MATH_UNARY, type Program } from './ast.ts';
import { programArbitrary } from './arbitraries.ts';
import { checkProgram, type Modules } from './oracle.ts';
import { renderProgram } from './render.ts';
import { emptyTally, type FailureKind } from './report.ts';
import { tracedMain } from './traced.ts';

describe('generator', () => {
  const texts = fc.sample(programArbitrary(), { seed: 7, numRuns: 400 }).map((p) => renderProgram(p));
  const all = texts.join('\n');

  test('covers every supported Math function', () => {
    const missing = [...MATH_UNARY, ...MATH_BINARY].filter((fn) => !all.includes(`Math.${fn}(`));
    expect(missing).toEqual([]);
  });

  test('covers every construct of the issue', () => {
    const constructs: Record<string, RegExp> = {
      'number parameter': /\(x0: number/,
      'number[] parameter': /xs\d+: number\[\]/,
      'Float64Array parameter': /xs\d+: Float64Array/,
      'nested if/else': /^ {4,}if \(.*\) \{$/m,
      else: /\} else \{/,
      for: /for \(let i\d+ = 0;/,
      'while with a bounded counter': /while \(.* && n\d+ < \d\) \{/,
      'do-while': /\} while \(.* && n\d+ < \d\);/,
      'for...of': /for \(const e\d+ of /,
      break: /\bbreak( L\d+)?;/,
      continue: /\bcontinue( L\d+)?;/,
      'labelled loop': /^\s*L\d+: (for|while|do)\b/m,
      'early return': /if \(.*\) return /,
      '+=': / \+= /,
      '-=': / -= /,
      '*=': / \*= /,
      '/=': / \/= /,
      '++': /\w\+\+;|\+\+\w/,
      ternary: /\) \? /,
      'computed index': /\[Math\.floor\(Math\.abs\(/,
      'new Float64Array(n)': /new Float64Array\((\d|xs\d+\.length)\)/,
      'new Array(n).fill(0)': /new Array\(.*\)\.fill\(0\)/,
      '[] and push': /: number\[\] = \[\];\n\s*a\d+\.push\(/,
      'element write': /a\d+\[.*\] (=|\+=|-=|\*=) /,
      'helper call': /\bh\d\(/,
      'wrt(...)': /@differentiable wrt\(/,
      '% operator': / % \d/,
      '** operator': / \*\* \d/,
      switch: /switch \(.*\) \{\n\s+case 0:/,
      'switch default': /^\s+default:/m,
      'switch fall-through': /case \d:\n(?:(?!\s+break;\n)[^\n]*\n)*?\s+case \d:/,
      'update in a loop condition': /while \(.* && (n\d+-- > 0|--n\d+ >= 0)\)/,
      'update in a condition': /(\+\+|--)(v|x)\d+ >= |(v|x)\d+(\+\+|--) >= | > (\+\+|--)?(v|x)\d+(\+\+|--)?\)/,
      'destructuring swap': /\[(v|x)\d+, (v|x)\d+\] = \[/,
      'element swap': /\[a\d+\[.*\], a\d+\[.*\]\] = \[/,
      'module constant': /^const K\d = .*;$/m,
      'constant array at a computed index': /KS\[.*KS\.length\]/,
      'string-literal union parameter': /mode: 'a' \| 'b' \| 'c'/,
      'string compared in a condition': /mode (===|!==) MODE_[ABC]/,
      'string passed to a helper': /h\d\([^)]*mode\)/,
      'boolean parameter': /flag: boolean/,
      'boolean reassigned': /\b(b\d+|flag) (=|&&=|\|\|=) /,
      'slice with bounds': /\.slice\([^)]/,
      concat: /\.concat\(/,
      reverse: /\.reverse\(\)/,
      'pop or shift': /\.(pop|shift)\(\)!/,
      indexOf: /\.indexOf\(/,
      'local number[][]': /: number\[\]\[\] = \[\];/,
      '2-D element read': /g\d+\[[^\]]+\]\[/,
      '2-D element write': /g\d+\[.*\]\[.*\] \+?= /,
      'array of objects built with push': /const p\d+: \{ a: number; b: number \}\[\] = \[\];[\s\S]*?p\d+\.push\(\{ a: /,
      'element of an array of objects read by field': /q\d+\.a/,
      'out-parameter helper called': /fillOut\([^)]*, o\d+\);/,
      'local arrow, expression body': /const f\d+ = \(p\d+: number\): number => /,
      'local arrow, block body with a default and an early return': /const f\d+ = \(p\d+: number, q\d+ = 2\): number => \{\n.*\n\s+if \(.*\) return /,
      'local function declaration': /^\s+function f\d+\(p\d+: number\): number \{$/m,
      'closure writing a captured variable': /const f\d+ = \(p\d+: number\) => \{\n\s+\w+ \+= /,
      'local function called': /\bf\d+\(/,
      'reduce with an initial value': /\.reduce\(\(acc\d+: number, .*, 0\)/,
      'reduce without an initial value': /\.reduce\(\(acc\d+: number, p\d+: number, j\d+: number\) => acc\d+ \* 0\.5 \+ /,
      reduceRight: /\.reduceRight\(\(/,
      'some or every': /\.(some|every)\(\(p\d+: number\) => /,
      map: /\.map\(\(p\d+: number, j\d+: number\): number => /,
      filter: /\.filter\(\(p\d+: number, j\d+: number\) => j\d+ === 0 \|\| /,
      forEach: /\.forEach\(\(p\d+: number, j\d+: number\) => \{/,
      'Array.from({ length: n }, f)': /Array\.from\(\{ length: .* \}, \(_, j\d+: number\): number => /,
      'Array.from(xs, f)': /Array\.from\(\w+, \(p\d+: number\): number => /,
    };
    const missing = Object.entries(constructs).filter(([, re]) => !re.test(all)).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  test('is deterministic: the same seed renders the same programs', () => {
    const again = fc.sample(programArbitrary(), { seed: 7, numRuns: 400 }).map((p) => renderProgram(p));
    expect(again).toEqual(texts);
  });

  test('programs stay small enough to shrink and read (median under 40 lines)', () => {
    const lines = texts.map((t) => t.split('\n').length).sort((a, b) => a - b);
    expect(lines[Math.floor(lines.length / 2)]!).toBeLessThan(40);
  });
});

/** f(x0, xs1) = x0 * sin(x0) + |x0| * xs1[0] + xs1[1 % len]: small enough to differentiate by hand. */
const program: Program = {
  helpers: [],
  main: {
    params: [
      { type: 'number', length: 0 },
      { type: 'Float64Array', length: 2 },
    ],
    wrt: null,
    body: [],
    result: {
      k: 'bin',
      op: '+',
      l: {
        k: 'bin',
        op: '+',
        l: { k: 'bin', op: '*', l: { k: 'num', ref: 0 }, r: { k: 'math', fn: 'sin', form: 0, args: [{ k: 'num', ref: 0 }] } },
        r: { k: 'bin', op: '*', l: { k: 'math', fn: 'abs', form: 0, args: [{ k: 'num', ref: 0 }] }, r: { k: 'read', arr: 0, index: { k: 'lit', value: 0 } } },
      },
      r: { k: 'read', arr: 0, index: { k: 'lit', value: 1 } },
    },
  },
  pool: [0.7, 1.5, -2, 0.3, 0.9],
  avoid: [],
};

type Grad = [number, Float64Array];

/** Hand-written derivatives of `program`, with one of them broken on purpose. */
function modules(breakIt: (m: Record<string, unknown>) => void = () => {}): Modules {
  const traced = tracedMain(program);
  const f = (x: number, xs: Float64Array) => traced(x, xs).value;
  const grad = (x: number, xs: Float64Array): Grad => [
    Math.sin(x) + x * Math.cos(x) + Math.sign(x) * xs[0]!,
    Float64Array.from([Math.abs(x), 1]),
  ];
  const g: Record<string, unknown> = {
    grad_f: grad,
    valueAndGrad_f: (x: number, xs: Float64Array) => [f(x, xs), grad(x, xs)],
    vjp_f: (x: number, xs: Float64Array, dy: number) => {
      const [a, b] = grad(x, xs);
      return [a * dy, b.map((v) => v * dy)];
    },
    jvp_f: (x: number, xs: Float64Array, dx: number, dxs: Float64Array) => {
      const [a, b] = grad(x, xs);
      return [f(x, xs), a * dx + b[0]! * dxs[0]! + b[1]! * dxs[1]!];
    },
  };
  breakIt(g);
  return { source: { f }, grad: g };
}

function kindsFound(mods: Modules, p: Program = program): FailureKind[] {
  return [...new Set(checkProgram(p, mods, tracedMain(p), emptyTally(), { points: 2 }).map((f) => f.kind))];
}

describe('oracle', () => {
  test('passes correct derivatives', () => {
    expect(kindsFound(modules())).toEqual([]);
  });

  test('catches a wrong reverse-mode gradient (and the forward mode that no longer agrees)', () => {
    const wrong = modules((g) => {
      const grad = g.grad_f as (x: number, xs: Float64Array) => Grad;
      g.grad_f = (x: number, xs: Float64Array) => [grad(x, xs)[0] * 1.001, grad(x, xs)[1]];
    });
    expect(kindsFound(wrong)).toEqual(expect.arrayContaining(['reverse-vs-fd', 'forward-vs-reverse']));
  });

  test('catches a wrong forward-mode tangent', () => {
    const wrong = modules((g) => {
      const jvp = g.jvp_f as (...a: unknown[]) => [number, number];
      g.jvp_f = (...a: unknown[]) => [jvp(...a)[0], jvp(...a)[1] + 1e-6];
    });
    expect(kindsFound(wrong)).toEqual(['forward-vs-reverse']);
  });

  test('catches a valueAndGrad value that is not f', () => {
    const wrong = modules((g) => {
      const vg = g.valueAndGrad_f as (x: number, xs: Float64Array) => [number, Grad];
      g.valueAndGrad_f = (x: number, xs: Float64Array) => [vg(x, xs)[0] + 1e-15, vg(x, xs)[1]];
    });
    expect(kindsFound(wrong)).toEqual(['value']);
  });

  test('catches a vjp that is not linear in dy', () => {
    const wrong = modules((g) => {
      const vjp = g.vjp_f as (x: number, xs: Float64Array, dy: number) => Grad;
      g.vjp_f = (x: number, xs: Float64Array, dy: number) => vjp(x, xs, dy + 1e-9);
    });
    expect(kindsFound(wrong)).toEqual(['vjp-scaling']);
  });

  test('catches a gradient that changes an input array, and one of the wrong shape', () => {
    const mutating = modules((g) => {
      const grad = g.grad_f as (x: number, xs: Float64Array) => Grad;
      g.grad_f = (x: number, xs: Float64Array) => {
        const r = grad(x, xs);
        xs[0] = 0;
        return r;
      };
    });
    expect(kindsFound(mutating)).toContain('input-mutated');
    const misshapen = modules((g) => {
      const grad = g.grad_f as (x: number, xs: Float64Array) => Grad;
      g.grad_f = (x: number, xs: Float64Array) => [grad(x, xs)[0], Array.from(grad(x, xs)[1])];
    });
    expect(kindsFound(misshapen)).toEqual(['gradient-shape']);
  });

  test('skips finite differences across the kink of |x0| at x0 = 0 instead of reporting them', () => {
    const atKink: Program = { ...program, pool: [0, 1.5, -2, 0.3, 0.9] };
    const tally = emptyTally();
    const failures = checkProgram(atKink, modules(), tracedMain(atKink), tally, { points: 1 });
    expect(failures).toEqual([]);
    expect(tally.skipped.get('near a branch or kink')).toBe(1);
    expect(tally.checks.get('reverse-vs-fd')).toBe(2);
  });
});
