/**
 * The CPU column sums (runtime/backends/cpu/reduce.ts) add four rows per
 * pass over their float64 accumulators: the same additions in the same
 * order as one row at a time, so the same bits, for every remainder of
 * the row count by 4 and in float32 and float64.
 */
import { expect, test } from 'vitest';
import { reduceKernel } from '../../runtime/backends/cpu/reduce.ts';
import { Rng } from '../../runtime/rng.ts';

/** out[o, i] = sum over k, in order, of x[o, k, i], in a float64 sum rounded once into `out`'s type. */
function columnSums(x: Float32Array | Float64Array, out: Float32Array | Float64Array, outer: number, r: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += x[(o * r + k) * inner + i]!;
      out[o * inner + i] = s;
    }
  }
}

test('column sums over 0 to 9 rows (every remainder by 4), several outer blocks, float32 and float64: bit-identical to a row-at-a-time sum', () => {
  const rng = new Rng(3);
  for (const Ctor of [Float32Array, Float64Array]) {
    for (let r = 0; r <= 9; r++) {
      for (const [outer, inner] of [[1, 128], [3, 7], [2, 1001]] as const) {
        const x = new Ctor(outer * r * inner);
        for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 1e3 + rng.uniform();
        const got = new Ctor(outer * inner);
        const want = new Ctor(outer * inner);
        reduceKernel('sum', x, got, outer, r, inner);
        columnSums(x, want, outer, r, inner);
        let differ = 0;
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ++;
        expect(differ, `${Ctor.name} r=${r} outer=${outer} inner=${inner}`).toBe(0);
      }
    }
  }
});
