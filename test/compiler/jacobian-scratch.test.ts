/**
 * The private Jacobian sweep over module scratch (compiler/emit/jacobian-sweep.ts,
 * scratch-buffers.ts, sweep-results.ts, runtime/jacobian-scratch.ts): `jacobian_f`
 * takes its rows from a copy of `valueAndVjps_f` whose gradient containers and
 * lane buffers live in module scratch, behind a busy flag, and falls back to
 * the exported allocating sweep when re-entered. Checked here:
 *   - the rows equal the exported sweep's, bit for bit (0 and -0 told apart);
 *   - results of two calls never share storage with each other or the scratch;
 *   - a Jacobian taken while the sweep runs (from a callee's primal) takes the
 *     allocating sweep and leaves the outer one's result intact;
 *   - a sweep that throws clears the flag;
 *   - the Jacobians match central finite differences;
 *   - only buffers that cannot escape the call are taken from the scratch.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { jacobianRow } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { maxRelError } from '../helpers/numeric.ts';

const baSource = fs.readFileSync(new URL('../../examples/adbench/ba.ts', import.meta.url), 'utf8');

/** A helper whose primal runs a hook: the hook can take a Jacobian while the outer sweep is running. */
const hookSource = `
export const hooks: { during: null | (() => void); skip: number } = { during: null, skip: 0 };

/** Runs the hook once, after skipping hooks.skip calls (it is cleared first, so a nested sweep does not run it again). */
export function touch(): number {
  const during = hooks.during;
  if (during && hooks.skip-- === 0) {
    hooks.during = null;
    during();
  }
  return 1;
}

/** @differentiable wrt(a) */
export function inner(a: Float64Array): [number, number] {
  const t = touch();
  return [a[0] * a[1] * t, Math.sin(a[1]) + a[2] * a[2]];
}

/**
 * Calls inner first, so its pullback comes after the rest has added into dp. The sweep runs touch twice:
 * in the forward call of inner, then in inner's pullback (valueAndVjpsInto2_inner), once dp is in use.
 * @differentiable wrt(p)
 */
export function outer(p: Float64Array, s: number): [number, number] {
  const [c, d] = inner(p);
  const u = p[0] * p[2] * s;
  return [c + u * p[1], d * u + Math.cos(p[1])];
}
`;

let ba: Built<any, any>;
let hooked: Built<any, any>;
beforeAll(async () => {
  ba = await buildFixture('h3-scratch/ba', baSource);
  hooked = await buildFixture('h3-scratch/hooked', hookSource);
});

/** a and b hold the same numbers, bit for bit (Object.is: -0 is not 0). */
function expectIdentical(a: number[][], b: number[][]): void {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  const differ = a.flatMap((row, i) => row.flatMap((v, j) => (Object.is(v, b[i]![j]) ? [] : [`[${i}][${j}]: ${v} vs ${b[i]![j]}`])));
  expect(differ).toEqual([]);
}

/** The Jacobian rows from the exported, allocating k-lane sweep. */
function allocatingRows(mod: Built<any, any>, name: string, args: unknown[], k: number): number[][] {
  const units = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, r) => (r === i ? 1 : 0)));
  const [, grads] = mod.grad[`valueAndVjps_${name}`](...args, units);
  return (grads as unknown[]).map((g) => jacobianRow(g));
}

/** Central finite differences of f's outputs with respect to the numbers of the Float64Array args[0] (rows = outputs). */
function fdJacobian(f: (...a: any[]) => ArrayLike<number>, args: any[], h = 1e-6): number[][] {
  const x = args[0] as Float64Array;
  const cols = Array.from(x, (_, j) => {
    const at = (delta: number) => {
      const moved = Float64Array.from(x);
      moved[j]! += delta;
      return Array.from(f(moved, ...args.slice(1)));
    };
    const plus = at(h);
    const minus = at(-h);
    return plus.map((v, i) => (v - minus[i]!) / (2 * h));
  });
  return cols[0]!.map((_, i) => cols.map((c) => c[i]!));
}

const cam = Float64Array.from([0.1, -0.3, 0.2, 0.5, -0.2, 0.1, 1.2, 0.05, -0.04, 0.01, -0.002]);
const x = Float64Array.from([0.3, 0.7, 4.2]);
const otherCam = Float64Array.from([-0.2, 0.25, 0.05, -0.4, 0.3, 0.2, 0.9, -0.1, 0.07, -0.03, 0.004]);
const otherX = Float64Array.from([-1.1, 0.4, 3.3]);

describe('BA: jacobian_baReprojectionError over module scratch', () => {
  test('its rows equal the allocating sweep, bit for bit, in both branches of the rotation', () => {
    for (const c of [cam, otherCam, Float64Array.from([0, 0, 0, ...cam.slice(3)])]) {
      const args = [c, x, 0.8, 0.1, -0.3];
      const J = ba.grad.jacobian_baReprojectionError(...args);
      expectIdentical(J, allocatingRows(ba, 'baReprojectionError', args, 2));
    }
    const J = ba.grad.jacobian_rodriguesRotate(Float64Array.from([0.3, -0.2, 0.4]), Float64Array.from([1, 2, 5]));
    expectIdentical(J, allocatingRows(ba, 'rodriguesRotate', [Float64Array.from([0.3, -0.2, 0.4]), Float64Array.from([1, 2, 5])], 3));
  });

  test('two calls share no storage: each result keeps its values when the other is mutated or recomputed', () => {
    const first = ba.grad.jacobian_baReprojectionError(cam, x, 0.8, 0.1, -0.3) as number[][];
    const firstCopy = first.map((r) => r.slice());
    const second = ba.grad.jacobian_baReprojectionError(otherCam, otherX, 1.3, -0.2, 0.6) as number[][];
    const secondCopy = second.map((r) => r.slice());
    // The second call, at other inputs, left the first result as it was.
    expectIdentical(first, firstCopy);
    expect(second[0]![0]).not.toBe(first[0]![0]);
    expect(first).not.toBe(second);
    for (let r = 0; r < 2; r++) expect(first[r]).not.toBe(second[r]);
    first[0]![0] = 1234.5;
    first[1]![14] = -99;
    expectIdentical(second, secondCopy);
    second[0]![3] = 42;
    expect(first[0]![3]).toBe(firstCopy[0]![3]);
    // A third call at the first inputs gives the first result again: the scratch was zeroed, not left with the last values.
    expectIdentical(ba.grad.jacobian_baReprojectionError(cam, x, 0.8, 0.1, -0.3), firstCopy);
  });

  test('the unit cotangents stay unit after many calls (the sweeps only read them)', () => {
    for (let i = 0; i < 5; i++) ba.grad.jacobian_baReprojectionError(cam, x, 0.8 + i, 0.1, -0.3);
    expectIdentical(ba.grad.jacobian_baReprojectionError(cam, x, 0.8, 0.1, -0.3), allocatingRows(ba, 'baReprojectionError', [cam, x, 0.8, 0.1, -0.3], 2));
  });

  test('matches central finite differences', () => {
    const J = ba.grad.jacobian_baReprojectionError(cam, x, 0.8, 0.1, -0.3) as number[][];
    const fd = fdJacobian((c: Float64Array) => ba.source.baReprojectionError(c, x, 0.8, 0.1, -0.3), [cam]);
    expect(maxRelError(J.map((r) => r.slice(0, 11)).flat(), fd.flat())).toBeLessThan(1e-7);
  });

  test('the generated sweep takes containers and lane buffers from the scratch; the exported sweep still allocates', () => {
    const sweep = /\nfunction jacobianSweep_baReprojectionError[^]*?\n}/.exec(ba.text)![0];
    const exported = /export function valueAndVjps_baReprojectionError[^]*?\n}/.exec(ba.text)![0];
    for (const [buffer, slot, like] of [['dcam_0', 2, 'cam'], ['dcam_1', 3, 'cam'], ['dx_0', 4, 'x'], ['dx_1', 5, 'x'], ['dxo_0', 0, 'xo'], ['dxo_1', 1, 'xo']]) {
      expect(sweep).toContain(`const ${buffer} = jacobianScratch_baReprojectionError.float64(${slot}, ${like}.length);`);
    }
    expect(sweep).toContain('const dxcam_0 = jacobianScratch_baReprojectionError.numbers(0, xcam.length);');
    // xo goes to the user's rodriguesRotate, which could keep it: it stays a fresh array.
    expect(sweep).toContain('const xo = new Float64Array(3);');
    expect(sweep).not.toContain('zerosLike');
    // The result tuple's cotangents are read from the unit cotangents in place (sweep-results.ts): no arrays pushed and popped.
    expect(sweep).toContain('const dt28_0 = dy_0[1];');
    expect(sweep).toContain('const dt26_1 = dy_1[0];');
    expect(sweep).not.toMatch(/\bd?t29\b|addArrayInto|const value/);
    expect(exported).toContain('addArrayInto(dt29_0, dy_0);');
    // Each row is copied out of the scratch by the row copy (the numbers of cam, then x, then w) before the sweep returns.
    expect(sweep).toContain('return [jacobianRowOf_baReprojectionError(dcam_0, dx_0, dw_0), jacobianRowOf_baReprojectionError(dcam_1, dx_1, dw_1)];');
    expect(ba.text).toContain('function jacobianRowOf_baReprojectionError(dcam: Float64Array, dx: Float64Array, dw: number): number[] {');
    expect(exported).toContain('const dcam_0 = zerosLike(cam);');
    expect(exported).not.toContain('jacobianScratch');
  });
});

describe('re-entry: a Jacobian taken while the private sweep runs', () => {
  const p = Float64Array.from([0.7, -0.4, 1.3]);
  const q = Float64Array.from([-0.5, 0.9, 0.2]);

  test('the inner call takes the allocating sweep and both results are right', () => {
    const sweep = /\nfunction jacobianSweep_outer[^]*?\n}/.exec(hooked.text)![0];
    // The hook runs inside inner's pullback, after outer's containers were taken from the scratch.
    expect(sweep).toContain('jacobianScratch_outer.float64(');
    expect(sweep).toMatch(/valueAndVjpsInto2_inner\(/);
    const expectedOuter = allocatingRows(hooked, 'outer', [p, 0.6], 2);
    const expectedInner = allocatingRows(hooked, 'outer', [q, -1.7], 2);
    let nested: number[][] | null = null;
    // Skip the forward call of inner: the hook runs in its pullback, while the outer sweep holds the scratch.
    hooked.source.hooks.skip = 1;
    hooked.source.hooks.during = () => {
      nested = hooked.grad.jacobian_outer(q, -1.7);
    };
    const J = hooked.grad.jacobian_outer(p, 0.6);
    expect(nested).not.toBeNull();
    expectIdentical(nested!, expectedInner);
    expectIdentical(J, expectedOuter);
    expect(maxRelError(J.flat(), fdJacobian(hooked.source.outer, [p, 0.6]).flat())).toBeLessThan(1e-7);
    // Afterwards the scratch path serves calls again, with the same results.
    expectIdentical(hooked.grad.jacobian_outer(p, 0.6), expectedOuter);
  });

  test('a sweep that throws clears the busy flag', () => {
    const expected = allocatingRows(hooked, 'outer', [p, 0.6], 2);
    hooked.source.hooks.skip = 1;
    hooked.source.hooks.during = () => {
      throw new Error('from inside the sweep');
    };
    expect(() => hooked.grad.jacobian_outer(p, 0.6)).toThrow('from inside the sweep');
    expect(hooked.text).toMatch(/finally \{\s*jacobianScratch_outer\.busy = false;\s*\}/);
    // The tape is left as the throw left it, as for any derivative that throws; the result must still be right.
    expectIdentical(hooked.grad.jacobian_outer(p, 0.6), expected);
    // Re-entry still falls back (the flag is set during the sweep again, not stuck either way).
    let nested: number[][] | null = null;
    hooked.source.hooks.skip = 1;
    hooked.source.hooks.during = () => {
      nested = hooked.grad.jacobian_outer(q, -1.7);
    };
    expectIdentical(hooked.grad.jacobian_outer(p, 0.6), expected);
    expectIdentical(nested!, allocatingRows(hooked, 'outer', [q, -1.7], 2));
  });
});
