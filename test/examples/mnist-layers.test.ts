/**
 * The layer helpers of the MNIST example (examples/mnist-mlp/model.ts:
 * `dense`, `nonlinearity`, `squaredNorm`) and `regularizedLoss`, the
 * training script's loss built from them, compiled with the real compiler:
 * reverse mode against central finite differences in float64 and forward
 * mode against reverse, for each training option; each helper's vjp
 * against its jvp; and `loss`, the function bench/mlp times, still written
 * out (its generated gradient calls no helper, so it recomputes nothing).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, retain, Rng, unflatten, type Tensor } from 'wengert';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';
import type { Params } from '../../examples/mnist-mlp/model.ts';

const modelSource = readFileSync(new URL('../../examples/mnist-mlp/model.ts', import.meta.url), 'utf8');

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('mnist-layers-model', modelSource);
});

const rng = new Rng(21);
const f64 = (shape: readonly number[], std = 1) => randn(shape, rng, { dtype: 'float64', std });

/** 6 inputs, 5 hidden units, 4 classes, a batch of 7. */
function small(): { p: Params; x: Tensor; labels: Int32Array } {
  return {
    p: { W1: f64([6, 5], 0.7), b1: f64([5], 0.3), W2: f64([5, 4], 0.7), b2: f64([4], 0.3) },
    x: f64([7, 6]),
    labels: Int32Array.from([0, 3, 1, 2, 2, 0, 3]),
  };
}

describe('regularizedLoss, built from dense, nonlinearity and squaredNorm', () => {
  test.each([
    ['tanh, no dropout, no L2', false, 0, 0],
    ['ReLU, dropout 0.3, L2 0.02', true, 0.3, 0.02],
    ['tanh, dropout 0.5, L2 0.1', false, 0.5, 0.1],
  ])('%s: reverse against finite differences, forward against reverse', (_, useRelu, rate, l2) => {
    const { p, x, labels } = small();
    const gradient = checkDerivatives(m, 'regularizedLoss', [p, x, labels, useRelu, rate, 9, l2], { wrt: [0], fdTol: 1e-6 });
    expect(gradient).toHaveLength(6 * 5 + 5 + 5 * 4 + 4);
  });

  test('the L2 term adds l2 * W to the gradient of each weight, and nothing to the biases', () => {
    const { p, x, labels } = small();
    // Retained: the second call would release the first one's gradient when it returns.
    const without = retain(m.grad.grad_regularizedLoss(p, x, labels, true, 0.3, 9, 0) as Params);
    const withL2 = m.grad.grad_regularizedLoss(p, x, labels, true, 0.3, 9, 0.1) as Params;
    const added = (k: keyof Params) => flatten(withL2[k]).map((g, i) => g - flatten(without[k])[i]!);
    for (const [i, d] of added('W1').entries()) expect(d).toBeCloseTo(0.1 * flatten(p.W1)[i]!, 12);
    for (const [i, d] of added('W2').entries()) expect(d).toBeCloseTo(0.1 * flatten(p.W2)[i]!, 12);
    for (const d of [...added('b1'), ...added('b2')]) expect(d).toBeCloseTo(0, 12);
  });
});

describe('the helpers', () => {
  /** <dy, J v> = <J^T dy, v> for a helper returning a Tensor. */
  function vjpAgainstJvp(name: string, args: unknown[], wrt: number[]) {
    const out = m.source[name](...args) as Tensor;
    const dy = f64(out.shape);
    const dirs = wrt.map((i) => unflatten(args[i], flatten(args[i]).map(() => rng.normal())));
    const [value, jv] = m.grad[`jvp_${name}`](...args, ...dirs);
    expect(flatten(value)).toEqual(flatten(out));
    const cotangents = m.grad[`vjp_${name}`](...args, dy);
    const lhs = dotFlat(flatten(dy), flatten(jv));
    const rhs = dotFlat(flatten(cotangents), flatten(dirs));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
  }

  test('dense(x, W, b)', () => vjpAgainstJvp('dense', [f64([7, 6]), f64([6, 5]), f64([5])], [0, 1, 2]));
  test('nonlinearity(z, useRelu), both ways', () => {
    for (const useRelu of [false, true]) vjpAgainstJvp('nonlinearity', [f64([7, 5]), useRelu], [0]);
  });
  test('squaredNorm(W): reverse against finite differences, forward against reverse', () => {
    const gradient = checkDerivatives(m, 'squaredNorm', [f64([3, 4])], { fdTol: 1e-7 });
    expect(gradient).toHaveLength(12);
  });
});

test("loss, the benchmark's function, is still written out: its generated gradient calls no helper", () => {
  const section = m.text.slice(m.text.indexOf('// ---- loss ('), m.text.indexOf('// ---- ', m.text.indexOf('// ---- loss (') + 1));
  expect(section).toContain('export function valueAndVjp_loss(');
  expect(section).not.toMatch(/\b(valueAndVjp_|jvp_)?(dense|nonlinearity|squaredNorm)\(/);
  const { p, x, labels } = small();
  checkDerivatives(m, 'loss', [p, x, labels], { wrt: [0], fdTol: 1e-6 });
});

test('the generated file type-checks under strict', () => {
  expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
});
