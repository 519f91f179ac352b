/**
 * The WebAssembly SIMD matrix product against the TypeScript reference
 * kernel and a float64 triple loop, over shapes that hit every edge of the
 * register blocking (rows not a multiple of 4, columns not a multiple of
 * 8 or 4), transposed operands and broadcast batches.
 */
import { afterAll, expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';
import { moduleBytes } from '../../runtime/backends/cpu/simd-gemm.ts';

afterAll(() => W.setSimdEnabled(true));

/** C = op(A) op(B) by a float64 triple loop. */
function reference(a: Tensor, b: Tensor, ta: boolean, tb: boolean): number[] {
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const n = tb ? br : bc;
  const A = a.dataSync();
  const B = b.dataSync();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ta ? p * ac + i : i * ac + p]! * B[tb ? j * bc + p : p * bc + j]!;
      out.push(s);
    }
  }
  return out;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 16],
  [5, 9, 33],
  [13, 300, 10],
  [128, 784, 128],
  [67, 40, 129],
];

test('SIMD is available on this Node; the module stays under the 4 KB browsers compile on the main thread', () => {
  expect(W.simdAvailable()).toBe(true);
  W.matmul(W.ones([64, 64]), W.ones([64, 64]));
  expect(moduleBytes).toBeGreaterThan(0);
  expect(moduleBytes).toBeLessThan(4096);
});

for (const simd of [true, false]) {
  test(`float32 matmul (${simd ? 'SIMD' : 'TypeScript'} kernel) matches a float64 triple loop`, () => {
    W.setSimdEnabled(simd);
    let seed = 1;
    for (const [m, k, n] of shapes) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const a = W.randu(ta ? [k, m] : [m, k], seed++, { low: -1, high: 1 });
        const b = W.randu(tb ? [n, k] : [k, n], seed++, { low: -1, high: 1 });
        const got = W.matmul(a, b, ta, tb);
        expect(got.shape).toEqual([m, n]);
        const want = reference(a, b, ta, tb);
        const data = got.dataSync();
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[i]! - want[i]!));
        expect(worst, `${m}x${k}x${n} ta=${ta} tb=${tb}`).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
      }
    }
  });
}

test('batched matmul broadcasts batch dimensions; float64 stays float64', () => {
  const a = W.randu([2, 1, 5, 6], 1, { dtype: 'float64' });
  const b = W.randu([3, 6, 4], 2, { dtype: 'float64' });
  const c = W.matmul(a, b);
  expect(c.shape).toEqual([2, 3, 5, 4]);
  expect(c.dtype).toBe('float64');
  const a1 = W.reshape(W.slice(a, [1, 0, 0, 0], [1, 1, 5, 6]), [5, 6]);
  const b2 = W.reshape(W.slice(b, [2, 0, 0], [1, 6, 4]), [6, 4]);
  const c12 = W.reshape(W.slice(c, [1, 2, 0, 0], [1, 1, 5, 4]), [5, 4]);
  expect(Array.from(c12.dataSync())).toEqual(reference(a1, b2, false, false).map((v) => expect.closeTo(v, 12)));
});
