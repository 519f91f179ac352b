/**
 * The Newton-CG example (examples/newton), run small: its loss compiled
 * with the real compiler (order(2)), Newton-CG on the generated hvp_loss
 * and gradient descent both reach the same loss from zero, Newton in far
 * fewer iterations; the generated hvp against central differences of the
 * generated gradient.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { maxRelError } from '../helpers/numeric.ts';
import { curvatureBound, gradientDescent, makeData, newtonCg, type Problem } from '../../examples/newton/solvers.ts';

const modelSource = readFileSync(new URL('../../examples/newton/model.ts', import.meta.url), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h5-newton-model', modelSource);
}, 240_000);

const n = 200;
const d = 5;
const l2 = 1e-3;

function problem(): Problem & { x: Float64Array; y: Float64Array } {
  const { x, y } = makeData(n, d, 3);
  return {
    x,
    y,
    size: d + 1,
    valueAndGrad: (w) => m.grad.valueAndGrad_loss(w, x, y, d, l2),
    hvp: (w, v) => m.grad.hvp_loss(w, x, y, d, l2, v),
  };
}

test('hvp_loss against central differences of grad_loss, on both sides of the softplus branch', () => {
  const p = problem();
  const w = Float64Array.from([0.5, -1, 0.3, 2, -0.7, 0.1]);
  const v = Float64Array.from([1, 0.5, -0.25, 0.3, -1, 0.8]);
  const h = 1e-6;
  const grad = (s: number) => m.grad.grad_loss(w.map((a, i) => a + s * h * v[i]!), p.x, p.y, d, l2) as Float64Array;
  const fd = Array.from(grad(1), (a, i) => (a - grad(-1)[i]!) / (2 * h));
  expect(maxRelError(Array.from(p.hvp(w, v)), fd)).toBeLessThan(1e-6);
});

test('Newton-CG and gradient descent reach the same loss; Newton in a handful of steps', () => {
  const p = problem();
  const optimum = newtonCg(p, { gradTol: 1e-10, maxIterations: 50 });
  expect(optimum.reached).toBe(true);
  const target = optimum.loss + 1e-6;
  const newton = newtonCg(p, { target, maxIterations: 50 });
  const gd = gradientDescent(p, { target, maxIterations: 100_000 }, 1 / curvatureBound(p.x, n, d, l2));
  expect(newton.reached && gd.reached).toBe(true);
  expect(newton.iterations).toBeLessThanOrEqual(10);
  expect(gd.iterations).toBeGreaterThan(20 * newton.iterations);
  expect(Math.abs(newton.loss - gd.loss)).toBeLessThan(1e-6);
});
