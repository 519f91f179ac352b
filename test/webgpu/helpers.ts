/**
 * What the WebGPU tests share: getting the device (SwiftShader's Vulkan
 * driver when nothing else is configured), the skip rule, and comparing a
 * GPU result with the CPU one.
 *
 * Skip rule: without an adapter the GPU tests skip with one printed line,
 * unless WENGERT_REQUIRE_WEBGPU=1 (CI sets it), where a missing adapter
 * fails them.
 *
 * Tolerance (float32 on the GPU against the CPU reference): |gpu - cpu| <=
 * atol + rtol |cpu| with rtol = 2e-5 (about 170 float32 ulps: the GPU's
 * exp / log / division are a few ulps off and sums add in another order)
 * and atol = 1e-6 times the largest |cpu| value of the result (sums of
 * terms of both signs cancel). A test may add an absolute tolerance where
 * the CPU reference itself is only that close (its float32 sigmoid goes
 * through tanhF32, within 3e-7 of the exact value; the GPU computes
 * 1 / (1 + e^-x), accurate in relative terms).
 */
import * as fs from 'node:fs';
import { expect } from 'vitest';
import { cpu, Tensor, webgpuBackend, type WebGpuBackend } from 'wengert';
import { preferSwiftShader } from '../../runtime/backends/webgpu/device.ts';

export { values } from './values.ts';

export const RTOL = 2e-5;
export const ATOL = 1e-6;

let cached: Promise<WebGpuBackend | null> | null = null;

/** The webgpu backend, or null (printing why) when this machine has no WebGPU adapter and CI does not require one. */
export function gpuOrSkip(what = 'the WebGPU tests'): Promise<WebGpuBackend | null> {
  cached ??= (async () => {
    preferSwiftShader(process.env, (p) => fs.existsSync(p));
    try {
      return await webgpuBackend();
    } catch (e) {
      if (process.env.WENGERT_REQUIRE_WEBGPU === '1') throw e;
      console.log(`skipping ${what}: ${(e as Error).message}`);
      return null;
    }
  })();
  return cached;
}

/** The same values as a CPU tensor and a GPU tensor. */
export function pair(gpu: WebGpuBackend, v: Float32Array | Int32Array, shape: readonly number[]): [Tensor, Tensor] {
  return [cpu.fromValues(v.slice(), shape), gpu.fromValues(v.slice(), shape)];
}

/** Values of a CPU or GPU result (numbers as one-element arrays). */
export async function read(x: Tensor | number): Promise<Float64Array> {
  if (typeof x === 'number') return Float64Array.of(x);
  return Float64Array.from(await x.data());
}

/** Asserts the GPU result matches the CPU one: same shape and dtype, values within the stated tolerance. */
export async function expectClose(gpuResult: Tensor | number, cpuResult: Tensor | number, what: string, rtol = RTOL, atolAbs = 0): Promise<void> {
  if (typeof cpuResult !== 'number' && typeof gpuResult !== 'number') {
    expect(gpuResult.backend.name, what).toBe('webgpu');
    expect(gpuResult.shape, `${what}: shape`).toEqual(cpuResult.shape);
    expect(gpuResult.dtype, `${what}: dtype`).toBe(cpuResult.dtype);
  }
  compareValues(await read(gpuResult), await read(cpuResult), what, rtol, atolAbs);
}

/** Asserts values read back from a GPU (`g`) match the CPU ones (`c`) within the stated tolerance. */
export function compareValues(g: ArrayLike<number>, c: ArrayLike<number>, what: string, rtol = RTOL, atolAbs = 0): void {
  expect(g.length, `${what}: size`).toBe(c.length);
  let scale = 0;
  for (let i = 0; i < c.length; i++) if (Number.isFinite(c[i]!)) scale = Math.max(scale, Math.abs(c[i]!));
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < c.length; i++) {
    const a = g[i]!;
    const b = c[i]!;
    if (Number.isNaN(b) || !Number.isFinite(b)) {
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) {
        worst = i;
        worstErr = Infinity;
        break;
      }
      continue;
    }
    const err = Math.abs(a - b) / (ATOL * scale + atolAbs + rtol * Math.abs(b) + Number.MIN_VALUE);
    if (!(err <= 1) && !(err <= worstErr)) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst} is ${g[worst]} on webgpu, ${c[worst]} on the CPU (${worstErr.toFixed(1)}x the tolerance)`);
}
