/**
 * Local arrays of tensors (issue #10 item 1): `const hs: Tensor[] = []`,
 * `hs.push(h)`, `hs[t]`, `hs.length`, `for (const h of hs)`, copies, a
 * `Tensor[]` passed to a helper, `concat(hs, 0)` and `stack(hs)` of computed
 * tensors and of array literals. Reverse mode against central finite
 * differences in float64, forward against reverse, the emitted code under
 * strict, and the located refusal of writing into an element.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { randn, Rng } from 'wengert';
import { formatDiagnostic } from 'wengert/compiler';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, mul, sum, concat, stack, slice } from 'wengert';

/** A Tensor[] argument, summed. @differentiable */
export function total(xs: Tensor[]): number {
  let s = 0;
  for (const x of xs) s += sum(mul(x, x)) as number;
  return s;
}

/** States pushed in a loop, read by index and by for...of, concatenated and stacked. @differentiable wrt(W, h0) */
export function unrolled(W: Tensor, h0: Tensor, n: number): number {
  const hs: Tensor[] = [];
  let h = h0;
  for (let t = 0; t < n; t++) {
    h = tanh(matmul(h, W));
    hs.push(h);
  }
  let s = 0;
  for (let t = 0; t < hs.length; t++) s += (sum(hs[t]!) as number) * (t + 1);
  for (const x of hs) s += sum(mul(x, h0)) as number;
  const all = concat(hs, 0);
  const st = stack(hs, 1);
  return s + (sum(mul(all, all)) as number) + (sum(mul(st, st)) as number) + total(hs) + total(hs.slice());
}

/** Literal lists: concat([a, b], 1), stack([a, b]), a local literal list. @differentiable */
export function literals(a: Tensor, b: Tensor): number {
  const ab = concat([a, mul(a, b)], 1);
  const parts = [tanh(a), b];
  const st = stack(parts);
  return (sum(mul(ab, ab)) as number) + (sum(mul(st, tanh(st))) as number) + total([a, b]);
}

/** Elements read at computed indexes, the last one as hs[hs.length - 1]. @differentiable wrt(x) */
export function picks(x: Tensor, k: number): number {
  const hs: Tensor[] = [x];
  for (let i = 0; i < 3; i++) hs.push(mul(hs[i]!, tanh(x)));
  const last = hs[hs.length - 1]!;
  return (sum(hs[k % hs.length]!) as number) + (sum(mul(last, slice(x, [0, 0], [1, 2]))) as number);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h4-tensor-arrays', source);
});

const rng = new Rng(777);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

describe('local arrays of tensors', () => {
  test('a Tensor[] parameter iterated', () => {
    checkDerivatives(m, 'total', [[f64([2, 2]), f64([3])]]);
  });

  test('states pushed in a loop, read by index and for...of, concat and stack of them', () => {
    for (const n of [1, 2, 4]) checkDerivatives(m, 'unrolled', [f64([3, 3]), f64([2, 3]), n], { wrt: [0, 1] });
  });

  test('array literals of tensors passed to concat, stack and a helper', () => {
    checkDerivatives(m, 'literals', [f64([2, 2]), f64([2, 2])]);
  });

  test('elements read at computed indexes', () => {
    for (const k of [0, 2, 5]) checkDerivatives(m, 'picks', [f64([2, 2]), k], { wrt: [0] });
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('refused, with a located error and a hint', () => {
  test('writing a tensor into an element of a local array', () => {
    const { result } = compileFixture('h4-tensor-arrays-refused', `
import { Tensor, tanh, sum } from 'wengert';
/** @differentiable */
export function f(a: Tensor): number {
  const hs: Tensor[] = [a];
  hs[0] = tanh(a);
  return sum(hs[0]!) as number;
}
`);
    const text = result.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/h4-tensor-arrays-refused\.ts:6:3: error: cannot assign to hs\[0\]/);
    expect(text).toMatch(/hint: /);
  });
});

describe('the runtime stack op', () => {
  test('stack(xs, axis) puts a new axis at axis (negative from the end) and refuses shapes that differ', async () => {
    const { stack, fromArray, unstackLike } = await import('wengert');
    const a = fromArray([1, 2, 3, 4, 5, 6], [2, 3], 'float64');
    const b = fromArray([7, 8, 9, 10, 11, 12], [2, 3], 'float64');
    expect(stack([a, b]).shape).toEqual([2, 2, 3]);
    expect(stack([a, b], 1).shape).toEqual([2, 2, 3]);
    const last = stack([a, b], -1);
    expect(last.shape).toEqual([2, 3, 2]);
    expect(Array.from(last.dataSync())).toEqual([1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12]);
    const [ga, gb] = unstackLike(last, [a, b], -1);
    expect(Array.from(ga!.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(gb!.dataSync())).toEqual([7, 8, 9, 10, 11, 12]);
    expect(() => stack([a, fromArray([1, 2], [2], 'float64')])).toThrow(/stack: shapes \[2,3\] and \[2\] differ/);
    expect(() => stack([])).toThrow(/needs at least one tensor/);
  });
});
