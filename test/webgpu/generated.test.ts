/**
 * A generated derivative (the network of page/model.ts, compiled into
 * test/.generated/h1-webgpu/) run on WebGPU in Node against the same file
 * run on the CPU: the forward value, the reverse-mode cotangents of every
 * parameter and the forward-mode tangent, within the float32 tolerance of
 * helpers.ts.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, it } from 'vitest';
import { cpu, type Backend, type Tensor } from 'wengert';
import { buildFixture } from '../helpers/generate.ts';
import { expectClose, gpuOrSkip } from './helpers.ts';
import { modelCase, type ModelCase } from './model-case.ts';
import type { Net } from './page/model.ts';

const gpu = await gpuOrSkip();

type Grad = {
  vjp_probabilities(p: Net, x: Tensor, dy: Tensor): Net;
  jvp_probabilities(p: Net, x: Tensor, dp: Net): [Tensor, Tensor];
};

function tensors(b: Backend, c: ModelCase): { p: Net; x: Tensor; dy: Tensor } {
  const t = (k: keyof ModelCase['shapes']): Tensor => b.fromValues(Float32Array.from(c[k]), c.shapes[k]);
  return { p: { W1: t('W1'), b1: t('b1'), W2: t('W2'), b2: t('b2') }, x: t('x'), dy: t('dy') };
}

describe.skipIf(!gpu)('a generated gradient on webgpu (Node) against the CPU', () => {
  let grad: Grad;
  beforeAll(async () => {
    const built = await buildFixture<unknown, Grad>('h1-webgpu/model', fs.readFileSync(new URL('./page/model.ts', import.meta.url), 'utf8'));
    grad = built.grad;
  });

  it('vjp and jvp of a two-layer network, batch sizes 1, 5 and 130', async () => {
    for (const batch of [1, 5, 130]) {
      const c = modelCase(batch);
      const onCpu = tensors(cpu, c);
      const onGpu = tensors(gpu!, c);
      const want = grad.vjp_probabilities(onCpu.p, onCpu.x, onCpu.dy);
      const got = grad.vjp_probabilities(onGpu.p, onGpu.x, onGpu.dy);
      for (const k of ['W1', 'b1', 'W2', 'b2'] as const) await expectClose(got[k], want[k], `batch ${batch}: cotangent of ${k}`);
      const [y, dy] = grad.jvp_probabilities(onCpu.p, onCpu.x, onCpu.p);
      const [gy, gdy] = grad.jvp_probabilities(onGpu.p, onGpu.x, onGpu.p);
      await expectClose(gy, y, `batch ${batch}: value`);
      await expectClose(gdy, dy, `batch ${batch}: tangent`);
    }
  });
});
