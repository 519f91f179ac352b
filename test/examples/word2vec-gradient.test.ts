/**
 * The generated gradients of the word2vec group losses
 * (examples/word2vec/loss.ts): reverse mode against central finite
 * differences, forward mode against reverse mode (jvp(x, v) = grad(x) . v),
 * and the float32 buffers training uses against the float64 ones.
 *
 * The finite-difference checks run on Float64Array buffers, so steps of
 * 1e-6 are meaningful; the generated code only indexes its array
 * arguments, so it runs unchanged on them (its gradient is then a
 * Float64Array too).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { Rng } from 'wengert';
import { checkDerivatives } from '../helpers/check.ts';
import { generateWord2vecDerivatives } from '../../examples/word2vec/generate.ts';

type Module = Record<string, (...args: any[]) => any>;
let mod: { source: Module; grad: Module };

beforeAll(async () => {
  generateWord2vecDerivatives();
  mod = {
    source: (await import('../../examples/word2vec/loss.ts')) as unknown as Module,
    grad: (await import('../../examples/word2vec/loss.grad.ts')) as unknown as Module,
  };
}, 120_000);

/** Values of embedding-row size, some large enough to reach both branches of the stable log-sigmoid. */
function randomRows(length: number, seed: number, scale: number): Float64Array {
  const random = new Rng(seed);
  return Float64Array.from({ length }, () => (random.uniform() - 0.5) * scale);
}

const labels = Float32Array.from([1, 0, 0, 0]);

describe('skipGramLoss', () => {
  const dim = 6;
  const count = 4;

  test.each([
    ['small rows (dot products near 0)', 1, 0.2],
    ['large rows (dot products of both signs beyond +-1)', 2, 2.5],
  ])('%s: reverse against finite differences, forward against reverse', (_, seed, scale) => {
    const rows = randomRows((count + 1) * dim, seed, scale);
    const gradient = checkDerivatives(mod, 'skipGramLoss', [rows, labels, count, dim], { wrt: [0], fdTol: 1e-6 });
    expect(gradient).toHaveLength((count + 1) * dim);
  });

  test('the gradient matches the closed form: d/d input = sum_j (sigmoid(dot_j) - label_j) output_j', () => {
    const rows = randomRows((count + 1) * dim, 3, 1);
    const gradient = mod.grad.grad_skipGramLoss!(rows, labels, count, dim) as Float64Array;
    for (let i = 0; i < dim; i++) {
      let expected = 0;
      for (let j = 0; j < count; j++) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += rows[k]! * rows[(j + 1) * dim + k]!;
        expected += (1 / (1 + Math.exp(-dot)) - labels[j]!) * rows[(j + 1) * dim + i]!;
      }
      expect(gradient[i]).toBeCloseTo(expected, 12);
    }
  });

  test('rows past `count` get a zero gradient (the buffer is larger than the group)', () => {
    const rows = randomRows((count + 3) * dim, 4, 1);
    const gradient = mod.grad.grad_skipGramLoss!(rows, labels, 2, dim) as Float64Array;
    expect(Array.from(gradient.subarray(3 * dim))).toEqual(new Array(4 * dim).fill(0));
    expect(gradient.subarray(0, 3 * dim).some((g) => g !== 0)).toBe(true);
  });

  test('float32 buffers, as training passes them, give the float64 gradient to float32 precision', () => {
    const rows64 = randomRows((count + 1) * dim, 5, 1);
    const rows32 = Float32Array.from(rows64);
    const g64 = mod.grad.grad_skipGramLoss!(Float64Array.from(rows32), labels, count, dim) as Float64Array;
    const [value32, g32] = mod.grad.valueAndGrad_skipGramLoss!(rows32, labels, count, dim) as [number, Float32Array];
    expect(g32).toBeInstanceOf(Float32Array);
    expect(value32).toBeCloseTo(mod.source.skipGramLoss!(rows32, labels, count, dim), 10);
    for (let i = 0; i < g64.length; i++) expect(Math.abs(g32[i]! - g64[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(g64[i]!)));
  });
});

describe('cbowLoss', () => {
  const dim = 5;
  const count = 4;

  test.each([
    ['one context row', 1, 11, 0.3],
    ['three context rows', 3, 12, 2],
    ['six context rows', 6, 13, 1],
  ])('%s: reverse against finite differences, forward against reverse', (_, contextCount, seed, scale) => {
    const rows = randomRows((contextCount + count) * dim, seed, scale);
    const gradient = checkDerivatives(mod, 'cbowLoss', [rows, contextCount, labels, count, dim], { wrt: [0], fdTol: 1e-6 });
    expect(gradient).toHaveLength((contextCount + count) * dim);
  });

  test('every context row gets the same gradient: 1/contextCount of the hidden layer gradient', () => {
    const contextCount = 3;
    const rows = randomRows((contextCount + count) * dim, 14, 1);
    const gradient = mod.grad.grad_cbowLoss!(rows, contextCount, labels, count, dim) as Float64Array;
    for (let c = 1; c < contextCount; c++) {
      for (let i = 0; i < dim; i++) expect(gradient[c * dim + i]).toBeCloseTo(gradient[i]!, 14);
    }
    // Skip-gram on the mean vector gives the hidden-layer gradient.
    const asSkipGram = new Float64Array((count + 1) * dim);
    for (let c = 0; c < contextCount; c++) for (let i = 0; i < dim; i++) asSkipGram[i]! += rows[c * dim + i]! / contextCount;
    asSkipGram.set(rows.subarray(contextCount * dim), dim);
    const hidden = mod.grad.grad_skipGramLoss!(asSkipGram, labels, count, dim) as Float64Array;
    for (let i = 0; i < dim; i++) expect(gradient[i]).toBeCloseTo(hidden[i]! / contextCount, 12);
    for (let i = 0; i < count * dim; i++) expect(gradient[contextCount * dim + i]).toBeCloseTo(hidden[dim + i]!, 12);
  });
});
