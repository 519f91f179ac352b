/**
 * Vector modes (compiler/transforms/lanes.ts, forward-vector.ts,
 * reverse-vector.ts, compiler/emit/vector-wrappers.ts): `valueAndVjps_f`
 * pulls back one cotangent per output in one sweep, `jvps_f` pushes forward
 * as many directions, and `jacobian_f` uses one of them. Every lane must
 * equal the scalar sweep along its own direction (the same operations in the
 * same order, so exactly), and the Jacobians must match finite differences.
 * Fixtures: ADBench BA's own source, and functions that take the forward
 * side, call scalar and vector helpers in lanes, branch, loop and fall back.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const baSource = fs.readFileSync(new URL('../../examples/adbench/ba.ts', import.meta.url), 'utf8');

const source = `
/** R -> R^3: fewer inputs than outputs, so the Jacobian takes the forward lanes. @differentiable */
export function curve(t: number): [number, number, number] {
  return [Math.cos(t), Math.sin(t), t * t];
}

/** Two inputs, three outputs, a loop writing a local array. @differentiable */
export function poly(a: number, b: number): [number, number, number] {
  const c = new Float64Array(3);
  let s = a;
  for (let i = 0; i < 3; i++) {
    s = s * b + a;
    c[i] = s;
  }
  return [c[0], c[1] * a, c[2] / b];
}

/** @differentiable */
export function sq(x: number): number {
  return x * x;
}

/** Calls a vector helper and a scalar helper inside the lanes, and branches. @differentiable wrt(p) */
export function mixed(p: Float64Array, k: number): [number, number] {
  const [u, v, w] = curve(p[0]);
  const s = sq(p[1]) + u * k;
  if (s > 0) return [s * v, w + p[2]];
  return [-s, v * w];
}

/** A loop of data-dependent length over a number[] accumulating two outputs. @differentiable */
export function moments(xs: number[]): [number, number] {
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < xs.length; i++) {
    m1 += xs[i];
    m2 += xs[i] * xs[i];
  }
  const n = xs.length;
  return [m1 / n, m2 / n - (m1 / n) * (m1 / n)];
}

/** @differentiable */
export function fillScaled(v: number, out: number[]): void {
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * Math.tanh(v) + (i + 1) * v * v;
}

/** Fills a local array through a helper with an out parameter (its derivatives write the array back). @differentiable */
export function filled(v: number, w: number): [number, number, number] {
  const o: number[] = [w, w * w];
  fillScaled(v * w, o);
  return [o[0]!, o[1]! * v, o[0]! + o[1]!];
}

/** @differentiable */
export function rot2(a: Float64Array, b: Float64Array): [number, number] {
  return [a[0] * b[1] - a[1] * b[0], a[0] * b[0] + Math.sin(a[1] * b[1])];
}

/** Three calls of one vector helper: into the same containers twice, and with one array as both arguments. @differentiable */
export function twice(a: Float64Array, b: Float64Array): [number, number] {
  const [u, v] = rot2(a, b);
  const c = new Float64Array(2);
  c[0] = u;
  c[1] = v * a[0];
  const [s, t] = rot2(c, a);
  const [p, q] = rot2(b, b);
  return [s + p * u, t * q];
}

/** @differentiable wrt(a) */
export function rsum(a: Float64Array, n: number): number {
  if (n <= 0) return 0;
  return a[n - 1] * a[n - 1] + rsum(a, n - 1);
}

/** Nested lane calls (twice calls rot2) and a recursive helper, which keeps its scalar derivative. @differentiable */
export function outer(a: Float64Array, b: Float64Array): [number, number] {
  const [s, t] = twice(a, b);
  const r = rsum(b, 2);
  return [s * t + r, s - a[1] * r];
}

/** A result of unknown length: no vector mode (the Jacobian keeps one sweep per row). @differentiable */
export function squares(xs: number[]): number[] {
  const out: number[] = [];
  for (const x of xs) out.push(x * x);
  return out;
}
`;

let ba: Built<any, any>;
let m: Built<any, any>;
beforeAll(async () => {
  ba = await buildFixture('h8-vector/ba', baSource);
  m = await buildFixture('h8-vector/modes', source);
});

/** a and b hold the same numbers (0 and -0 count as the same), in flatten order. */
function expectSame(a: unknown, b: unknown): void {
  const x = flatten(a);
  const y = flatten(b);
  expect(x.length).toBe(y.length);
  const differ = x.flatMap((v, i) => (v === y[i] || (Number.isNaN(v) && Number.isNaN(y[i])) ? [] : [`${i}: ${v} vs ${y[i]}`]));
  expect(differ).toEqual([]);
}

/** Finite-difference Jacobian (rows = outputs) with respect to the arguments at `wrt`. */
function fdJacobian(f: (...a: any[]) => ArrayLike<number>, args: any[], wrt: number[], h = 1e-6): number[][] {
  const cols: number[][] = [];
  for (const w of wrt) {
    const flat = flatten(args[w]);
    for (let k = 0; k < flat.length; k++) {
      const at = (delta: number) => {
        const copy = flat.slice();
        copy[k]! += delta;
        const a = args.slice();
        a[w] = typeof args[w] === 'number' ? copy[0] : unflatten(args[w], copy);
        return Array.from(f(...a));
      };
      const p = at(h);
      const q = at(-h);
      cols.push(p.map((v, i) => (v - q[i]!) / (2 * h)));
    }
  }
  return cols[0]!.map((_, i) => cols.map((c) => c[i]!));
}

let seed = 1;
const wave = () => Math.sin(seed++ * 1.7) * 0.9;

/**
 * Each lane of valueAndVjps_f / jvps_f against the scalar sweep along it, and the value against the primal.
 * `reassociated`: f's lanes add a helper's pullback straight into f's containers (valueAndVjpsInto), where the
 * scalar sweep adds the helper's own sum in afterwards; the same terms, summed in another order, so to 1e-15.
 */
function checkLanes(mod: Built<any, any>, name: string, args: any[], wrt: number[], k: number, reassociated = false): void {
  const dys = Array.from({ length: k }, () => Array.from({ length: k }, wave));
  const [value, grads] = mod.grad[`valueAndVjps_${name}`](...args, dys);
  expectSame(value, mod.source[name](...args));
  expect(grads).toHaveLength(k);
  for (let r = 0; r < k; r++) {
    const scalar = mod.grad[`valueAndVjp_${name}`](...args, dys[r])[1];
    if (reassociated) expect(maxRelError(flatten(grads[r]), flatten(scalar))).toBeLessThan(1e-15);
    else expectSame(grads[r], scalar);
  }
  const dirs = Array.from({ length: k }, () => wrt.map((i) => (typeof args[i] === 'number' ? wave() : unflatten(args[i], flatten(args[i]).map(wave)))));
  const [y, tangents] = mod.grad[`jvps_${name}`](...args, dirs);
  expectSame(y, mod.source[name](...args));
  expect(tangents).toHaveLength(k);
  for (let r = 0; r < k; r++) expectSame(tangents[r], mod.grad[`jvp_${name}`](...args, ...dirs[r])[1]);
}

/**
 * jacobian_f against finite differences, and against the scalar sweeps of the mode it takes: exactly against
 * the rows of vjp_f (at least as many inputs as outputs) or the columns of jvp_f (fewer), to 1e-14 against the other.
 */
function checkJacobian(mod: Built<any, any>, name: string, args: any[], wrt: number[], tol = 1e-7, reassociated = false): number[][] {
  const J = mod.grad[`jacobian_${name}`](...args);
  expect(maxRelError(J.flat(), fdJacobian(mod.source[name], args, wrt).flat())).toBeLessThan(tol);
  const nOut = J.length;
  const nIn = J[0].length;
  const rows = Array.from({ length: nOut }, (_, i) => flatten(mod.grad[`vjp_${name}`](...args, Array.from({ length: nOut }, (_, j) => (i === j ? 1 : 0)))));
  const inputs = wrt.map((i) => args[i]);
  const columns = Array.from({ length: nIn }, (_, j) => {
    const unit = unflatten(inputs, flatten(inputs).map((_, q) => (q === j ? 1 : 0)));
    return Array.from(mod.grad[`jvp_${name}`](...args, ...unit)[1] as number[]);
  });
  const byColumns = rows.map((_, i) => columns.map((c) => c[i]!));
  if (reassociated) expect(maxRelError(J.flat(), (nOut <= nIn ? rows : byColumns).flat())).toBeLessThan(1e-15);
  else expectSame(J, nOut <= nIn ? rows : byColumns);
  expect(maxRelError(J.flat(), (nOut <= nIn ? byColumns : rows).flat())).toBeLessThan(1e-14);
  return J;
}

describe('ADBench BA: the reprojection error (2 outputs, 15 inputs) and the Rodrigues rotation (3 outputs, 6 inputs)', () => {
  const cam = Float64Array.from([0.1, -0.3, 0.2, 0.5, -0.2, 0.1, 1.2, 0.05, -0.04, 0.01, -0.002]);
  const x = Float64Array.from([0.3, 0.7, 4.2]);
  const rot = Float64Array.from([0.3, -0.2, 0.4]);
  const pt = Float64Array.from([1, 2, 5]);

  test('every lane equals the scalar sweep along its direction, exactly', () => {
    checkLanes(ba, 'baReprojectionError', [cam, x, 0.8, 0.1, -0.3], [0, 1, 2], 2);
    checkLanes(ba, 'rodriguesRotate', [rot, pt], [0, 1], 3);
    // The zero-angle branch of the rotation.
    checkLanes(ba, 'rodriguesRotate', [new Float64Array(3), pt], [0, 1], 3);
  });

  test('jacobian_ matches finite differences and the rows of the scalar vjp', () => {
    const J = checkJacobian(ba, 'baReprojectionError', [cam, x, 0.8, 0.1, -0.3], [0, 1, 2]);
    expect(J.map((r) => r.length)).toEqual([15, 15]);
    checkJacobian(ba, 'rodriguesRotate', [rot, pt], [0, 1]);
  });

  test('the Jacobian takes one reverse sweep with both cotangents, the rotation inside it once with two', () => {
    const jac = /export function jacobian_baReprojectionError[^]*?\n}/.exec(ba.text)![0];
    // The rows come from the private sweep over module scratch, the exported sweep when re-entered (jacobian-scratch.test.ts).
    expect(jac).toContain('return jacobianSweep_baReprojectionError(cam, x, w, featX, featY, jacobianScratch_baReprojectionError.units);');
    expect(jac).toContain('valueAndVjps_baReprojectionError(cam, x, w, featX, featY, jacobianScratch_baReprojectionError.units)');
    expect(ba.text).toContain('const jacobianScratch_baReprojectionError = new JacobianScratch([[1, 0], [0, 1]] as const);');
    expect(jac).not.toContain('jacobianByRows');
    const reverse = /export function valueAndVjps_baReprojectionError[^]*?\n}/.exec(ba.text)![0];
    // The rotation's pullbacks are added straight into the caller's containers: no tuple, no addInto after the call.
    expect(reverse.match(/valueAndVjpsInto2_rodriguesRotate\(cam, xo, dxcam_0, dxcam_1, dcam_0, dxo_0, dcam_1, dxo_1\)/g)).toHaveLength(1);
    expect(reverse).not.toMatch(/valueAndVjps?2?_rodriguesRotate\(|addInto\(/);
    expect(reverse).not.toMatch(/\bjvp_/);
    const into = /function valueAndVjpsInto2_rodriguesRotate[^]*?\n}/.exec(ba.text)![0];
    expect(into).not.toMatch(/zerosLike|return \[value/);
  });
});

describe('vector modes of other functions', () => {
  test('forward lanes: a Jacobian with fewer inputs than outputs is one jvps_ sweep', () => {
    checkLanes(m, 'curve', [0.7], [0], 3);
    const J = checkJacobian(m, 'curve', [0.7], [0]);
    expect(J).toEqual([[-Math.sin(0.7)], [Math.cos(0.7)], [1.4]]);
    const jac = /export function jacobian_curve[^]*?\n}/.exec(m.text)![0];
    expect(jac).toContain('jacobianByColumnChunks(3, nIn, 3');
    expect(jac).toContain('jvps_curve(');
    checkLanes(m, 'poly', [0.4, -1.3], [0, 1], 3);
    checkJacobian(m, 'poly', [0.4, -1.3], [0, 1]);
  });

  test('lanes through a vector helper, a scalar helper and both branches', () => {
    for (const k of [2, -40]) {
      const p = Float64Array.from([0.3, -0.8, 1.5]);
      checkLanes(m, 'mixed', [p, k], [0], 2);
      checkJacobian(m, 'mixed', [p, k], [0]);
    }
    expect(m.source.mixed(Float64Array.from([0.3, -0.8, 1.5]), -40)[0]).toBeGreaterThan(0);
  });

  test('a helper that fills an out parameter, called inside the lanes (it must run once, not once per lane)', () => {
    checkLanes(m, 'filled', [0.6, -1.1], [0, 1], 3);
    checkJacobian(m, 'filled', [0.6, -1.1], [0, 1]);
  });

  test('a loop of data-dependent length', () => {
    const xs = [0.5, -1.2, 2.2, 0.1];
    checkLanes(m, 'moments', [xs], [0], 2);
    checkJacobian(m, 'moments', [xs], [0]);
  });

  test('lane calls add into the containers of the caller: repeated, aliased, nested, beside a recursive helper', () => {
    const a = Float64Array.from([0.4, -0.9]);
    const b = Float64Array.from([1.3, 0.2]);
    for (const name of ['rot2', 'twice', 'outer']) {
      checkLanes(m, name, [a, b], [0, 1], 2, name !== 'rot2');
      checkJacobian(m, name, [a, b], [0, 1], 1e-7, name !== 'rot2');
    }
    expect(Array.from(a)).toEqual([0.4, -0.9]);
    expect(Array.from(b)).toEqual([1.3, 0.2]);
    const twice = /\nfunction valueAndVjpsInto2_twice[^]*?\n}/.exec(m.text)![0];
    expect(twice.match(/valueAndVjpsInto2_rot2\(/g)).toHaveLength(3);
    expect(twice).toContain('valueAndVjpsInto2_rot2(b, b, ');
    const outer = /export function valueAndVjps_outer[^]*?\n}/.exec(m.text)![0];
    expect(outer.match(/valueAndVjpsInto2_twice\(/g)).toHaveLength(1);
    expect(outer.match(/valueAndVjp_rsum\(/g)).toHaveLength(2);
    expect(m.text).not.toMatch(/valueAndVjpsInto\d_rsum/);
  });

  test('a result of unknown length keeps the scalar Jacobian', () => {
    expect(m.grad.valueAndVjps_squares).toBeUndefined();
    const J = m.grad.jacobian_squares([1, -2, 3]);
    expect(J).toEqual([[2, 0, 0], [0, -4, 0], [0, 0, 6]]);
  });

  test('the generated files type-check under strict', () => {
    expect(typecheck([ba.sourcePath.replace(/\.ts$/, '.grad.ts'), m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
