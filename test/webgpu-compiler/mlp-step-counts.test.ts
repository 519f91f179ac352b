/**
 * What one SGD step of the benchmark's MLP (784-128-10, batch 128; the
 * model and the step of bench/webgpu/wengert.ts) asks of the device in
 * steady state, counted as `npm run bench:webgpu` counts it
 * (bench/webgpu/counters.ts). Pinned so that a change that costs a
 * dispatch fails here: fused, 10 dispatches (two matmuls with their bias
 * and activation epilogues, the loss, its gradient, two bias-gradient
 * sums, three adjoint products, one with tanhGrad as its epilogue, one
 * SGD update); unfused, 14. Neither uploads, reads back or creates a
 * buffer.
 */
import { describe, expect, it } from 'vitest';
import { makeProblem } from '../../bench/mlp/problem.ts';
import { countPerStep, installCounters, type DeviceCounts } from '../../bench/webgpu/counters.ts';
import { compileModel, wengertWebgpuStep } from '../../bench/webgpu/wengert.ts';
import { gpuOrSkip } from '../webgpu/helpers.ts';

const gpu = await gpuOrSkip('the MLP step counts on WebGPU');

async function stepCounts(fused: boolean): Promise<DeviceCounts> {
  const vg = await compileModel(fused);
  if (typeof vg === 'string') throw new Error(vg);
  installCounters(gpu!.gpu.device);
  return countPerStep(wengertWebgpuStep(gpu!, makeProblem(), vg));
}

describe.skipIf(!gpu)('the MLP SGD step on WebGPU', () => {
  it('fused: at most 10 dispatches per step, no upload, readback or buffer creation', async () => {
    const c = await stepCounts(true);
    expect(c.dispatches).toBeLessThanOrEqual(10);
    expect([c.uploadBytes, c.readbacks, c.buffersCreated]).toEqual([0, 0, 0]);
  }, 120_000);

  it('unfused: 14 dispatches per step (the fused step saves 4)', async () => {
    const c = await stepCounts(false);
    expect(c.dispatches).toBeLessThanOrEqual(14);
    expect([c.uploadBytes, c.readbacks, c.buffersCreated]).toEqual([0, 0, 0]);
  }, 120_000);
});
