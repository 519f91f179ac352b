/**
 * Who owns what a gradient call returns, on WebGPU (Dawn in Node;
 * SwiftShader here): GPU memory in use after step 1,000 of a training loop
 * equals that after step 10, with no dispose in the loop and no garbage
 * collection (the transient loss and gradients of runtime/lifetimes.ts
 * `handOut` go back to the pool: the optimizer releases the gradients, the
 * next call the loss), for SGD and for Adam with weight decay; no buffer is
 * created in steady state; a released gradient read afterwards rejects with
 * the error that says how it was released; retained results survive; a
 * step in `scoped` that makes its batch by hand keeps memory flat too.
 * test/webgpu-compiler/ownership.test.ts checks the same rule on the CPU.
 * Skips with a printed reason when the machine has no WebGPU adapter,
 * unless WENGERT_REQUIRE_WEBGPU=1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, ReleasedTensorError, Rng, SGD, dispose, isReleased, retain, scoped, type Optimizer, type Tensor } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { gpuOrSkip } from '../webgpu/helpers.ts';
import { logregSource, type LogregParams } from './helpers/logreg.ts';

const gpu = await gpuOrSkip('the ownership of gradient results on WebGPU');

type Fn = (...a: any[]) => any;
let logreg: Built<Record<string, Fn>, Record<string, Fn>>;

beforeAll(async () => {
  if (gpu) logreg = await buildFixture('h2-webgpu/ownership-webgpu', logregSource);
});

function inputs(n: number, d: number) {
  const rng = new Rng(6);
  const host = (len: number, at: (i: number) => number) => Float32Array.from({ length: len }, (_, i) => at(i));
  const p: LogregParams = { w: gpu!.fromValues(host(d, () => rng.uniform() - 0.5), [d]), b: gpu!.fromValues(new Float32Array(1), [1]) };
  const x = gpu!.fromValues(host(n * d, () => 2 * rng.uniform() - 1), [n, d]);
  const y = gpu!.fromValues(host(n, (i) => i % 2), [n]);
  return { p, x, y };
}

const vg = (p: LogregParams, x: Tensor, y: Tensor) => logreg.grad.valueAndGrad_loss!(p, x, y) as [Tensor, LogregParams];

/** Runs 1,000 steps with no dispose and no collection; memory in use and buffers created after steps 10 and 1,000, and the loss before and after. */
async function train(opt: Optimizer) {
  const { p, x, y } = inputs(32, 20);
  const at: Record<number, { inUse: number; created: number }> = {};
  let first = NaN;
  let last = NaN;
  for (let step = 1; step <= 1000; step++) {
    const [loss, grads] = vg(p, x, y);
    opt.step(p, grads);
    if (step === 1) first = (await loss.data())[0]!;
    if (step === 10 || step === 1000) {
      last = (await loss.data())[0]!;
      const m = gpu!.memory();
      at[step] = { inUse: m.inUseBytes, created: m.buffersCreated };
    }
  }
  // Not left to the garbage collector: collected during the next test's loop, they would lower its memory in use.
  dispose({ p, x, y });
  opt.dispose();
  return { at, first, last };
}

describe.skipIf(!gpu)('ownership of gradient results on WebGPU', () => {
  for (const [name, make] of [
    ['SGD', () => new SGD({ lr: 0.5 })],
    ['Adam with weight decay', () => new Adam({ lr: 0.05, weightDecay: 1e-3 })],
  ] as const) {
    it(`GPU memory in use after step 1,000 of a training loop equals that after step 10 (${name}; no dispose, no garbage collection)`, async () => {
      const { at, first, last } = await train(make());
      expect(at[1000]!.inUse).toBe(at[10]!.inUse);
      expect(at[1000]!.created).toBe(at[10]!.created);
      // The loop really trained.
      expect(last).toBeLessThan(first);
    }, 300_000);
  }

  it('a step in scoped() that makes its batch by hand each step: GPU memory after step 1,000 equals that after step 10', async () => {
    const { p, x, y } = inputs(32, 20);
    const host = await x.data();
    const opt = new Adam({ lr: 0.05 });
    const inUse: Record<number, number> = {};
    for (let step = 1; step <= 1000; step++) {
      scoped(() => {
        const batch = gpu!.fromValues(host.slice(), [32, 20]);
        const [, grads] = vg(p, batch, y);
        opt.step(p, grads);
      });
      if (step === 10 || step === 1000) {
        await p.w.data();
        inUse[step] = gpu!.memory().inUseBytes;
      }
    }
    dispose({ p, x, y });
    opt.dispose();
    expect(inUse[1000]).toBe(inUse[10]);
  }, 300_000);

  it('a gradient released by the optimizer rejects when read, saying how; retained results survive the step and the next call', async () => {
    const { p, x, y } = inputs(8, 4);
    const [, grads] = vg(p, x, y);
    new SGD({ lr: 0.1 }).step(p, grads);
    expect(isReleased(grads.w)).toBe(true);
    await expect(grads.w.data()).rejects.toThrow(ReleasedTensorError);
    await expect(grads.w.data()).rejects.toThrow(/^data: a float32 tensor of shape \[4\] \(webgpu\) was used after it was released by SGD\.step/);
    const kept = retain(vg(p, x, y));
    const value = Array.from(await kept[1].w.data());
    new SGD({ lr: 0.1 }).step(p, kept[1]);
    vg(p, x, y);
    vg(p, x, y);
    expect(Array.from(await kept[1].w.data())).toEqual(value);
    expect((await kept[0].data()).length).toBe(1);
    dispose([kept, p, x, y]);
  });
});
