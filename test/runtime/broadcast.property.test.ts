/**
 * Property tests (fast-check) of the strided CPU kernels against a naive
 * index-by-index reference: broadcasting binary ops and `where` over random
 * broadcastable shapes (ranks 0-4, size-1 dimensions anywhere), reductions
 * over random axis sets (contiguous or not, keepdims or not), transpose
 * with random permutations, and unbroadcast as the adjoint of broadcastTo.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import * as W from 'wengert';
import { Tensor } from 'wengert';

/** Values of a tensor at a multi-index, broadcasting from the right. */
function at(t: Tensor, idx: number[]): number {
  const data = t.dataSync();
  let offset = 0;
  let stride = 1;
  for (let d = t.rank - 1; d >= 0; d--) {
    const i = idx[idx.length - t.rank + d]!;
    offset += (t.shape[d] === 1 ? 0 : i) * stride;
    stride *= t.shape[d]!;
  }
  return data[offset]!;
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const idx = shape.map(() => 0);
  const size = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < size; k++) {
    yield idx.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** A full shape and two operand shapes that broadcast to it. */
const broadcastable = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 })
  .chain((full) =>
    fc.tuple(
      fc.constant(full),
      ...[0, 1].map(() =>
        fc.tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length })).map(([drop, ones]) =>
          full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)),
        ),
      ),
    ),
  );

let seed = 1;
const tensor = (shape: number[]) => W.randu(shape, seed++, { low: -2, high: 2, dtype: 'float64' });

test('binary ops and where broadcast like the index-by-index reference', () => {
  fc.assert(
    fc.property(broadcastable, ([, sa, sb]) => {
      const a = tensor(sa as number[]);
      const b = tensor(sb as number[]);
      for (const [op, f] of [
        [W.add, (x: number, y: number) => x + y],
        [W.mul, (x: number, y: number) => x * y],
        [W.maximum, (x: number, y: number) => Math.max(x, y)],
      ] as const) {
        const out = op(a, b) as Tensor;
        for (const idx of indices(out.shape)) expect(at(out, idx)).toBe(f(at(a, idx), at(b, idx)));
      }
      const w = W.where(W.greater(a, 0), a, b);
      for (const idx of indices(w.shape)) expect(at(w, idx)).toBe(at(a, idx) > 0 ? at(a, idx) : at(b, idx));
    }),
    { numRuns: 150 },
  );
});

test('sum and max over any axis set, with and without keepdims', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
        fc.tuple(fc.constant(shape), fc.subarray([...shape.keys()], { minLength: 1 }), fc.boolean()),
      ),
      ([shape, axes, keepdims]) => {
        const x = tensor(shape);
        const s = W.sum(x, axes, true);
        const m = W.max(x, axes, true);
        const expectedSum = new Map<string, number>();
        const expectedMax = new Map<string, number>();
        for (const idx of indices(shape)) {
          const key = idx.map((v, d) => (axes.includes(d) ? 0 : v)).join(',');
          expectedSum.set(key, (expectedSum.get(key) ?? 0) + at(x, idx));
          expectedMax.set(key, Math.max(expectedMax.get(key) ?? -Infinity, at(x, idx)));
        }
        for (const idx of indices(s.shape)) {
          expect(at(s, idx)).toBeCloseTo(expectedSum.get(idx.join(','))!, 12);
          expect(at(m, idx)).toBe(expectedMax.get(idx.join(','))!);
        }
        const dropped = W.sum(x, axes, keepdims);
        expect(dropped.shape).toEqual(keepdims ? s.shape : shape.filter((_, d) => !axes.includes(d)));
      },
    ),
    { numRuns: 150 },
  );
});

test('transpose moves every element; unbroadcast is the adjoint of broadcastTo', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
        fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length })),
      ),
      ([shape, perm]) => {
        const x = tensor(shape);
        const t = W.transpose(x, perm);
        for (const idx of indices(shape)) expect(at(t, perm.map((p) => idx[p]!))).toBe(at(x, idx));
      },
    ),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(broadcastable, ([full, sa]) => {
      const x = tensor(sa as number[]);
      const g = tensor(full as number[]);
      const lhs = W.sum(W.mul(W.broadcastTo(x, full as number[]), g));
      const rhs = W.sum(W.mul(x, W.unbroadcast(g, x)));
      expect(lhs).toBeCloseTo(rhs, 10);
    }),
    { numRuns: 100 },
  );
});
