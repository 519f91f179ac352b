/**
 * The webgpu backend's behaviour beyond the numbers: choosing it with
 * useBackend, explicit asynchronous reads (dataSync names the tensor and
 * says what to do), float64 refused, release and the buffer pool, device
 * errors thrown at the next op naming the op and its shapes (and exactly
 * in debug mode), and the skip rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as W from 'wengert';
import { WebGpuError } from 'wengert';
import { Runner, sizeClass } from '../../runtime/backends/webgpu/runner.ts';
import { WebGpuBackend as Backend } from '../../runtime/backends/webgpu/index.ts';
import { acquireDevice, preferSwiftShader } from '../../runtime/backends/webgpu/device.ts';
import { gpuOrSkip } from './helpers.ts';

const gpu = await gpuOrSkip();

afterEach(async () => {
  await W.useBackend('cpu');
});

describe('webgpu helpers that need no device', () => {
  it('pool size classes: powers of two up to 4 KiB, then eighths', () => {
    expect([1, 16, 17, 100, 4096, 4097, 5000, 1 << 20, (1 << 20) + 1].map(sizeClass)).toEqual([16, 16, 32, 128, 4096, 4608, 5120, 1 << 20, (1 << 20) + (1 << 17)]);
  });

  it('prefers SwiftShader only when VK_ICD_FILENAMES is unset and the driver exists', () => {
    const env: Record<string, string | undefined> = {};
    preferSwiftShader(env, () => false);
    expect(env.VK_ICD_FILENAMES).toBeUndefined();
    preferSwiftShader(env, () => true);
    expect(env.VK_ICD_FILENAMES).toBe('/usr/lib/chromium/vk_swiftshader_icd.json');
    const set = { VK_ICD_FILENAMES: '/mine.json' };
    preferSwiftShader(set, () => true);
    expect(set.VK_ICD_FILENAMES).toBe('/mine.json');
  });
});

describe.skipIf(!gpu)('the webgpu backend', () => {
  it('useBackend puts new tensors on webgpu and back on the CPU', async () => {
    const b = await W.useBackend('webgpu');
    expect(b.name).toBe('webgpu');
    const x = W.fromArray([[1, 2], [3, 4]]);
    const z = W.zeros([2, 2]);
    const r = W.randn([3], 1);
    expect([x.backend.name, z.backend.name, r.backend.name]).toEqual(['webgpu', 'webgpu', 'webgpu']);
    expect(Array.from(await W.add(x, z).data())).toEqual([1, 2, 3, 4]);
    await W.useBackend('cpu');
    expect(W.zeros([1]).backend.name).toBe('cpu');
  });

  it('dataSync throws naming the tensor and the op that made it, and says to await t.data()', () => {
    const x = gpu!.fromValues(Float32Array.from([1, 2, 3]), [3]);
    const y = W.exp(x);
    expect(() => y.dataSync()).toThrow(/float32 tensor of shape \[3\] \(made by u\.exp\).*await t\.data\(\)/);
    // A reduction to a number would read values on the host: refused, saying what to do.
    expect(() => W.sum(y)).toThrow(/await t\.data\(\)/);
  });

  it('int32 tensors made from host values read on the host (labels and indices given as tensors work)', () => {
    const labels = gpu!.fromValues(Int32Array.from([2, 0, 1]), [3]);
    expect(Array.from(labels.dataSync())).toEqual([2, 0, 1]);
  });

  it('refuses float64 with a message saying to use float32', () => {
    expect(() => gpu!.fromValues(Float64Array.from([1]), [1])).toThrow(/float64 .*float32/);
    expect(() => gpu!.fill([2], 1, 'float64')).toThrow(/float64/);
  });

  it('softmaxCrossEntropy as a number is refused, pointing at the 0-d tensor loss', () => {
    const logits = gpu!.fromValues(new Float32Array(6), [2, 3]);
    expect(() => W.softmaxCrossEntropy(logits, Int32Array.from([0, 1]))).toThrow(/0-d tensor/);
  });

  it('release gives buffers back to the pool: a loop that releases creates no buffers after its first step', async () => {
    const x = gpu!.fromValues(new Float32Array(1000).fill(1), [10, 100]);
    const step = (): void => {
      const a = W.mul(x, 2);
      const b = W.sum(a, 1);
      const c = W.reshape(b, [10, 1]);
      gpu!.release(a);
      gpu!.release(c);
    };
    step();
    await gpu!.sync();
    const before = gpu!.memory();
    for (let i = 0; i < 20; i++) step();
    await gpu!.sync();
    const after = gpu!.memory();
    expect(after.buffersCreated).toBe(before.buffersCreated);
    expect(after.inUseBytes).toBe(before.inUseBytes);
  });

  it('a repeated step creates no bind groups after its first two (they are cached by their buffers) and computes the same values', async () => {
    const x = gpu!.fromValues(Float32Array.from({ length: 12 }, (_, i) => i - 5), [3, 4]);
    const w = gpu!.fromValues(Float32Array.from({ length: 8 }, (_, i) => 0.5 * i), [4, 2]);
    const step = async (): Promise<number[]> => {
      const m = W.matmul(x, w);
      const h = W.tanh(m);
      const s = W.sum(h, 0);
      const v = Array.from(await s.data());
      gpu!.release(m);
      gpu!.release(h);
      gpu!.release(s);
      return v;
    };
    const first = await step();
    // The pool hands a size's buffers back last in, first out: two released in one step swap places in the next.
    expect(await step()).toEqual(first);
    const before = gpu!.gpu.counters.bindGroups;
    const dispatches = gpu!.gpu.counters.dispatches;
    for (let i = 0; i < 5; i++) expect(await step()).toEqual(first);
    expect(gpu!.gpu.counters.dispatches - dispatches).toBe(15);
    expect(gpu!.gpu.counters.bindGroups - before).toBe(0);
  });

  it("steps whose scalars change (Adam's bias corrections, dropout seeds, a decaying learning rate) create no buffers after the first", async () => {
    const p = gpu!.fromValues(new Float32Array(300).fill(1), [300]);
    const m = gpu!.fromValues(new Float32Array(300), [300]);
    const v = gpu!.fromValues(new Float32Array(300), [300]);
    const x = gpu!.fromValues(new Float32Array(300).fill(2), [300]);
    const step = (t: number): void => {
      const d = W.dropout(x, 0.5, 1000 + t);
      const g = W.mul(d, p);
      gpu!.adamInPlace(p, g, m, v, 0.01 / t, 0.9, 0.999, 1e-8, t);
      gpu!.sgdInPlace(p, g, 0.1 / t, 0);
      gpu!.release(d);
      gpu!.release(g);
    };
    step(1);
    await gpu!.sync();
    const before = gpu!.gpu.counters.buffersCreated;
    for (let t = 2; t < 8; t++) step(t);
    await gpu!.sync();
    expect(gpu!.gpu.counters.buffersCreated - before).toBe(0);
  });

  it('a released tensor (or a reshape of it) cannot be read again', async () => {
    const x = gpu!.fromValues(Float32Array.from([1, 2, 3, 4]), [4]);
    const y = W.neg(x);
    const v = W.reshape(y, [2, 2]);
    gpu!.release(y);
    gpu!.release(v);
    expect(() => W.exp(v)).toThrow(/after it was released/);
    await expect(y.data()).rejects.toThrow(/after it was released/);
  });

  it('a device error is thrown at the next op or read, naming the op that ran; the backend works afterwards', async () => {
    // A broken kernel: its compile error surfaces as an uncaptured device error.
    gpu!.gpu.run('broken(kernel)', () => gpu!.gpu.pipeline('broken', () => 'fn main( {'));
    let error: unknown = null;
    try {
      await gpu!.sync();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebGpuError);
    expect((error as Error).message).toMatch(/^webgpu: broken\(kernel\) \(or an op shortly before it.*\) failed on the device: /s);
    const x = gpu!.fromValues(Float32Array.from([1]), [1]);
    expect(Array.from(await W.exp(x).data())[0]).toBeCloseTo(Math.E, 5);
  });

  it('in debug mode a device error names exactly its op and shapes', async () => {
    const device = (gpu!.gpu as Runner).device;
    const debug = new Backend(new Runner(device, true), 'debug');
    debug.gpu.run('badOp([2,3])', () => debug.gpu.pipeline('broken-debug', () => 'not wgsl'));
    let message = '';
    try {
      await debug.sync();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^webgpu: badOp\(\[2,3\]\) failed on the device: .*/s);
    expect(message).toMatch(/WGSL|parse|error/i);
  });

  it('a lost device makes every later op throw, saying so', async () => {
    const { device } = await acquireDevice();
    const lost = new Backend(new Runner(device, false), 'to be lost');
    const x = lost.fromValues(Float32Array.from([1, 2]), [2]);
    device.destroy();
    await device.lost;
    expect(() => W.exp(x)).toThrow(/webgpu: the device was destroyed/);
  });

  it('a buffer past the device limit is refused at once, naming the op and shape', () => {
    const huge = [1 << 15, 1 << 15, 8];
    const x = gpu!.fromValues(Float32Array.from([1]), [1]);
    expect(() => W.broadcastTo(x, huge)).toThrow(/broadcastTo\(\[1\] -> \[32768,32768,8\]\) needs a buffer of 34359738368 bytes/);
  });

  it('tensors of different backends are refused', () => {
    const a = gpu!.fromValues(Float32Array.from([1]), [1]);
    const b = W.cpu.fromValues(Float32Array.from([1]), [1]);
    expect(() => W.add(a, b)).toThrow(/different backends/);
  });
});

