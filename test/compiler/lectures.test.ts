/**
 * The lectures' worked examples, built with the real compiler and run.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';
import { lectureSources } from '../helpers/lecture-sources.ts';

const source = lectureSources();

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('lectures', source);
});

describe('lecture examples', () => {
  test('x1^2 + (x1 - x2) - log(x1^2 + x2^2) has gradient (4.2, -1.4) at (2, 1)', () => {
    const [g1, g2] = m.grad.grad_seed(2, 1);
    expect(g1).toBeCloseTo(4.2, 12);
    expect(g2).toBeCloseTo(-1.4, 12);
    checkDerivatives(m, 'seed', [2, 1]);
  });

  test('with the exponent a = 1 the gradient w.r.t. (x1, x2) is still (4.2, -1.4)', () => {
    const [g1, g2] = m.grad.grad_seedWithA(2, 1, 1);
    expect(g1).toBeCloseTo(4.2, 12);
    expect(g2).toBeCloseTo(-1.4, 12);
    checkDerivatives(m, 'seedWithA', [2, 1, 1]);
  });

  test('log(a b) has gradient (0.5, 0.333...) at (2, 3)', () => {
    const [ga, gb] = m.grad.grad_logProduct(2, 3);
    expect(ga).toBeCloseTo(0.5, 14);
    expect(gb).toBeCloseTo(1 / 3, 14);
    checkDerivatives(m, 'logProduct', [2, 3]);
  });

  test('ln(x1) + x1 x2 - sin(x2) at (2, 5): value 11.652, forward-mode dy/dx1 = 5.5', () => {
    const [y, dy] = m.grad.jvp_forwardExample(2, 5, 1, 0);
    expect(y).toBeCloseTo(11.652, 3);
    expect(dy).toBeCloseTo(5.5, 12);
    checkDerivatives(m, 'forwardExample', [2, 5]);
  });

  test('the logistic map iterated in a loop, differentiated w.r.t. x', () => {
    for (const n of [0, 1, 3, 10]) {
      // d/dx of the n-th iterate by the chain rule, computed independently.
      let v = 0.3;
      let dv = 1;
      for (let i = 0; i < n; i++) {
        dv = dv * (4 - 8 * v);
        v = 4 * v * (1 - v);
      }
      expect(m.grad.grad_logisticMap(0.3, n)).toBeCloseTo(dv, 9);
      checkDerivatives(m, 'logisticMap', [0.3, n], { wrt: [0] });
    }
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
