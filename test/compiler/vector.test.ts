/**
 * Vector-valued functions (tuples, number[], Float64Array results): jvp
 * gives the tangent of every output, vjp takes a cotangent per output, and
 * jacobian_f matches finite differences whether it sweeps by rows (reverse)
 * or by columns (forward). Calls to vector-valued helpers, destructuring.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** @differentiable */
export function rotate(r: Float64Array, x: Float64Array): [number, number, number] {
  const theta = Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const w0 = r[0] / theta;
  const w1 = r[1] / theta;
  const w2 = r[2] / theta;
  const dot = w0 * x[0] + w1 * x[1] + w2 * x[2];
  return [
    x[0] * c + (w1 * x[2] - w2 * x[1]) * s + w0 * dot * (1 - c),
    x[1] * c + (w2 * x[0] - w0 * x[2]) * s + w1 * dot * (1 - c),
    x[2] * c + (w0 * x[1] - w1 * x[0]) * s + w2 * dot * (1 - c),
  ];
}

/** @differentiable wrt(r, x, f) */
export function project(r: Float64Array, x: Float64Array, f: number, k: number): [number, number] {
  const [a, b, c] = rotate(r, x);
  if (c < 0) return [-f * a / c, -f * b / c];
  return [f * a / c + k, f * b / c];
}

/** @differentiable */
export function softplusAll(v: number[]): number[] {
  const out: number[] = [];
  for (const e of v) out.push(Math.log1p(Math.exp(e)));
  return out;
}

/** @differentiable */
export function usesVector(v: number[], w: number): number {
  const s = softplusAll(v);
  let acc = 0;
  for (let i = 0; i < s.length; i++) acc += s[i] * w;
  return acc;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('vector', source);
});

/** Finite-difference Jacobian (rows = outputs) of f with respect to the arguments at `wrt`. */
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

describe('vector-valued functions', () => {
  const r = Float64Array.from([0.3, -0.2, 0.4]);
  const x = Float64Array.from([1, 2, 5]);

  test('jacobian of a Rodrigues rotation (3 outputs, 6 inputs: reverse sweeps) matches finite differences', () => {
    const J = m.grad.jacobian_rotate(r, x);
    expect(J).toHaveLength(3);
    expect(J[0]).toHaveLength(6);
    expect(maxRelError(J.flat(), fdJacobian(m.source.rotate, [r, x], [0, 1]).flat())).toBeLessThan(1e-7);
  });

  test('jacobian of a projection calling the rotation (2 outputs, 7 inputs) matches finite differences, both branches', () => {
    for (const xx of [x, Float64Array.from([1, 2, -5])]) {
      const J = m.grad.jacobian_project(r, xx, 2, 0.5);
      expect(maxRelError(J.flat(), fdJacobian(m.source.project, [r, xx, 2, 0.5], [0, 1, 2]).flat())).toBeLessThan(1e-7);
    }
  });

  test('jvp gives the tangent of every output and agrees with vjp: <J v, u> = <v, J^T u>', () => {
    const v = [Float64Array.from([0.1, 0.2, -0.3]), Float64Array.from([1, -1, 0.5]), 0.7];
    const u = [0.3, -1.1];
    const [y, dy] = m.grad.jvp_project(r, x, 2, 0.5, ...v);
    expect(Array.from(y)).toEqual(m.source.project(r, x, 2, 0.5));
    const pulled = m.grad.vjp_project(r, x, 2, 0.5, u);
    expect(dotFlat(Array.from(dy), u)).toBeCloseTo(dotFlat(flatten(pulled), flatten(v)), 12);
  });

  test('number[] results built with push, and a scalar function calling them (forward sweeps when inputs are few)', () => {
    const v = [0.5, -1, 2];
    const J = m.grad.jacobian_softplusAll(v);
    const expected = v.map((e, i) => v.map((_, j) => (i === j ? 1 / (1 + Math.exp(-e)) : 0)));
    expect(maxRelError(J.flat(), expected.flat())).toBeLessThan(1e-12);
    const [gv, gw] = m.grad.grad_usesVector(v, 1.5);
    expect(maxRelError(gv, v.map((e) => 1.5 / (1 + Math.exp(-e))))).toBeLessThan(1e-12);
    expect(gw).toBeCloseTo(m.source.softplusAll(v).reduce((a: number, b: number) => a + b, 0), 12);
  });

  test('a cotangent of the wrong length is a clear error', () => {
    expect(() => m.grad.vjp_project(r, x, 2, 0.5, [1, 2, 3])).toThrow('the output cotangent has length 3, but the function returns 2 values');
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
