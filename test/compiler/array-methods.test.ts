/**
 * Array methods on number arrays (issue #10, item 6): slice(a, b),
 * concat, indexOf, fill, reverse, lowered to loops of loads, stores and
 * pushes, and pop and shift (the IR's `pop`: the element's cotangent goes
 * back into the array's adjoint in the reverse sweep). Each function is checked in reverse mode against central finite
 * differences and in forward mode against reverse mode, at points away from
 * the discontinuities of indexOf; the generated file type-checks under
 * strict; mutating a parameter stays refused with a hint.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceText } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** slice with literal, negative, computed and missing bounds. @differentiable wrt(xs, a) */
export function slices(xs: number[], a: number, cut: number): number {
  const mid = xs.slice(1, 3);
  const tail = xs.slice(-2);
  const from = xs.slice(cut);
  const none = xs.slice(5, 2);
  let s = 0;
  for (let i = 0; i < mid.length; i++) s += mid[i]! * (i + 1);
  for (const v of tail) s += v * v;
  for (const v of from) s += Math.sin(v);
  return s * a + none.length;
}

/** slice of a Float64Array is a Float64Array. @differentiable */
export function typedSlice(xs: Float64Array): number {
  const part = xs.slice(1, -1);
  let s = 0;
  for (let i = 0; i < part.length; i++) s += part[i]! * part[i]! * (i + 2);
  return s;
}

/** concat of arrays, array literals and numbers. @differentiable */
export function concatenated(xs: number[], ys: number[], x: number): number {
  const all = xs.concat(ys, [x, 2 * x], 3);
  let s = 0;
  for (let i = 0; i < all.length; i++) s += all[i]! * all[i]! * (i + 1);
  return s;
}

/** reverse in place and on a copy, fill on a copy and in place, new Array(n).fill(v). @differentiable */
export function reversedAndFilled(xs: number[], x: number): number {
  const r = xs.slice().reverse();
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * (i + 1);
  const z = new Array(3).fill(x);
  s += z[0]! * z[2]!;
  const w = [x, 1, 2, 3 * x, xs[0]!];
  w.reverse();
  w.fill(x * x, 1, 3);
  s += w[0]! * 10 + w[1]! + w[2]! * 2 + w[3]! * 3 + w[4]! * 5;
  const f = new Float64Array(4).fill(0.5 * x);
  f.fill(xs[1]!, -1);
  return s + f[0]! * f[3]!;
}

/** A stack: pushed, then popped until empty. @differentiable */
export function stack(xs: number[], x: number): number {
  const st: number[] = [];
  for (const v of xs) st.push(v * x);
  st.push(x);
  let s = 0;
  let k = 1;
  while (st.length > 0) {
    const top = st.pop()!;
    s += top * top * k;
    k++;
  }
  return s;
}

/** A queue: shifted in pairs, their combination pushed back. @differentiable */
export function queue(xs: number[], x: number): number {
  const q = xs.slice();
  q.push(x * x);
  while (q.length > 1) {
    const a = q.shift()!;
    const b = q.shift()!;
    q.push(a * b + Math.sin(a));
  }
  const last = q[0]!;
  q.pop();
  return last + q.length;
}

/** Elements popped and shifted without being used, then the array read. @differentiable */
export function dropped(xs: number[], x: number): number {
  const a = [x, 2 * x, 3 * x];
  a.pop();
  const first = a.shift()!;
  a.push(xs[0]! * x);
  return a[0]! * a[1]! + first;
}

/** indexOf on a constant array and a local one, with a start. @differentiable wrt(xs) */
export function indexes(xs: number[], keys: number[], key: number): number {
  const k = keys.indexOf(key);
  const j = keys.indexOf(key, k + 1);
  const missing = keys.indexOf(-99);
  const picked = k >= 0 ? xs[k]! : 0;
  return picked * picked + (j >= 0 ? 3 * xs[j]! : 0) + missing;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('i10-array-methods', source);
});

describe('array methods on number arrays', () => {
  test('slice with literal, negative, computed and empty ranges', () => {
    for (const cut of [0, 2, -1, 7]) checkDerivatives(m, 'slices', [[0.5, 2, -1.5, 0.8], 1.7, cut], { wrt: [0, 1] });
    expect(m.grad.grad_slices([1, 2, 3, 4], 1, 0)[0]).toHaveLength(4);
  });

  test('slice of a Float64Array', () => {
    checkDerivatives(m, 'typedSlice', [Float64Array.from([0.5, -1, 2, 0.25, 3])]);
    expect(m.grad.grad_typedSlice(Float64Array.from([1, 2, 3]))).toBeInstanceOf(Float64Array);
  });

  test('concat of arrays, literals and numbers', () => {
    checkDerivatives(m, 'concatenated', [[0.5, -1], [2, 0.3, -0.7], 0.9]);
  });

  test('reverse and fill, in place and on copies', () => {
    checkDerivatives(m, 'reversedAndFilled', [[0.5, 2, -1.5], 0.8]);
    checkDerivatives(m, 'reversedAndFilled', [[-0.3, 1.2, 0.7, 2.5], -1.1]);
  });

  test('indexOf finds the first match from a start, or -1; the index carries no derivative', () => {
    const keys = [4, 7, 4, 9];
    for (const key of [4, 9, 5]) checkDerivatives(m, 'indexes', [[0.5, 2, -1.5, 0.8], keys, key], { wrt: [0] });
    // key 4 is at 0 and 2: 2 xs[0] at 0, 3 at 2, and -1 for the missing key.
    expect(m.grad.grad_indexes([0.5, 2, -1.5, 0.8], keys, 4)).toEqual([1, 0, 3, 0]);
    expect(m.source.indexes([0.5, 2, -1.5, 0.8], keys, 4)).toBeCloseTo(0.25 - 4.5 - 1, 12);
  });

  test('pop and shift: stacks and queues', () => {
    for (const xs of [[0.5, 2, -1.5, 0.8], [1.2], []]) {
      checkDerivatives(m, 'stack', [xs, 0.7]);
      checkDerivatives(m, 'queue', [xs, -0.6]);
    }
    checkDerivatives(m, 'dropped', [[0.5, 2], 0.7]);
    // d/dx of 2x * xs0 x + x = 4 xs0 x + 1.
    expect(m.grad.grad_dropped([0.5, 2], 0.7)[1]).toBeCloseTo(4 * 0.5 * 0.7 + 1, 12);
  });

  test('pop emits the array method and its adjoint as a push', () => {
    const body = m.text.slice(m.text.indexOf('function valueAndVjp_stack'), m.text.indexOf('function vjp_stack'));
    expect(body).toContain('const top = st.pop()!;');
    expect(body).toContain('dst.pop();');
    expect(body).toMatch(/dst\.push\(dtop\);/);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('what stays refused says why and what to do instead', () => {
  const refusals: { name: string; code: string; message: string; hint: RegExp }[] = [
    { name: 'reverse of a parameter', code: '/** @differentiable */\nexport function f(xs: number[]): number { xs.reverse(); return xs[0]!; }', message: 'reverse would change xs, a parameter', hint: /xs\.slice\(\)/ },
    { name: 'fill of a parameter', code: '/** @differentiable */\nexport function f(xs: number[], x: number): number { xs.fill(x); return xs[0]!; }', message: 'fill would change xs, a parameter', hint: /copy/ },
    { name: 'pop of a parameter', code: '/** @differentiable */\nexport function f(xs: number[]): number { return xs.pop()!; }', message: 'pop would change xs, a parameter', hint: /slice/ },
    { name: 'pop of a Float64Array', code: '/** @differentiable */\nexport function f(xs: Float64Array): number { const a = xs.slice(); return a.pop()!; }', message: 'pop', hint: /./ },
    { name: 'sort', code: '/** @differentiable */\nexport function f(xs: number[]): number { const s = xs.slice().sort(); return s[0]!; }', message: 'sort is not supported on arrays', hint: /sort outside/ },
    { name: 'splice', code: '/** @differentiable */\nexport function f(xs: number[]): number { const s = xs.slice(); s.splice(0, 1); return s[0]!; }', message: 'splice is not supported on arrays', hint: /slice and concat/ },
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
