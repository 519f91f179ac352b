/**
 * The WebAssembly SIMD matrix product against the TypeScript reference
 * kernel and a float64 triple loop, over shapes that hit every edge of the
 * register blocking (rows not a multiple of 4, columns not a multiple of
 * 8 or 4), transposed operands and broadcast batches.
 */
import { afterAll, expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';
import { gemmJs, type GemmArgs } from '../../runtime/backends/cpu/matmul.ts';
import { gemmSimd, moduleBytes } from '../../runtime/backends/cpu/simd-gemm.ts';

afterAll(() => W.setSimdEnabled(true));

/** C = op(A) op(B) by a float64 triple loop. */
function worstDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

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
  // the packing's edges: k not a multiple of 4 and above the kernel's k block (256),
  // columns past the last full panel of 8 (1 to 4 and 5 to 7 left), a lone row
  [257, 3, 1],
  [1, 257, 3],
  [9, 601, 17],
  [6, 513, 12],
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
        const worst = worstDifference(got.dataSync(), want);
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

test('float32 batched matmul with broadcast batch dimensions: the SIMD kernel agrees with the TypeScript one', () => {
  for (const [ta, tb] of [
    [false, false],
    [true, true],
  ] as const) {
    const a = W.randu(ta ? [2, 1, 257, 3] : [2, 1, 3, 257], 5, { low: -1, high: 1 });
    const b = W.randu(tb ? [3, 9, 257] : [3, 257, 9], 6, { low: -1, high: 1 });
    W.setSimdEnabled(true);
    const simd = W.matmul(a, b, ta, tb);
    W.setSimdEnabled(false);
    const js = W.matmul(a, b, ta, tb);
    W.setSimdEnabled(true);
    expect(simd.shape).toEqual([2, 3, 3, 9]);
    expect(worstDifference(simd.dataSync(), js.dataSync()), `ta=${ta} tb=${tb}`).toBeLessThan(1e-5 * Math.sqrt(257));
  }
});

test('the SIMD kernel called directly (below the size the backend sends it) agrees with the TypeScript one, and writes only C', () => {
  const rng = new W.Rng(3);
  for (const [m, k, n] of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      // operands at offsets inside longer arrays, C between two guard values
      const a = Float32Array.from({ length: m * k + 5 }, () => 2 * rng.uniform() - 1);
      const b = Float32Array.from({ length: k * n + 7 }, () => 2 * rng.uniform() - 1);
      const args = (c: Float32Array): GemmArgs => ({
        a, aOff: 2, ars: ta ? 1 : k, acs: ta ? m : 1,
        b, bOff: 3, brs: tb ? 1 : n, bcs: tb ? k : 1,
        c, cOff: 1, m, n, k,
      });
      const simd = new Float32Array(m * n + 2).fill(7);
      const js = new Float32Array(m * n + 2).fill(7);
      expect(gemmSimd(args(simd))).toBe(true);
      gemmJs(args(js));
      expect([simd[0], simd[m * n + 1]]).toEqual([7, 7]);
      expect(worstDifference(simd, js), `${m}x${k}x${n} ta=${ta} tb=${tb}`).toBeLessThan(1e-6 * k);
    }
  }
});
