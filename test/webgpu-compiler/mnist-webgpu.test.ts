/**
 * The generated code on WebGPU (Dawn in Node; SwiftShader here), against
 * the CPU: the gradient of the MNIST MLP loss (examples/mnist-mlp/model.ts,
 * compiled into test/.generated/h2-webgpu/mnist/), a training loop that
 * does not print its loss reading nothing back per step (mapAsync calls
 * counted by wrapping the buffer prototype) and creating no buffer, with no
 * dispose (the step's results are transient: ownership-webgpu.test.ts
 * checks memory over 1,000 steps); and one generated call leaving in use
 * exactly what it returns, with no collection. Skips with a printed reason when the machine has no
 * WebGPU adapter, unless WENGERT_REQUIRE_WEBGPU=1.
 */
import * as fs from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Rng, cpu, retain, type Backend, type Tensor, type WebGpuBackend } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { gpuOrSkip } from '../webgpu/helpers.ts';

const gpu = await gpuOrSkip('the generated MNIST gradient on WebGPU');

type Fn = (...a: any[]) => any;
type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };
let mnist: Built<Record<string, Fn>, Record<string, Fn>>;

beforeAll(async () => {
  if (!gpu) return;
  const source = fs.readFileSync(new URL('../../examples/mnist-mlp/model.ts', import.meta.url), 'utf8');
  mnist = await buildFixture('h2-webgpu/mnist/model', source);
});

function host(n: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
}

function mlpInputs(b: Backend, batch: number, hidden: number) {
  const t = (n: number, shape: number[], seed: number, scale: number) => b.fromValues(host(n, seed, scale), shape);
  const p: Params = { W1: t(784 * hidden, [784, hidden], 1, 0.08), b1: t(hidden, [hidden], 2, 0.1), W2: t(hidden * 10, [hidden, 10], 3, 0.3), b2: t(10, [10], 4, 0.1) };
  const x = b.fromValues(host(batch * 784, 5, 1).map(Math.abs), [batch, 784]);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  return { p, x, labels };
}

async function flat(v: unknown): Promise<number[]> {
  if (typeof v === 'number') return [v];
  if (v && typeof v === 'object' && 'backend' in v && 'shape' in v) return Array.from(await (v as Tensor).data());
  const out: number[] = [];
  for (const e of Array.isArray(v) ? v : Object.values(v as object)) out.push(...(await flat(e)));
  return out;
}

/** |gpu - cpu| <= rtol (|cpu| + 1e-3 max|cpu|), entry by entry. */
async function expectClose(gpuValue: unknown, cpuValue: unknown, rtol: number, what: string): Promise<void> {
  const g = await flat(gpuValue);
  const c = await flat(cpuValue);
  expect(g.length, what).toBe(c.length);
  const scale = Math.max(...c.map(Math.abs));
  const worst = g.reduce((w, v, i) => Math.max(w, Math.abs(v - c[i]!) / (Math.abs(c[i]!) + 1e-3 * scale)), 0);
  expect(worst, `${what}: worst relative difference`).toBeLessThan(rtol);
}

/** Counts mapAsync (readbacks) and createBuffer calls by wrapping the prototypes of the device's objects. */
function countDeviceCalls(b: WebGpuBackend): { mapAsync: number; createBuffer: number; restore(): void } {
  const device = b.gpu.device;
  const probe = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bufferProto = Object.getPrototypeOf(probe) as { mapAsync: (...a: unknown[]) => Promise<void> };
  const deviceProto = Object.getPrototypeOf(device) as { createBuffer: (...a: unknown[]) => GPUBuffer };
  probe.destroy();
  const mapAsync = bufferProto.mapAsync;
  const createBuffer = deviceProto.createBuffer;
  const counts = {
    mapAsync: 0,
    createBuffer: 0,
    restore() {
      bufferProto.mapAsync = mapAsync;
      deviceProto.createBuffer = createBuffer;
    },
  };
  bufferProto.mapAsync = function (this: unknown, ...a: unknown[]) {
    counts.mapAsync++;
    return mapAsync.apply(this, a);
  };
  deviceProto.createBuffer = function (this: unknown, ...a: unknown[]) {
    counts.createBuffer++;
    return createBuffer.apply(this, a);
  };
  return counts;
}

/** A full garbage collection, then a turn of the event loop so finalizers run (the backend frees what users dropped). */
async function collect(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!gpu)('generated code on WebGPU against the CPU', () => {
  it('the gradient of the MNIST MLP loss (0-d tensor loss, relu, dropout, L2) on webgpu equals the CPU one', async () => {
    const g = mlpInputs(gpu!, 16, 32);
    const c = mlpInputs(cpu, 16, 32);
    const args = [true, 0.25, 9, 1e-3];
    // Retained: the CPU call of the same function would release the GPU results when it returns.
    const [gl, gg] = retain(mnist.grad.valueAndGrad_regularizedLossOnDevice!(g.p, g.x, g.labels, ...args) as [Tensor, Params]);
    const [cl, cg] = mnist.grad.valueAndGrad_regularizedLossOnDevice!(c.p, c.x, c.labels, ...args) as [Tensor, Params];
    expect(gl.backend.name).toBe('webgpu');
    expect(gl.shape).toEqual([]);
    await expectClose(gl, cl, 1e-4, 'loss');
    for (const k of ['W1', 'b1', 'W2', 'b2'] as const) await expectClose(gg[k], cg[k], 1e-3, `d${k}`);
    // The CPU value equals the number-valued loss of the same model.
    const [numberLoss] = mnist.grad.valueAndGrad_regularizedLoss!(c.p, c.x, c.labels, ...args) as [number, Params];
    expect(cl.dataSync()[0]).toBeCloseTo(numberLoss, 5);
    // The tanh loss of the benchmark, written out (number-valued) refuses webgpu with the variant to use.
    expect(() => mnist.grad.valueAndGrad_loss!(g.p, g.x, g.labels)).toThrow(/softmaxCrossEntropy: gives a number.*use softmaxCrossEntropyLoss\(logits, labels\)/);
  });

  it('a training step of the MLP that does not print its loss reads nothing back and creates no buffer (no dispose)', async () => {
    const g = mlpInputs(gpu!, 8, 16);
    const opt = new Adam({ lr: 1e-3 });
    const step = (i: number): void => {
      // The loss and the gradients are transient: the step releases the gradients, the next call the loss.
      const [, grads] = mnist.grad.valueAndGrad_regularizedLossOnDevice!(g.p, g.x, g.labels, true, 0.25, i, 1e-4) as [Tensor, Params];
      opt.step(g.p, grads);
    };
    for (let i = 0; i < 4; i++) step(i);
    await g.p.W1.data();
    const counts = countDeviceCalls(gpu!);
    const before = gpu!.gpu.counters.readbacks;
    try {
      for (let i = 0; i < 4; i++) step(10 + i);
    } finally {
      counts.restore();
    }
    expect(counts.mapAsync).toBe(0);
    expect(gpu!.gpu.counters.readbacks - before).toBe(0);
    expect(counts.createBuffer).toBe(0);
  });

  it('what one generated call leaves in use on the GPU is what it returns (every intermediate released at once, no GC needed)', async () => {
    const g = mlpInputs(gpu!, 8, 16);
    const run = async (): Promise<number> => {
      await collect();
      const base = gpu!.gpu.memory().inUseBytes;
      // No collection from here on: what is freed is freed by the generated code.
      const [loss, grads] = mnist.grad.valueAndGrad_regularizedLossOnDevice!(g.p, g.x, g.labels, true, 0.25, 1, 0) as [Tensor, Params];
      await loss.data();
      const after = gpu!.gpu.memory().inUseBytes - base;
      void grads;
      return after;
    };
    // What one call leaves in use is what it returns: the loss and one gradient per parameter.
    const held = await run();
    const returned = 4 * (1 + 784 * 16 + 16 + 16 * 10 + 10);
    expect(held).toBeGreaterThanOrEqual(returned);
    expect(held).toBeLessThan(returned * 1.5);
  });
});
