/**
 * checkGrad: accepts numbers, arrays, typed arrays and tensors nested in
 * structures, works in float64, reports per-parameter errors and catches
 * a wrong gradient. Also the structure helpers with Tensor leaves.
 */
import { expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';

type P = { t: Tensor; arr: Float32Array; n: number[] };

const f = (p: P, s: number): number => W.sum(W.mul(p.t, p.t)) * s + p.arr[0]! * p.arr[1]! + Math.sin(p.n[0]!) * s;
const gradF = (p: P, s: number): [P, number] => [
  { t: W.mul(p.t, 2 * s), arr: new Float32Array([p.arr[1]!, p.arr[0]!]), n: [Math.cos(p.n[0]!) * s] },
  W.sum(W.mul(p.t, p.t)) + Math.sin(p.n[0]!),
];
const args = (): [P, number] => [{ t: W.fromArray([0.3, -1.2]), arr: new Float32Array([2, 3]), n: [0.7] }, 1.5];

test('a correct gradient passes, in float64, with a line per parameter', () => {
  const report = W.checkGrad(f, gradF, args());
  expect(report.ok).toBe(true);
  expect(report.worst).toBeLessThan(1e-7);
  expect(report.parameters.map((p) => p.path)).toEqual(['args[0].t', 'args[0].arr', 'args[0].n[0]', 'args[1]']);
  expect(report.summary.split('\n')).toHaveLength(4);
});

test('wrt picks the differentiated arguments; a single one is not a tuple', () => {
  const report = W.checkGrad(f, (p: P, s: number) => gradF(p, s)[0], args(), { wrt: [0] });
  expect(report.ok).toBe(true);
  expect(report.parameters).toHaveLength(3);
});

test('a wrong gradient is reported with the worst element', () => {
  const wrong = (p: P, s: number): [P, number] => {
    const [g, gs] = gradF(p, s);
    return [{ ...g, t: W.mul(p.t, 2) }, gs];
  };
  const report = W.checkGrad(f, wrong, args());
  expect(report.ok).toBe(false);
  const t = report.parameters.find((p) => p.path === 'args[0].t')!;
  expect(t.worst).toBeCloseTo(1 / 3, 6);
  expect(t.analytic).toBeCloseTo(0.6, 6);
  expect(t.numeric).toBeCloseTo(0.9, 6);
});

test('int32 leaves are not differentiated; a missing gradient entry is an error', () => {
  const g = (x: Tensor, labels: Tensor) => W.sum(W.mul(x, W.cast(labels, 'float64')));
  const report = W.checkGrad(g, (_x: Tensor, labels: Tensor) => [W.cast(labels, 'float64'), null], [W.fromArray([1, 2]), W.fromArray(new Int32Array([3, 4]))]);
  expect(report.ok).toBe(true);
  expect(report.parameters).toHaveLength(1);
  expect(() => W.checkGrad(f, () => [{}, 0], args())).toThrow('checkGrad: the gradient has no numeric entry for args[0].t (got undefined)');
});

test('zerosLike, mapLike and flatten handle Tensor leaves', () => {
  const p = { w: W.fromArray([[1, 2]], undefined, 'float64'), b: [3, W.fromArray(new Int32Array([4]))] as const };
  const z = W.zerosLike(p);
  expect(z.w).toBeInstanceOf(Tensor);
  expect(z.w.shape).toEqual([1, 2]);
  expect(z.w.dtype).toBe('float64');
  expect(z.w.toArray()).toEqual([[0, 0]]);
  expect((z.b[1] as Tensor).dtype).toBe('int32');
  expect(W.flatten(p)).toEqual([1, 2, 3, 4]);
  const doubled = W.mapLike(p, (x) => 2 * x);
  expect(doubled.w.toArray()).toEqual([[2, 4]]);
  expect(W.flatten(W.unflatten(p, [9, 8, 7, 6]))).toEqual([9, 8, 7, 6]);
});
