/**
 * Who owns what a gradient call returns (runtime/lifetimes.ts `handOut`,
 * docs/webgpu.md "Who owns a tensor"), on the CPU: the results of
 * `grad_f` / `valueAndGrad_f` are transient. An optimizer step releases
 * the gradients it applied, the next call of the same function releases
 * the rest when it returns, `retain` keeps them, and a released tensor
 * used afterwards throws an error that names the op, how it was released
 * and how to keep it. The same numbers as before (against central finite
 * differences in float64), and, on a checking CPU backend that poisons
 * released storage (helpers/release-checker.ts), as many tensors alive
 * after step 1,000 of a training loop as after step 10, with no dispose
 * and no garbage collection. test/webgpu-compiler/ownership-webgpu.test.ts
 * checks the same on WebGPU in bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, Momentum, ReleasedTensorError, Rng, SGD, cpu, dispose, exp, scoped, fromTypedArray, isReleased, reshape, retain, transientOf, type Tensor } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { makeChecker, tensorsIn, type Checker } from './helpers/release-checker.ts';
import { logregSource, type LogregParams } from './helpers/logreg.ts';

type Fn = (...a: any[]) => any;
let built: Built<Record<string, Fn>, Record<string, Fn>>;
let checker: Checker;

beforeAll(async () => {
  built = await buildFixture('h2-webgpu/ownership', logregSource);
  checker = makeChecker();
});

afterAll(() => checker.uninstall());

/** A logistic regression problem on the default backend (the checker's when installed), float64 (for finite differences) or float32. */
function problem(n: number, d: number, f64 = false) {
  const rng = new Rng(3);
  const arr = (len: number, at: (i: number) => number): Float32Array | Float64Array => {
    const values = Array.from({ length: len }, (_, i) => at(i));
    return f64 ? Float64Array.from(values) : Float32Array.from(values);
  };
  const make = (v: Float32Array | Float64Array, shape: number[]) => fromTypedArray(v, shape);
  const p: LogregParams = { w: make(arr(d, () => rng.uniform() - 0.5), [d]), b: make(arr(1, () => 0.1), [1]) };
  const x = make(arr(n * d, () => 2 * rng.uniform() - 1), [n, d]);
  const y = make(arr(n, (i) => i % 2), [n]);
  return { p, x, y };
}

const vg = (p: LogregParams, x: Tensor, y: Tensor) => built.grad.valueAndGrad_loss!(p, x, y) as [Tensor, LogregParams];

describe('ownership of what a gradient call returns (CPU)', () => {
  it('the gradient through handOut still equals central finite differences (float64)', () => {
    const { p, x, y } = problem(7, 5, true);
    const [loss, g] = vg(p, x, y);
    expect(loss.dataSync()[0]).toBeCloseTo((built.source.loss!(p, x, y) as Tensor).dataSync()[0]!, 12);
    const h = 1e-6;
    for (const k of ['w', 'b'] as const) {
      const at = p[k].dataSync() as Float64Array;
      const grad = g[k].dataSync();
      for (let i = 0; i < at.length; i++) {
        const v = at[i]!;
        at[i] = v + h;
        const up = (built.source.loss!(p, x, y) as Tensor).dataSync()[0]!;
        at[i] = v - h;
        const down = (built.source.loss!(p, x, y) as Tensor).dataSync()[0]!;
        at[i] = v;
        expect(Math.abs(grad[i]! - (up - down) / (2 * h)), `d${k}[${i}]`).toBeLessThan(1e-8);
      }
    }
  });

  it('an optimizer step releases the transient gradients; using one afterwards throws, naming the op, how and how to keep it', () => {
    const { p, x, y } = problem(8, 4);
    const [loss, g] = vg(p, x, y);
    expect(transientOf(g.w)).toBe('valueAndGrad_loss');
    expect(transientOf(loss)).toBe('valueAndGrad_loss');
    const view = reshape(g.w, [2, 2]);
    new SGD({ lr: 0.1 }).step(p, g);
    expect(isReleased(g.w) && isReleased(g.b)).toBe(true);
    // A view shares the storage: it is released with it.
    expect(isReleased(view)).toBe(true);
    expect(() => exp(view)).toThrow(/^exp: a float32 tensor of shape \[2,2\] \(cpu\) was used after it was released by SGD\.step/);
    expect(() => exp(g.w)).toThrow(ReleasedTensorError);
    expect(() => exp(g.w)).toThrow(/^exp: a float32 tensor of shape \[4\] \(cpu\) was used after it was released by SGD\.step once it had applied it .*retain\(value\)/);
    expect(() => g.b.dataSync()).toThrow(/^dataSync: .*released by SGD\.step/);
    expect(() => new SGD({ lr: 0.1 }).step(p, g)).toThrow(/^SGD\.step \(gradient of params\.w\): .*released by SGD\.step/);
    // The parameters, the inputs and the loss are intact.
    expect(isReleased(p.w) || isReleased(x) || isReleased(y) || isReleased(loss)).toBe(false);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
  });

  it('the next call of the same function releases the previous results when it returns (they may be its arguments)', () => {
    const { p, x, y } = problem(8, 4);
    const [loss1, g1] = vg(p, x, y);
    const first = loss1.dataSync()[0]!;
    // The previous gradient as the parameters of the next call: alive during the call, released after it.
    const [loss2, g2] = vg({ w: g1.w, b: g1.b }, x, y);
    expect(isReleased(loss1) && isReleased(g1.w) && isReleased(g1.b)).toBe(true);
    expect(() => loss1.dataSync()).toThrow(/^dataSync: .*released when valueAndGrad_loss was called again \(what a gradient call returns is valid until the next call of the same function returns\)/);
    expect(Number.isFinite(loss2.dataSync()[0])).toBe(true);
    // Arguments are never made transient by the call they are passed to.
    expect(transientOf(p.w)).toBe(null);
    // Another function's results are not touched; the same inputs give the same loss.
    const gradOnly = built.grad.grad_loss!(p, x, y) as LogregParams;
    expect(isReleased(loss2) || isReleased(g2.w)).toBe(false);
    expect(transientOf(gradOnly.w)).toBe('grad_loss');
    const [loss3] = vg(p, x, y);
    expect(loss3.dataSync()[0]).toBe(first);
    expect(isReleased(loss2) && isReleased(gradOnly.w) === false).toBe(true);
  });

  it('retain keeps results through optimizer steps and later calls; Momentum and Adam release only what is transient', () => {
    const { p, x, y } = problem(8, 4);
    const kept = retain(vg(p, x, y));
    const before = Array.from(kept[1].w.dataSync());
    new Adam({ lr: 0.01, weightDecay: 0.1 }).step(p, kept[1]);
    new Momentum({ lr: 0.01 }).step(p, kept[1]);
    vg(p, x, y);
    vg(p, x, y);
    expect(isReleased(kept[0]) || isReleased(kept[1].w) || isReleased(kept[1].b)).toBe(false);
    expect(Array.from(kept[1].w.dataSync())).toEqual(before);
    dispose(kept);
    expect(isReleased(kept[1].w)).toBe(true);
    // A hand-made gradient is the user's: a step leaves it alone.
    const mine = { w: cpu.fill([4], 0.5, 'float32'), b: cpu.fill([1], 0.5, 'float32') };
    new Adam({ lr: 0.01 }).step(p, mine);
    expect(isReleased(mine.w)).toBe(false);
  });

  it('grad_f releases the value it does not return', () => {
    checker.install();
    try {
      const { p, x, y } = problem(8, 4);
      checker.reset();
      const g = built.grad.grad_loss!(p, x, y) as LogregParams;
      const returned = new Set(tensorsIn(g).map((t) => t.storage));
      const alive = checker.made.filter((t) => !checker.isPoisoned(t) && !returned.has(t.storage));
      expect(alive.map(String)).toEqual([]);
    } finally {
      checker.uninstall();
    }
  });

  it('tensors alive after step 1,000 of a training loop equal those after step 10 (no dispose, no garbage collection)', () => {
    checker.install();
    try {
      const { p, x, y } = problem(32, 20);
      const start = vg(p, x, y)[0].dataSync()[0]!;
      const params = new Set([...tensorsIn(p), x, y].map((t) => t.storage));
      checker.reset();
      const opt = new SGD({ lr: 0.5 });
      const alive: Record<number, number> = {};
      let last = start;
      for (let step = 1; step <= 1000; step++) {
        const [loss, grads] = vg(p, x, y);
        opt.step(p, grads);
        if (step === 10 || step === 1000) {
          last = loss.dataSync()[0]!;
          alive[step] = checker.made.filter((t) => !checker.isPoisoned(t) && !params.has(t.storage)).length;
        }
      }
      // What is alive is the last loss only.
      expect(alive[10]).toBe(1);
      expect(alive[1000]).toBe(alive[10]);
      expect(checker.doubleReleases).toBe(0);
      expect(last).toBeLessThan(start);
    } finally {
      checker.uninstall();
    }
  });

  it('scoped releases what a step makes by hand (a batch each step), not the optimizer state made on its first step', () => {
    checker.install();
    try {
      const { p, x, y } = problem(32, 20);
      const host = x.dataSync().slice();
      const params = new Set([...tensorsIn(p), x, y].map((t) => t.storage));
      checker.reset();
      const opt = new Adam({ lr: 0.05 });
      const alive: Record<number, number> = {};
      const losses: number[] = [];
      for (let step = 1; step <= 200; step++) {
        const loss = scoped(() => {
          const batch = fromTypedArray(host.slice(), [32, 20]);
          const [l, grads] = vg(p, batch, y);
          opt.step(p, grads);
          return l;
        });
        losses.push(loss.dataSync()[0]!);
        if (step === 10 || step === 200) alive[step] = checker.made.filter((t) => !checker.isPoisoned(t) && !params.has(t.storage)).length;
      }
      // Alive: Adam's two moments per parameter, and the losses the loop was handed (the user's: the scope returned them).
      expect(alive[200]! - 200).toBe(alive[10]! - 10);
      expect(alive[10]).toBe(4 + 10);
      expect(losses[199]).toBeLessThan(losses[0]!);
      // The optimizer gives its moments back; its next step starts them again.
      const live = () => checker.made.filter((t) => !checker.isPoisoned(t) && !params.has(t.storage)).length;
      const before = live();
      opt.dispose();
      expect(live()).toBe(before - 4);
      expect(opt.t).toBe(0);
      opt.step(p, vg(p, x, y)[1]);
      expect(opt.t).toBe(1);
    } finally {
      checker.uninstall();
    }
  });
});
