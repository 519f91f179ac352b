/**
 * Tensor code differentiated by the compiler: runtime ops as primitives,
 * structured parameters with tensor leaves, a loop over layers, a branch
 * on a hyperparameter, stopGradient. Checked against finite differences in
 * float64 and forward mode against reverse mode.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { fromArray, randn, Tensor, flatten, unflatten, Rng } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, relu, sigmoid, softplus, leakyRelu, mul, sum, mean, softmaxCrossEntropy, logSoftmax, exp, stopGradient } from 'wengert';

export interface Layer { W: Tensor; b: Tensor }
export interface Net { layers: Layer[]; scale: Tensor }

/** @differentiable wrt(p) */
export function loss(p: Net, x: Tensor, labels: Int32Array, activation: number): number {
  let h = x;
  for (const layer of p.layers) {
    const z = add(matmul(h, layer.W), layer.b);
    h = activation === 0 ? tanh(z) : activation === 1 ? sigmoid(z) : softplus(z);
  }
  const logits = mul(h, p.scale);
  return softmaxCrossEntropy(logits, labels);
}

/** @differentiable */
export function mixed(a: Tensor, s: number): number {
  const t = mul(relu(a), s);
  const u = leakyRelu(a, 0.1);
  const lp = logSoftmax(add(t, u), 1);
  return (mean(mul(lp, exp(a))) as number) + s * s + (sum(mul(a, a)) as number);
}

/** @differentiable */
export function frozen(a: Tensor): number {
  return sum(mul(a, stopGradient(a))) as number;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('tensors', source);
});

const rng = new Rng(7);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

/** Gradient check for functions of structured tensor parameters, in float64. */
function check(name: string, args: any[], wrt: number[]) {
  const f = m.source[name];
  const grad = m.grad[`grad_${name}`](...args);
  const g = wrt.length === 1 ? flatten(grad) : flatten(grad);
  const fd = finiteDifferenceGradient(f, args, wrt, 1e-6);
  expect(maxRelError(g, fd)).toBeLessThan(1e-6);
  let k = 0;
  const dirs = wrt.map((i) => {
    const flat = flatten(args[i]).map(() => Math.sin(++k));
    return typeof args[i] === 'number' ? flat[0] : unflatten(args[i], flat);
  });
  const [y, dy] = m.grad[`jvp_${name}`](...args, ...dirs);
  expect(y).toBeCloseTo(f(...args), 12);
  expect(dy).toBeCloseTo(dotFlat(g, flatten(dirs)), 9);
  const [v] = m.grad[`valueAndGrad_${name}`](...args);
  expect(v).toBe(f(...args));
}

describe('tensor code', () => {
  test('an MLP loss with a loop over layers and a branch on the activation: gradient of the same structure', () => {
    const p = {
      layers: [
        { W: f64([4, 5]), b: f64([5]) },
        { W: f64([5, 3]), b: f64([3]) },
      ],
      scale: f64([3]),
    };
    const x = f64([6, 4]);
    const labels = Int32Array.from([0, 2, 1, 1, 0, 2]);
    for (const activation of [0, 1, 2]) check('loss', [p, x, labels, activation], [0]);
    const g = m.grad.grad_loss(p, x, labels, 0);
    expect(g.layers).toHaveLength(2);
    expect(g.layers[0].W).toBeInstanceOf(Tensor);
    expect(g.layers[0].W.shape).toEqual([4, 5]);
    expect(g.scale.shape).toEqual([3]);
  });

  test('tensors and numbers mixed, leakyRelu with a constant slope, logSoftmax over an axis', () => {
    const a = fromArray([[0.5, -1.2, 2], [-0.3, 0.8, -2.5]], undefined, 'float64');
    check('mixed', [a, 0.7], [0, 1]);
  });

  test('stopGradient: d/da sum(a * stopGradient(a)) = a, not 2a', () => {
    const a = fromArray([[0.5, -1.2, 2]], undefined, 'float64');
    expect(Array.from(m.grad.grad_frozen(a).dataSync())).toEqual([0.5, -1.2, 2]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
