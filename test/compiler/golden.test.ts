/**
 * Golden files of the emitted code, one case per construct family
 * (test/compiler/golden/cases.ts): a change in what the compiler writes
 * shows up in review as a diff of test/compiler/golden/*.grad.ts. Each case
 * also runs, so the pinned code is known to be right: reverse mode against
 * central finite differences, forward mode against reverse mode, values
 * against the primal (test/helpers/check.ts). Update the files with
 * `npx vitest run test/compiler/golden.test.ts -u` after checking the new
 * output is right.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { flatten, randn, Rng } from 'wengert';
import { checkDerivatives } from '../helpers/check.ts';
import { dotFlat, maxRelError } from '../helpers/numeric.ts';
import { caseSources, compileCase, goldenCase, goldenCases, goldenDir, type CompiledCase } from './golden/cases.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Module = any;

/** The source and generated modules of one compiled source file of a case. */
interface Loaded {
  source: Module;
  grad: Module;
}

const compiled = new Map<string, CompiledCase>();

/** Compiles a case once per run (its snapshot test and its numeric tests share the output). */
function compiledCase(name: string): CompiledCase {
  let c = compiled.get(name);
  if (!c) {
    c = compileCase(goldenCase(name));
    compiled.set(name, c);
  }
  return c;
}

/** Imports the source `base` of case `name` and the generated file beside it. */
async function load(name: string, base: string = name): Promise<Loaded> {
  const { result, sourcePaths } = compiledCase(name);
  expect(result.diagnostics).toEqual([]);
  const sourcePath = sourcePaths.get(base)!;
  const file = result.files.find((f) => f.sourcePath === sourcePath);
  if (!file) throw new Error(`${base}.ts of golden case ${name} has no generated file`);
  return { source: await import(/* @vite-ignore */ sourcePath), grad: await import(/* @vite-ignore */ file.outputPath) };
}

describe('golden emitted code', () => {
  for (const c of goldenCases) {
    test(`${c.name}: ${c.family}`, async () => {
      const { result } = compiledCase(c.name);
      expect(result.diagnostics).toEqual([]);
      expect(result.files.map((f) => path.basename(f.outputPath))).toEqual(caseSources(c).map((b) => `${b}.grad.ts`));
      for (const file of result.files) {
        await expect(file.text).toMatchFileSnapshot(`golden/${path.basename(file.outputPath)}`);
      }
    });
  }

  test('every pinned file belongs to a case', () => {
    const pinned = fs.readdirSync(goldenDir).filter((f) => f.endsWith('.grad.ts'));
    const expected = goldenCases.flatMap(caseSources).map((b) => `${b}.grad.ts`);
    expect(pinned.sort()).toEqual(expected.sort());
  });

  test('the same input gives the same bytes', () => {
    const c = goldenCase('earlyReturn');
    const a = compileCase(c).result.files[0]!.text;
    const b = compileCase(c).result.files[0]!.text;
    expect(a).toBe(b);
  });
});

describe('the pinned code is right', () => {
  test('seed', async () => {
    const m = await load('seed');
    for (const p of [[0.7, -1.3], [-0.4, 0.9], [1.6, 0.2], [0, 0.5]]) checkDerivatives(m, 'f', p);
  });

  test('logistic: only x is differentiated; zero trips give the identity', async () => {
    const m = await load('logistic');
    for (const p of [[0.3, 5], [0.7, 3], [-0.2, 2]]) checkDerivatives(m, 'logistic', p, { wrt: [0] });
    expect(m.grad.grad_logistic(0.3, 0)).toBe(1);
  });

  test('earlyReturn: leaving early and running to the end', async () => {
    const m = await load('earlyReturn');
    checkDerivatives(m, 'firstAbove', [Float64Array.from([1, -2, 3]), 4]);
    checkDerivatives(m, 'firstAbove', [Float64Array.from([0.1, -0.2, 0]), 10]);
    expect(m.grad.grad_firstAbove(Float64Array.from([1, -2, 3]), 4)[1]).toBe(0);
  });

  test('branches: both sides of the data-dependent if', async () => {
    const m = await load('branches');
    // x * y > 1 at the first two points, not at the others.
    for (const p of [[2, 1], [-1.5, -2], [0.5, -1], [0, 0.5], [-0.3, 0.4]]) checkDerivatives(m, 'piecewise', p);
  });

  test('loops: the break taken early, late and never', async () => {
    const m = await load('loops');
    const points = [[1.2, 0.9], [0.8, 1.2], [0.7, 1.3], [0.4, 5], [-0.7, 0.3]];
    for (const p of points) checkDerivatives(m, 'damped', p, { wrt: [0] });
    expect(points.map(([x, limit]) => stepsOf(x!, limit!))).toEqual([1, 2, 5, 10, 10]);
  });

  test('arrays: gradient through the local number[], including zero and negative elements', async () => {
    const m = await load('arrays');
    for (const xs of [[1, -2, 0.5, 3], [0, 0.3], [-1, 0, 2, -0.5, 1.5]]) checkDerivatives(m, 'roughness', [Float64Array.from(xs)]);
    expect(Array.from(m.grad.grad_roughness(Float64Array.from([5])))).toEqual([0]);
  });

  test('calls: the same-file helper, the imported helper and their caller', async () => {
    const m = await load('calls');
    const lib = await load('calls', 'calls-lib');
    for (const p of [[0.4, -0.3], [-0.2, 0.5], [0, 0]]) checkDerivatives(m, 'chain', p);
    for (const p of [[0.7, 1.5], [-0.4, -2]]) checkDerivatives(m, 'bump', p);
    for (const p of [[1.3, 2], [-0.5, 0.7]]) checkDerivatives(lib, 'softClip', p);
  });

  test('tensors: the dense-layer loss, differentiated in the params object', async () => {
    const m = await load('tensors');
    const rng = new Rng(11);
    const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });
    const p = { W: f64([4, 3]), b: f64([3]) };
    const x = f64([5, 4]);
    const labels = Int32Array.from([0, 2, 1, 1, 0]);
    const g = checkDerivatives(m, 'denseLoss', [p, x, labels], { wrt: [0], fdTol: 1e-6 });
    expect(g).toHaveLength(15);
    const grad = m.grad.grad_denseLoss(p, x, labels);
    expect(grad.W.shape).toEqual([4, 3]);
    expect(grad.b.shape).toEqual([3]);
  });

  test('vector-valued: jacobian against finite differences, <J v, u> = <v, J^T u>', async () => {
    const m = await load('vector');
    for (const [r, theta] of [[1.5, 0.4], [-0.7, 2.5], [0, -1]]) {
      const J: number[][] = m.grad.jacobian_polar(r, theta);
      expect(maxRelError(J.flat(), fdJacobian(m.source.polar, [r, theta]).flat())).toBeLessThan(1e-7);
      const v = [0.3, -0.8];
      const u = [1.1, -0.4];
      const [y, dy] = m.grad.jvp_polar(r, theta, v[0], v[1]);
      expect(Array.from(y)).toEqual(m.source.polar(r, theta));
      const pulled = m.grad.vjp_polar(r, theta, u);
      expect(dotFlat(Array.from(dy), u)).toBeCloseTo(dotFlat(flatten(pulled), v), 12);
    }
  });

  test('custom derivatives: used where the body would overflow, derived modes agree, the caller uses them', async () => {
    const m = await load('custom');
    for (const x of [0.3, -1.2, 0]) {
      checkDerivatives(m, 'softplus', [x]);
      checkDerivatives(m, 'logCosh', [x]);
    }
    for (const p of [[0.4, -0.9], [1.5, 0.2], [0, 0]]) checkDerivatives(m, 'smoothLoss', p);
    // exp(800) and cosh(800) overflow: differentiating the bodies would give NaN.
    expect(m.grad.grad_softplus(800)).toBe(1);
    expect(m.grad.jvp_softplus(800, 2)[1]).toBe(2);
    expect(m.grad.grad_logCosh(800)).toBe(1);
    expect(m.grad.jvp_logCosh(800, 3)[1]).toBe(3);
  });

  test('methods: the instance is passed first; its fields are data', async () => {
    const m = await load('methods');
    const spring = new m.source.Spring(1.5, 3);
    const bound: Loaded = {
      source: { energy: (x: number, y: number) => spring.energy(x, y) },
      grad: {
        grad_energy: (x: number, y: number) => m.grad.grad_Spring_energy(spring, x, y),
        valueAndGrad_energy: (x: number, y: number) => m.grad.valueAndGrad_Spring_energy(spring, x, y),
        jvp_energy: (x: number, y: number, dx: number, dy: number) => m.grad.jvp_Spring_energy(spring, x, y, dx, dy),
      },
    };
    for (const p of [[2, 1], [-0.5, 0.3], [0.1, -2]]) checkDerivatives(bound, 'energy', p);
    // At distance 2 from the origin along x the stretch is 0.5: dE/dx = k * stretch = 1.5.
    expect(m.grad.grad_Spring_energy(spring, 2, 0)).toEqual([1.5, 0]);
  });
});

/** The loop of loops.ts, in plain code: how many steps it takes before the break (or 10). */
function stepsOf(x: number, limit: number): number {
  let v = x;
  let steps = 0;
  while (steps < 10) {
    v = 0.5 * v + Math.sin(x * v);
    steps++;
    if (v > limit) break;
  }
  return steps;
}

/** Central-difference Jacobian (rows = outputs) of a function of numbers. */
function fdJacobian(f: (...a: number[]) => ArrayLike<number>, args: number[], h = 1e-6): number[][] {
  const columns = args.map((_, k) => {
    const at = (delta: number) => Array.from(f(...args.map((a, i) => (i === k ? a + delta : a))));
    const plus = at(h);
    const minus = at(-h);
    return plus.map((value, i) => (value - minus[i]!) / (2 * h));
  });
  return columns[0]!.map((_, i) => columns.map((column) => column[i]!));
}
