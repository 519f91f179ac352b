/**
 * Output cases of issue #8 where the build wrote files that did not load or
 * type-check, or gave wrong numbers:
 *   - `readonly number[]` / `ReadonlyArray<number>` / `Readonly<{...}>`
 *     parameters: their gradients are writable and right;
 *   - default parameter values repeated in the generated signatures (a
 *     non-constant default is a located error with a hint);
 *   - `@differentiable` methods reading TypeScript `private` / `protected`
 *     members (read as `self['name']`); `#private` fields refused;
 *   - imports that follow the declaring module: a callee re-exported by a
 *     barrel, an `.mts` source, two callees both named `norm`.
 * Every derivative is checked against central finite differences and
 * forward mode against reverse mode; every generated file type-checks
 * under strict.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic, type Diagnostic } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, compileFixture, generatedDir, type Built } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';

const gradPathOf = (built: Built<unknown, unknown>) => built.sourcePath.replace(/\.ts$/, '.grad.ts');

/** The one error of a rejected fixture, with its position. */
function onlyError(diagnostics: readonly Diagnostic[]): Diagnostic {
  const errors = diagnostics.filter((d) => d.severity !== 'warning');
  expect(errors.map((d) => formatDiagnostic(d))).toHaveLength(1);
  return errors[0]!;
}

describe('readonly parameters', () => {
  const source = `
/** @differentiable */
export function dotReadonly(xs: readonly number[], ys: ReadonlyArray<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]! * ys[i]! * xs[i]!;
  return s;
}

/** @differentiable */
export function readonlyObject(p: Readonly<{ w: number[]; b: number }>, x: number): number {
  let s = p.b * x;
  for (let i = 0; i < p.w.length; i++) s += Math.sin(p.w[i]! * x);
  return s;
}
`;
  // A caller that writes into the gradients: it type-checks only if they are writable.
  const consumer = `
import { grad_dotReadonly, grad_readonlyObject } from './output-readonly.grad.ts';

const [gx, gy]: [number[], number[]] = grad_dotReadonly([1, 2], [3, 4]);
gx[0] = gy[1]! * 2;
const [gp] = grad_readonlyObject({ w: [1, 2], b: 3 }, 0.5);
gp.w[0] = gp.b;
export const written = gx[0] + gp.w[0]!;
`;
  let m: Built<any, any>;
  let consumerPath: string;
  beforeAll(async () => {
    m = await buildFixture('output-readonly', source);
    consumerPath = path.join(generatedDir, 'output-readonly-consumer.ts');
    fs.writeFileSync(consumerPath, consumer);
  });

  test('the gradient of readonly number[] and ReadonlyArray<number> is number[], and right', () => {
    expect(m.text).toContain('export function grad_dotReadonly(xs: readonly number[], ys: ReadonlyArray<number>): [number[], number[]]');
    const grads = checkDerivatives(m, 'dotReadonly', [[0.5, -1.5, 2], [1.25, 0.75, -0.5]]);
    // d/dx_i = 2 x_i y_i, d/dy_i = x_i^2
    expect(grads).toEqual([1.25, -2.25, -2, 0.25, 2.25, 4]);
  });

  test('the gradient of Readonly<{ w: number[]; b: number }> is writable, and right', () => {
    checkDerivatives(m, 'readonlyObject', [{ w: [0.3, -0.7], b: 1.5 }, 0.9]);
  });

  test('the generated file, and a caller writing into the gradients, type-check under strict', () => {
    expect(typecheck([gradPathOf(m), consumerPath]).join('\n')).toBe('');
  });
});

describe('default parameter values', () => {
  const source = `
/** @differentiable wrt(x) */
export function scaledSquare(x: number, k = 2): number {
  return k * x * x;
}

/** @differentiable */
export function shifted(x: number = 1.5, offset: number = -0.25): number {
  return Math.exp(x + offset) * x;
}
`;
  let m: Built<any, any>;
  beforeAll(async () => {
    m = await buildFixture('output-defaults', source);
  });

  test('grad_f repeats the default and uses it when the argument is left out', () => {
    expect(m.text).toMatch(/export function grad_scaledSquare\(x: number, k(: number)? = 2\)/);
    // d/dx (2 x^2) = 4 x
    expect(m.grad.grad_scaledSquare(3)).toBe(12);
    expect(m.grad.grad_scaledSquare(3, 5)).toBe(30);
    expect(m.grad.valueAndGrad_scaledSquare(3)).toEqual([18, 12]);
    // Forward mode: the default sits before the tangent, which an explicit undefined skips.
    expect(m.grad.jvp_scaledSquare(3, undefined, 1)).toEqual([18, 12]);
    checkDerivatives(m, 'scaledSquare', [3, 2], { wrt: [0] });
  });

  test('defaults on differentiated parameters: grad_f() with no argument is a number', () => {
    const [gx, gOffset] = m.grad.grad_shifted();
    expect(Number.isFinite(gx) && Number.isFinite(gOffset)).toBe(true);
    expect(gx).toBeCloseTo(Math.exp(1.25) * 2.5, 12);
    expect(gOffset).toBeCloseTo(Math.exp(1.25) * 1.5, 12);
    checkDerivatives(m, 'shifted', [1.5, -0.25]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([gradPathOf(m)]).join('\n')).toBe('');
  });

  test('a default that is not a constant is a located error with a hint', () => {
    // K is not known at build time (a module constant made of literals would be inlined: test/compiler/types.test.ts).
    const { result } = compileFixture('output-default-rejected', `const K = Math.random();
/** @differentiable wrt(x) */
export function scaled(x: number, k = K * 2): number {
  return k * x;
}
`);
    const d = onlyError(result.diagnostics);
    expect(d.message).toBe('the default value of k is not a constant');
    expect([d.line, d.column]).toEqual([3, 39]);
    expect(d.hint).toMatch(/literal default/);
    expect(result.files).toEqual([]);
  });
});

describe('methods reading private and protected members', () => {
  const source = `
import { differentiable } from 'wengert';

export class Body {
  protected offset = 0.5;
  private scale: number;

  constructor(private readonly k: number, scale: number) {
    this.scale = scale;
  }

  @differentiable
  energy(x: number, v: number): number {
    return 0.5 * this.k * x * x + this.scale * v * v + this.offset * x * v;
  }

  @differentiable({ wrt: ['x'] })
  indexed(x: number, v: number): number {
    return this['scale'] * Math.sin(x) * v;
  }
}
`;
  let m: Built<any, any>;
  beforeAll(async () => {
    m = await buildFixture('output-private', source);
  });

  test('private and protected members are read by element access', () => {
    expect(m.text).toContain("self['k']");
    expect(m.text).toContain("self['scale']");
    expect(m.text).toContain("self['offset']");
    expect(m.text).not.toMatch(/self\.(k|scale|offset)\b/);
  });

  test('the derivatives are right', () => {
    const body = new m.source.Body(3, 1.25);
    const bound = (name: string) => ({
      source: { [name]: (...a: number[]) => body[name](...a) },
      grad: Object.fromEntries(
        ['grad', 'valueAndGrad', 'jvp'].map((k) => [`${k}_${name}`, (...a: number[]) => m.grad[`${k}_Body_${name}`](body, ...a)]),
      ),
    });
    const [gx, gv] = checkDerivatives(bound('energy'), 'energy', [0.7, -1.1]);
    expect(gx).toBeCloseTo(3 * 0.7 + 0.5 * -1.1, 12);
    expect(gv).toBeCloseTo(2 * 1.25 * -1.1 + 0.5 * 0.7, 12);
    checkDerivatives(bound('indexed'), 'indexed', [0.7, -1.1], { wrt: [0] });
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([gradPathOf(m)]).join('\n')).toBe('');
  });

  test('a #private field is a located error with a hint', () => {
    const { result } = compileFixture('output-hash-private', `import { differentiable } from 'wengert';
export class Hidden {
  #scale = 2;
  @differentiable
  energy(x: number): number {
    return this.#scale * x * x;
  }
}
`);
    const d = onlyError(result.diagnostics);
    expect(d.message).toMatch(/#private field #scale/);
    expect([d.line, d.column]).toEqual([6, 12]);
    expect(d.hint).toMatch(/private scale/);
    expect(d.hint).toMatch(/pass the value in/);
  });
});

describe('imports follow the declaring module', () => {
  const dir = path.join(generatedDir, 'output-imports');
  const files: Record<string, string> = {
    'lib/lib.ts': `
/** @differentiable */
export function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** @differentiable */
export function cube(x: number): number {
  return x * x * x;
}
`,
    'lib/index.ts': `export { norm, cube } from './lib.ts';\n`,
    'other/norms.ts': `
/** A smooth 1-norm. @differentiable */
export function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.sqrt(v[i] * v[i] + 0.01);
  return s;
}
`,
    'square.mts': `
/** @differentiable */
export function square(x: number): number {
  return x * x;
}
`,
    'caller.ts': `
import { cube, norm } from './lib/index.ts';
import { norm as norm2 } from './other/norms.ts';
import { square } from './square.mts';

/** @differentiable */
export function both(v: Float64Array, x: number): number {
  return norm(v) * x + 2 * norm2(v) + cube(x) + square(x * norm(v));
}
`,
  };
  const gradText = new Map<string, string>();
  let caller: any;
  let callerGrad: any;
  beforeAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const result = compileFiles(Object.keys(files).map((f) => path.join(dir, f)));
    const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
    if (errors.length) throw new Error(errors.map(formatDiagnostic).join('\n'));
    for (const f of result.files) {
      fs.writeFileSync(f.outputPath, f.text);
      gradText.set(path.relative(dir, f.outputPath), f.text);
    }
    caller = await import(/* @vite-ignore */ path.join(dir, 'caller.ts'));
    callerGrad = await import(/* @vite-ignore */ path.join(dir, 'caller.grad.ts'));
  });

  test('each source gets its generated file; the .mts source gets a .grad.mts', () => {
    expect([...gradText.keys()].sort()).toEqual(['caller.grad.ts', 'lib/lib.grad.ts', 'other/norms.grad.ts', 'square.grad.mts']);
  });

  test('the caller imports derivatives from the declaring modules, not the barrel', () => {
    const text = gradText.get('caller.grad.ts')!;
    const importLines = text.split('\n').filter((l) => l.startsWith('import '));
    expect(importLines.some((l) => l.includes("from './lib/lib.grad.ts'") && /\bjvp_cube\b/.test(l) && /\bjvp_norm\b/.test(l))).toBe(true);
    expect(importLines.some((l) => l.includes("from './other/norms.grad.ts'") && /\bjvp_norm as jvp_norm\w*/.test(l))).toBe(true);
    expect(importLines.some((l) => l.includes("from './square.grad.mts'"))).toBe(true);
    expect(importLines.some((l) => l.includes("'./lib/index.grad.ts'"))).toBe(false);
  });

  test('both norms, the barrel callee and the .mts callee: derivatives right', () => {
    const v = Float64Array.from([0.6, -1.2, 0.4]);
    const grads = checkDerivatives({ source: caller, grad: callerGrad }, 'both', [v, 0.8]);
    // The two norms differ, so swapping their derivatives would show here.
    const n = Math.hypot(0.6, -1.2, 0.4);
    const dx = n + 3 * 0.8 ** 2 + 2 * 0.8 * n * n;
    expect(grads[3]).toBeCloseTo(dx, 10);
  });

  test('every generated file type-checks under strict', () => {
    const generated = [...gradText.keys()].map((f) => path.join(dir, f));
    expect(typecheck(generated).join('\n')).toBe('');
  });
});
