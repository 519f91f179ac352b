/**
 * Out parameters (issue #10, item 6): a differentiable function that
 * returns nothing and fills an array argument, in the style of C numerical
 * code. Its derivatives are those of the function returning the filled
 * array (jvp_f fills the array and its tangent as f fills the array;
 * vjp_f takes the filled array's cotangent), and a caller's adjoint flows
 * back through the written array. Checked in reverse mode against central
 * finite differences and in forward mode against reverse mode; the
 * generated file type-checks under strict.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceText } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** Fills out with k x_i^2. @differentiable */
export function squares(x: number[], k: number, out: number[]): void {
  for (let i = 0; i < x.length; i++) out[i] = k * x[i]! * x[i]!;
}

/** Reads what out held before: out_i += sin(x_i) out_i. @differentiable */
export function accumulate(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] += Math.sin(x[i]!) * out[i]!;
}

/** An explicit Euler step of dy/dt = -k y^2 into next; only part of it is written. @differentiable wrt(y, k, next) */
export function eulerStep(y: number[], k: number, h: number, next: number[]): void {
  for (let i = 0; i < y.length - 1; i++) next[i] = y[i]! - h * k * y[i]! * y[i]!;
}

/** @differentiable */
export function callsSquares(x: number[], k: number): number {
  const buf = new Array(x.length).fill(0);
  squares(x, k, buf);
  let s = 0;
  for (const v of buf) s += v;
  squares(buf.slice(), 0.5, buf);
  return s + buf[0]! * 3;
}

/** @differentiable */
export function callsAccumulate(x: Float64Array): number {
  const acc = new Float64Array(x.length);
  for (let i = 0; i < acc.length; i++) acc[i] = x[i]! + 1;
  for (let r = 0; r < 3; r++) accumulate(x, acc);
  return acc[0]! * acc[acc.length - 1]!;
}

/** Euler steps between two buffers; the last element of next is never written and keeps its value. @differentiable wrt(y0, k) */
export function integrate(y0: number[], k: number, steps: number): number {
  let y = y0.slice();
  const next = [0, 0, 0, 7];
  let s = 0;
  for (let n = 0; n < steps; n++) {
    eulerStep(y.slice(), k, 0.1, next);
    for (let i = 0; i < next.length; i++) s += next[i]! * (i + 1);
  }
  return s;
}

/** Fills out with a[c] x_i + out_i; out's old contents are not differentiated (out is outside wrt). @differentiable wrt(x) */
export function scaleInto(x: Float64Array, a: Float64Array, c: number, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = a[c]! * x[i]! + out[i]!;
}

/** Fills out from its old contents and v (the fuzzer's fillOut). @differentiable */
export function fillOut(v: number, out: number[]): void {
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * Math.tanh(v) + (i + 1) * v * v;
}

/** The filled array does not reach the result (x1 is dead), so the call differentiates v only (npm run fuzz -- --seed 777, program 159). @differentiable */
export function fillsUnused(x0: number, x1: number): number {
  const o1: number[] = [Math.exp(Math.tanh(x0 + 1)), x0];
  fillOut(x0, o1);
  x1 += o1[0]! * o1[1]!;
  return Math.exp(x0);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('i10-out-params', source);
});

describe('functions that fill an array argument', () => {
  test("a caller's adjoint flows back through the filled array", () => {
    checkDerivatives(m, 'callsSquares', [[0.5, 2, -1.5], 0.7]);
  });

  test('a filler that reads the old contents, called in a loop', () => {
    checkDerivatives(m, 'callsAccumulate', [Float64Array.from([0.3, -1.2, 0.9])]);
  });

  test('elements the filler does not write keep their values and their cotangents', () => {
    for (const steps of [0, 1, 3]) checkDerivatives(m, 'integrate', [[0.5, -0.3, 1.1, 0.2], 0.8, steps], { wrt: [0, 1] });
  });

  test('a call whose filled array does not reach the result is not specialised away from the array', () => {
    checkDerivatives(m, 'fillsUnused', [0.4, -0.7]);
    expect(m.text).not.toContain('fillOut_for_');
  });

  test('jvp_f fills the array and its tangent, and returns both', () => {
    const out = [9, 9];
    const dout = [0, 0];
    const [value, tangent] = m.grad.jvp_squares([0.5, 2], 1.5, out, [1, 0], 0, dout);
    expect(value).toEqual([0.375, 6]);
    expect(tangent).toEqual([1.5, 0]);
    expect(out).toEqual([0.375, 6]);
    expect(dout).toEqual([1.5, 0]);
  });

  test("vjp_f takes the filled array's cotangent and gives the old contents' cotangent", () => {
    // out is overwritten: its old contents get no cotangent; accumulate reads them: 1 + sin(x).
    expect(m.grad.vjp_squares([0.5, 2], 1.5, [9, 9], [1, 1])).toEqual([[1.5, 6], 4.25, [0, 0]]);
    const [, dout] = m.grad.vjp_accumulate(Float64Array.from([0.5]), Float64Array.from([2]), [1]);
    expect(dout[0]).toBeCloseTo(1 + Math.sin(0.5), 14);
  });

  test('a filled array outside wrt(...): zero tangents and cotangents for its old contents, none asked of the caller', () => {
    const x = Float64Array.from([0.5, -1, 2]);
    const a = Float64Array.from([3, 4]);
    const dx = Float64Array.from([0.1, 0.2, -0.3]);
    const out = Float64Array.from([1, 1, 1]);
    const [value, tangent] = m.grad.jvp_scaleInto(x, a, 1, out, dx);
    expect(Array.from(value)).toEqual([3, -3, 9]);
    expect(Array.from(out)).toEqual([3, -3, 9]);
    // d out_i = a[1] dx_i: the old contents carry no tangent.
    for (let i = 0; i < 3; i++) expect(tangent[i]).toBeCloseTo(4 * dx[i]!, 14);
    // Against central differences of the source function along dx.
    const h = 1e-6;
    const plus = Float64Array.from([1, 1, 1]);
    const minus = Float64Array.from([1, 1, 1]);
    m.source.scaleInto(x.map((t, i) => t + h * dx[i]!), a, 1, plus);
    m.source.scaleInto(x.map((t, i) => t - h * dx[i]!), a, 1, minus);
    for (let i = 0; i < 3; i++) expect(tangent[i]).toBeCloseTo((plus[i]! - minus[i]!) / (2 * h), 8);
    // Reverse against forward: <dy, J dx> = <J^T dy, dx>.
    const dy = Float64Array.from([1, -2, 0.5]);
    const pulled = m.grad.vjp_scaleInto(x, a, 1, Float64Array.from([1, 1, 1]), dy);
    expect(Array.from(pulled)).toEqual([4, -8, 2]);
    const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => Array.from(u).reduce((acc, ui, i) => acc + ui * v[i]!, 0);
    expect(dot(dy, tangent)).toBeCloseTo(dot(pulled, dx), 14);
  });

  test("the derivatives' signatures return the filled array's type", () => {
    expect(m.text).toContain('export function jvp_squares(x: number[], k: number, out: number[], dx: number[], dk: number, dout: number[]): [number[], number[]]');
    expect(m.text).toMatch(/\(squares\(x, k, buf\), buf\)/);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('what stays refused says why and what to do instead', () => {
  const filler = '/** @differentiable */\nexport function fill2(x: number[], out: number[]): void { for (let i = 0; i < x.length; i++) out[i] = x[i]! * 2; }\n';
  const refusals: { name: string; code: string; message: string; hint: RegExp }[] = [
    { name: 'nothing filled', code: '/** @differentiable */\nexport function f(x: number): void { const y = x * 2; }', message: 'returns nothing and fills no array parameter', hint: /return the number/ },
    { name: 'two arrays filled', code: '/** @differentiable */\nexport function f(x: number, a: number[], b: number[]): void { a[0] = x; b[0] = x; }', message: 'fills a and b', hint: /fill one array/ },
    { name: 'return in a filler', code: '/** @differentiable */\nexport function f(x: number, a: number[]): void { if (x > 0) return; a[0] = x; }', message: 'return is not supported in it', hint: /guarding/ },
    { name: 'filling a parameter of the caller', code: filler + '/** @differentiable */\nexport function g(x: number[], o: number[]): number { fill2(x, o); return o[0]!; }', message: 'fill2 fills o, a parameter', hint: /local copy/ },
    { name: 'the filled array also read', code: filler + '/** @differentiable */\nexport function g(x: number[]): number { const b = x.slice(); fill2(b, b); return b[0]!; }', message: 'fill2 fills b and also reads it as another argument', hint: /b\.slice\(\)/ },
  ];
  for (const r of refusals) {
    test(r.name, () => {
      const result = compileSourceText('refused.ts', r.code);
      const first = result.diagnostics[0];
      expect(first, JSON.stringify(result.diagnostics)).toBeDefined();
      expect(first!.message).toContain(r.message);
      expect(first!.hint).toMatch(r.hint);
    });
  }
});
