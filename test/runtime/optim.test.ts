/**
 * Optimizers on structured parameters (objects and arrays of tensors,
 * typed arrays and numbers), updated in place, against hand-computed
 * steps; and the statistics of Glorot and He initialisation.
 */
import { describe, expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';

const vals = (t: Tensor) => Array.from(t.dataSync());

function params() {
  return { w: W.fromArray([1, -2], undefined, 'float64'), layers: [{ b: 0.5 }], arr: new Float64Array([3]) };
}
function grads() {
  return { w: W.fromArray([0.5, 1], undefined, 'float64'), layers: [{ b: 2 }], arr: new Float64Array([-1]) };
}

describe('optimizers', () => {
  test('SGD updates every leaf in place, with weight decay', () => {
    const p = params();
    const w = p.w;
    new W.SGD({ lr: 0.1 }).step(p, grads());
    expect(p.w).toBe(w);
    expect(vals(p.w)).toEqual([1 - 0.05, -2 - 0.1]);
    expect(p.layers[0]!.b).toBeCloseTo(0.5 - 0.2, 15);
    expect(p.arr[0]).toBeCloseTo(3.1, 15);
    const q = params();
    new W.SGD({ lr: 0.1, weightDecay: 0.5 }).step(q, grads());
    expect(vals(q.w)[0]).toBeCloseTo(1 - 0.1 * (0.5 + 0.5), 15);
  });

  test('SGD on float32 tensors of every length modulo 4 gives each element exactly the one-element update', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 1001]) {
      for (const weightDecay of [0, 0.01]) {
        const rng = new W.Rng(n);
        const p0 = Float32Array.from({ length: n }, () => rng.normal());
        const g = Float32Array.from({ length: n }, () => rng.normal());
        const p = W.fromTypedArray(p0.slice());
        new W.SGD({ lr: 0.3, weightDecay }).step({ p }, { p: W.fromTypedArray(g) });
        const expected = Array.from(p0, (v, i) => Math.fround(v - 0.3 * (weightDecay === 0 ? g[i]! : g[i]! + weightDecay * v)));
        expect(vals(p), `n = ${n}, weight decay ${weightDecay}`).toEqual(expected);
      }
    }
  });

  test('momentum and Adam on float32 tensors, after float64 ones, give each element exactly the one-element update', () => {
    const f = Math.fround;
    const rng = new W.Rng(11);
    const n = 37;
    const p0 = Float32Array.from({ length: n }, () => rng.normal());
    const g = Float32Array.from({ length: n }, () => rng.normal());
    for (const nesterov of [false, true]) {
      // A float64 step first, so a kernel shared by both storage types would have seen both.
      new W.Momentum({ lr: 0.1, momentum: 0.9, nesterov }).step({ p: W.fromArray([1, 2], undefined, 'float64') }, { p: W.fromArray([3, 4], undefined, 'float64') });
      const p = W.fromTypedArray(p0.slice());
      const opt = new W.Momentum({ lr: 0.1, momentum: 0.9, nesterov });
      opt.step({ p }, { p: W.fromTypedArray(g) });
      opt.step({ p }, { p: W.fromTypedArray(g) });
      const expected = Array.from(p0, (v, i) => {
        const v1 = f(0.9 * 0 + g[i]!);
        const p1 = f(v - 0.1 * (nesterov ? g[i]! + 0.9 * v1 : v1));
        const v2 = 0.9 * v1 + g[i]!;
        return f(p1 - 0.1 * (nesterov ? g[i]! + 0.9 * v2 : v2));
      });
      expect(vals(p), `nesterov ${nesterov}`).toEqual(expected);
    }
    new W.Adam({ lr: 0.01 }).step({ p: W.fromArray([1, 2], undefined, 'float64') }, { p: W.fromArray([3, 4], undefined, 'float64') });
    const p = W.fromTypedArray(p0.slice());
    new W.Adam({ lr: 0.01 }).step({ p }, { p: W.fromTypedArray(g) });
    const expected = Array.from(p0, (v, i) => {
      const mi = (1 - 0.9) * g[i]!;
      const vi = (1 - 0.999) * g[i]! * g[i]!;
      return f(v - (0.01 * mi * (1 / (1 - 0.9))) / (Math.sqrt(vi * (1 / (1 - 0.999))) + 1e-8));
    });
    expect(vals(p)).toEqual(expected);
  });

  test('momentum and Nesterov accumulate a velocity', () => {
    for (const nesterov of [false, true]) {
      const p = params();
      const opt = new W.Momentum({ lr: 0.1, momentum: 0.9, nesterov });
      opt.step(p, grads());
      opt.step(p, grads());
      // v1 = g, v2 = 0.9 g + g = 1.9 g
      const expected = nesterov ? 1 - 0.1 * (0.5 + 0.9 * 0.5) - 0.1 * (0.5 + 0.9 * 0.95) : 1 - 0.1 * 0.5 - 0.1 * 0.95;
      expect(vals(p.w)[0]).toBeCloseTo(expected, 14);
    }
  });

  test('Adam: the first steps move each parameter by about lr against its gradient sign', () => {
    const p = params();
    const opt = new W.Adam({ lr: 0.01 });
    opt.step(p, grads());
    expect(vals(p.w)[0]).toBeCloseTo(1 - 0.01, 6);
    expect(vals(p.w)[1]).toBeCloseTo(-2 - 0.01, 6);
    expect(p.layers[0]!.b).toBeCloseTo(0.5 - 0.01, 6);
    opt.step(p, grads());
    expect(opt.t).toBe(2);
    expect(vals(p.w)[0]).toBeCloseTo(1 - 0.02, 6);
  });

  test('Adam minimises a quadratic', () => {
    const p = { x: W.fromArray([5, -3], undefined, 'float64') };
    const opt = new W.Adam({ lr: 0.1 });
    for (let i = 0; i < 500; i++) opt.step(p, { x: W.mul(p.x, 2) });
    for (const v of vals(p.x)) expect(Math.abs(v)).toBeLessThan(1e-3);
  });

  test('a missing gradient or a changed structure is an error', () => {
    expect(() => new W.SGD({ lr: 1 }).step({ a: W.zeros([2]) }, {})).toThrow('optimizer: no gradient for params.a');
    expect(() => new W.SGD({ lr: 1 }).step({ a: W.zeros([2]) }, { a: W.zeros([3]) })).toThrow(
      'optimizer: gradient for params.a has shape [3], parameter has [2]',
    );
    const opt = new W.Adam();
    opt.step([W.zeros([1])], [W.zeros([1])]);
    expect(() => opt.step([W.zeros([1]), W.zeros([1])], [W.zeros([1]), W.zeros([1])])).toThrow(
      'optimizer: the parameters changed structure (1 leaves before, 2 now)',
    );
  });
});

describe('initialisation', () => {
  test('Glorot uniform stays within its bound; He normal has std sqrt(2 / fanIn)', () => {
    const g = W.glorotUniform([300, 100], 1);
    const bound = Math.sqrt(6 / 400);
    expect(Math.max(...g.dataSync().map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...g.dataSync().map(Math.abs))).toBeGreaterThan(0.95 * bound);
    const h = W.heNormal([400, 200], 2, { dtype: 'float64' });
    const std = Math.sqrt(W.mean(W.mul(h, h)));
    expect(std).toBeCloseTo(Math.sqrt(2 / 400), 2);
    expect(W.xavierUniform([3, 3], 5).toArray()).toEqual(W.glorotUniform([3, 3], 5).toArray());
    expect(() => W.heUniform([3], 1)).toThrow('heUniform: needs a weight of at least 2 dimensions, got shape [3]');
  });
});
