/**
 * The compiler bugs the fuzzer found (docs/fuzz-findings.md), each as its
 * minimal reproduction with the behaviour it should have. They are
 * `test.fails` while the bug is open: when one starts failing, the bug is
 * fixed; make it a plain `test`, drop its switch from KNOWN_BUG_SWITCHES
 * (test/fuzz/arbitraries.ts) and strike it in the findings file.
 *
 * Sanity tests beside them pin what already works in the same program, so
 * a reproduction cannot pass for an unrelated reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { fuzzDir } from './runner.ts';
import { typecheck } from './typecheck.ts';

const sources: Record<string, string> = {
  nonWrtParam: `/** @differentiable wrt(x) */
export function f(x: number, y: number): number {
  y = x * 2;
  return y;
}
`,
  arrayInLoopToHelper: `/** @differentiable */
export function h(xs: number[]): number {
  return xs[0] * xs[0];
}

/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 2; i++) {
    const a: number[] = [];
    a.push(x * (i + 1));
    s += h(a);
  }
  return s;
}
`,
  assertionInTernaryCondition: `const MODE_A: string = 'a';

/** @differentiable */
export function f(x: number, mode: 'a' | 'b'): number {
  let s = x;
  if (x > (mode !== MODE_A ? 0 : 1)) s = s * x;
  return s;
}
`,
  negatedNegativeLiteral: `/** @differentiable */
export function f(x: number): number {
  if (x < -(-0.5)) return x * x;
  return x;
}
`,
  negatedNegativeVariable: `/** @differentiable */
export function f(x: number): number {
  let s = x;
  for (let i = 0; i < 3; i++) {
    if (-(-i) >= 1) s = s * x;
  }
  return s;
}
`,
  copyArrayKind: `/** @differentiable */
export function f(xs: Float64Array, ys: number[]): number {
  const a = Array.from(xs);
  const b = new Float64Array(ys);
  return a[0] * a[1] + b[0];
}
`,
  arrayInBranch: `/** @differentiable */
export function f(x: number, xs: Float64Array): number {
  let v = 0;
  if (x > 0) {
    const a = new Float64Array(xs);
    v = a[1] * x;
  }
  return v;
}
`,
  arrayInLoopIndex: `/** @differentiable */
export function f(xs: Float64Array): number {
  let v = 1;
  for (let i = 0; i < 2; i++) {
    const a = xs.slice();
    v = a[1 % a.length] + v;
  }
  return v;
}
`,
  lengthAssign: `/** @differentiable */
export function f(x: number, ys: Float64Array): number {
  const a = x * 3;
  if (ys[0] > -1) x = ys.length;
  return x * ys[0] + a;
}
`,
  negatedPowBaseInCond: `/** @differentiable */
export function f(x: number): number {
  if ((-x) ** 2 > 1) return x * 2;
  return x;
}
`,
  assignCallResult: `/** @differentiable */
export function h(x: number): number {
  return x * x;
}

/** @differentiable */
export function f(x: number): number {
  x = h(x);
  return x;
}
`,
  anyElementLocal: `/** @differentiable */
export function f(x: number): number {
  const a = new Array(3).fill(0);
  let s = 0;
  for (const e of a) {
    const v = e + x;
    s += v * v;
  }
  return s;
}
`,
  computedIndexInLoopCond: `/** @differentiable */
export function f(xs: Float64Array): number {
  let v = 0;
  let n = 0;
  while (xs[Math.floor(v) % xs.length] > 0 && n < 5) {
    n++;
    v++;
  }
  return v + xs[0];
}
`,
  literalUnionLocal: `/** @differentiable */
export function f(x: number): number {
  const s = x > 0 ? 1 : -1;
  return s * x;
}
`,
  overwriteFromArray: `/** @differentiable */
export function f(x: number): number {
  const a = new Float64Array(2);
  a[0] = x * x;
  let y = x;
  y = a[0];
  return Math.sin(y) * x;
}
`,
  deadOverflow: `/** @differentiable */
export function f(x: number): number {
  let v = x;
  for (let i = 0; i < 12; i++) v = v * v;
  v = x * 3;
  return v;
}
`,
};

const dir = path.join(fuzzDir, 'findings');
const diagnostics = new Map<string, string[]>();
const typeErrors = new Map<string, string[]>();

beforeAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = Object.entries(sources).map(([name, text]) => {
    const file = path.join(dir, `${name}.ts`);
    fs.writeFileSync(file, text);
    return file;
  });
  const result = compileFiles(files);
  for (const d of result.diagnostics) {
    const name = path.basename(d.file, '.ts');
    diagnostics.set(name, [...(diagnostics.get(name) ?? []), formatDiagnostic(d)]);
  }
  for (const f of result.files) fs.writeFileSync(f.outputPath, f.text);
  const grads = result.files.map((f) => f.outputPath);
  for (const [file, errors] of typecheck(grads)) typeErrors.set(path.basename(file, '.grad.ts'), errors);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(name: string): Promise<{ s: any; g: any; text: string }> {
  const source = path.join(dir, `${name}.ts`);
  const grad = path.join(dir, `${name}.grad.ts`);
  return {
    s: await import(/* @vite-ignore */ pathToFileURL(source).href),
    g: await import(/* @vite-ignore */ pathToFileURL(grad).href),
    text: fs.readFileSync(grad, 'utf8'),
  };
}

const clean = (name: string) => {
  expect(diagnostics.get(name) ?? []).toEqual([]);
  expect(typeErrors.get(name) ?? []).toEqual([]);
};

describe('compiler bugs found by fuzzing (open)', () => {
  test('fixed #1 assigning to a parameter outside wrt(...): dy is undeclared', async () => {
    clean('nonWrtParam');
    const { g } = await load('nonWrtParam');
    expect(g.grad_f(1.5, 3)).toBe(2);
  });

  test('#2 sanity: an array allocated in a loop and passed to a helper gives the right gradient', async () => {
    const { g } = await load('arrayInLoopToHelper');
    expect(g.grad_f(0.7)).toBeCloseTo(7, 12);
  });
  test('fixed #2 ... but the generated file pushes the array on the number tape (tsc error)', () => {
    clean('arrayInLoopToHelper');
  });

  test('fixed #3 -(-0.5) in a condition is emitted as --0.5 (syntax error)', async () => {
    clean('negatedNegativeLiteral');
    const { g } = await load('negatedNegativeLiteral');
    expect(g.grad_f(0.25)).toBe(0.5);
  });
  test('fixed #3 -(-i) in a condition is emitted as --i, a decrement: the derivative loops forever', () => {
    // Not run: it would hang. The emitted condition must not decrement i.
    expect(fs.readFileSync(path.join(dir, 'negatedNegativeVariable.grad.ts'), 'utf8')).not.toMatch(/--i\b/);
  });

  test("fixed #14 a string constant declared 'string' in a ternary's condition: `'a' as string ? ...` does not parse", async () => {
    clean('assertionInTernaryCondition');
    const { g, text } = await load('assertionInTernaryCondition');
    expect(text).toMatch(/\(mode !== 'a' as string\) \?/);
    // b: 0.5 > 0, s = x * x; a: 0.5 > 1 fails, s = x.
    expect(g.grad_f(0.5, 'b')).toBe(1);
    expect(g.grad_f(0.5, 'a')).toBe(1);
    expect(g.grad_f(1.5, 'a')).toBe(3);
  });

  test('#4 sanity: copies of a parameter array of the other kind give the right gradient', async () => {
    const { g } = await load('copyArrayKind');
    const [gx, gy] = g.grad_f(Float64Array.from([2, 3]), [5]);
    expect(Array.from(gx)).toEqual([3, 2]);
    expect(gy).toEqual([1]);
  });
  test('fixed #4 ... but addInto mixes Float64Array and number[] (tsc error)', () => {
    clean('copyArrayKind');
  });

  test('fixed #5 a local array allocated inside an if: the adjoint reads an undeclared a_', async () => {
    clean('arrayInBranch');
    const { g } = await load('arrayInBranch');
    const [gx, gxs] = g.grad_f(2, Float64Array.from([5, 7]));
    expect(gx).toBe(7);
    expect(Array.from(gxs)).toEqual([0, 2]);
  });

  test('fixed #5 a local array allocated in a loop, read at an index computed from its length: a_ is undeclared', async () => {
    clean('arrayInLoopIndex');
    const { g } = await load('arrayInLoopIndex');
    expect(Array.from(g.grad_f(Float64Array.from([2, 3])))).toEqual([0, 2]);
  });

  test('fixed #6 x = ys.length inside an if does not clear the adjoint of x (silently wrong gradient)', async () => {
    const { g } = await load('lengthAssign');
    const [gx] = g.grad_f(0.5, Float64Array.from([3]));
    expect(gx).toBe(3);
  });
  test('#6 sanity: forward mode gets it right', async () => {
    const { g } = await load('lengthAssign');
    expect(g.jvp_f(0.5, Float64Array.from([3]), 1, Float64Array.from([0]))[1]).toBe(3);
  });

  test('fixed #7 (-x) ** 2 in a condition is emitted as -x ** 2 (syntax error)', async () => {
    clean('negatedPowBaseInCond');
    const { g } = await load('negatedPowBaseInCond');
    expect(g.grad_f(2)).toBe(2);
  });

  test('fixed #8 x = h(x): reverse mode drops the derivative through h', async () => {
    const { g } = await load('assignCallResult');
    expect(g.grad_f(3)).toBe(6);
  });
  test('#8 sanity: forward mode gets it right', async () => {
    const { g } = await load('assignCallResult');
    expect(g.jvp_f(3, 1)[1]).toBe(6);
  });

  test('fixed #10 a local set from an element of new Array(n).fill(0) is refused as any', () => {
    expect(diagnostics.get('anyElementLocal') ?? []).toEqual([]);
  });

  test('fixed #11 a computed index in a loop condition is evaluated once, before the loop', async () => {
    const { s, g } = await load('computedIndexInLoopCond');
    const xs = Float64Array.from([1, -1]);
    expect(g.valueAndGrad_f(xs)[0]).toBe(s.f(xs));
  });

  test('fixed #12 const s = x > 0 ? 1 : -1 (type 1 | -1) is refused', () => {
    expect(diagnostics.get('literalUnionLocal') ?? []).toEqual([]);
  });

  test('fixed #13 y = a[0] overwriting y: the adjoint reads an undeclared snapshot a_', async () => {
    clean('overwriteFromArray');
    const { g } = await load('overwriteFromArray');
    // d/dx sin(x^2) x = 2x^2 cos(x^2) + sin(x^2)
    expect(g.grad_f(0.5)).toBeCloseTo(2 * 0.25 * Math.cos(0.25) + Math.sin(0.25), 12);
  });
  test('#13 sanity: forward mode gets it right', async () => {
    const { g } = await load('overwriteFromArray');
    expect(g.jvp_f(0.5, 1)[1]).toBeCloseTo(2 * 0.25 * Math.cos(0.25) + Math.sin(0.25), 12);
  });

  test('fixed N2 an overflow in dead code (v overwritten after the loop) makes reverse mode NaN', async () => {
    const { g } = await load('deadOverflow');
    expect(g.grad_f(2)).toBe(3);
  });
  test('N2 sanity: forward mode gives 3', async () => {
    const { g } = await load('deadOverflow');
    expect(g.jvp_f(2, 1)[1]).toBe(3);
  });
});
