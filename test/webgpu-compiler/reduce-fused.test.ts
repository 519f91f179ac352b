/**
 * The reductions with a fused prologue (runtime/ops/reduce-fused.ts) at
 * the runtime level: on WebGPU against the unfused ops on the CPU
 * (float32, rtol 2e-5; 1e-4 for the 10^6-element sum), over broadcast
 * and scalar operands, short rows (one thread per output), long rows
 * (shared-memory trees, several passes for 10^6 elements), non-contiguous
 * axes (which run unfused), and `unbroadcastFused`'s run-time choice
 * between the chain alone and its sum; on the CPU the same as `sum` of
 * `fused` to the last bit.
 */
import { describe, expect, it } from 'vitest';
import { Rng, fromArray, fused, mean, meanAllFused, meanFused, sum, sumAll, sumAllFused, sumFused, unbroadcast, unbroadcastFused, type FusedKernel, type Operand, type Tensor } from 'wengert';
import { fusableOps, kernelText, type FusedNode } from '../../compiler/emit/fuse-kernel.ts';
import { expectClose, gpuOrSkip } from '../webgpu/helpers.ts';
import { installCounters, snapshot } from '../../bench/webgpu/counters.ts';

const op = (name: string, ...args: FusedNode[]): FusedNode => ({ kind: 'op', op: fusableOps.get(name)!, args });
const v = (index: number): FusedNode => ({ kind: 'operand', index });

/** tanh(v0 - v1) * v2: three operands, to be broadcast. */
function kernel(): FusedKernel {
  const text = kernelText(op('mul', op('tanh', op('sub', v(0), v(1))), v(2)), 3);
  return { name: 'fused_test_1', arity: 3, dtype: text.dtype, wgsl: text.wgsl, cpu: (a, b, c) => Math.tanh(a - b) * c };
}

const k = kernel();

function randomValues(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

const cpuT = (shape: number[], seed: number) => fromArray(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape, 'float32');

describe('reductions with a fused prologue on the CPU', () => {
  it('give what the op gives of fused(kernel, operands), exactly', () => {
    const x = fromArray(randomValues(3 * 5 * 7, 1), [3, 5, 7], 'float64');
    const b = fromArray(randomValues(7, 2), [7], 'float64');
    const ops: Operand[] = [x, b, 0.5];
    const f = fused(k, ops) as Tensor;
    expect(Array.from(sumAllFused(k, ops).dataSync())).toEqual(Array.from(sumAll(f).dataSync()));
    expect(Array.from(meanAllFused(k, ops).dataSync())).toEqual(Array.from(mean(f, [0, 1, 2]).dataSync()));
    expect(Array.from(sumFused(k, ops, [0, 2], true).dataSync())).toEqual(Array.from(sum(f, [0, 2], true).dataSync()));
    expect(Array.from(meanFused(k, ops, [1]).dataSync())).toEqual(Array.from(mean(f, [1]).dataSync()));
    expect(sumFused(k, ops)).toBe(sum(f));
    const like = fromArray([0, 0, 0, 0, 0, 0, 0], [1, 7], 'float64');
    expect(Array.from((unbroadcastFused(k, ops, like) as Tensor).dataSync())).toEqual(Array.from(unbroadcast(f, like).dataSync()));
    expect((unbroadcastFused(k, ops, like) as Tensor).shape).toEqual([1, 7]);
    // Over numbers they give numbers, as the ops do.
    expect(unbroadcastFused(k, [1, 0.5, 2], 3)).toBe(k.cpu(1, 0.5, 2));
    expect(sumFused(k, [1, 0.5, 2])).toBe(k.cpu(1, 0.5, 2));
    expect(() => sumAllFused(k, [1, 0.5, 2])).toThrow(/sumAll/);
  });
});

const gpu = await gpuOrSkip('the fused reductions on WebGPU');

describe.skipIf(!gpu)('reductions with a fused prologue on WebGPU', () => {
  const both = (shape: number[], seed: number): [Tensor, Tensor] => {
    const c = cpuT(shape, seed);
    return [gpu!.fromValues(c.dataSync() as Float32Array, shape), c];
  };

  for (const [shape, bshape] of [
    [[1], [1]],
    [[3, 1], [3]],
    [[257, 3], [3]],
    [[3, 257], [257]],
    [[5, 257, 3], [257, 1]],
  ] as [number[], number[]][]) {
    it(`sum / mean over each contiguous axis set of [${shape}] with a [${bshape}] operand`, async () => {
      const [gx, cx] = both(shape, 3);
      const [gb, cb] = both(bshape, 4);
      const g: Operand[] = [gx, gb, 0.5];
      const c: Operand[] = [cx, cb, 0.5];
      const cf = fused(k, c) as Tensor;
      await expectClose(sumAllFused(k, g), sumAll(cf), `sumAll [${shape}]`);
      await expectClose(meanAllFused(k, g), mean(cf, [...shape.keys()]), `meanAll [${shape}]`);
      for (let a = 0; a < shape.length; a++) {
        await expectClose(sumFused(k, g, [a], true), sum(cf, [a], true), `sum axis ${a} [${shape}]`);
        await expectClose(meanFused(k, g, [a]), mean(cf, [a]), `mean axis ${a} [${shape}]`);
      }
      if (shape.length === 3) {
        // Not contiguous: the kernel's values are stored first, then summed.
        await expectClose(sumFused(k, g, [0, 2]), sum(cf, [0, 2]), `sum axes [0, 2] [${shape}]`);
        await expectClose(sumFused(k, g, [1, 2], true), sum(cf, [1, 2], true), `sum axes [1, 2] [${shape}]`);
      }
    });
  }

  it('a mean of a chain is one dispatch (unfused: the chain, the sum and the division)', async () => {
    installCounters(gpu!.gpu.device);
    const [gx] = both([257, 3], 9);
    const [gb] = both([3], 10);
    const dispatches = (f: () => unknown): number => {
      const before = snapshot().dispatches;
      f();
      return snapshot().dispatches - before;
    };
    expect(dispatches(() => meanAllFused(k, [gx, gb, 0.5]))).toBe(1);
    expect(dispatches(() => sumFused(k, [gx, gb, 0.5], [0]))).toBe(1);
    expect(dispatches(() => mean(fused(k, [gx, gb, 0.5]) as Tensor, [0, 1]))).toBe(3);
  });

  it('a 10^6-element sum with a prologue (several passes, the first one computing the chain)', async () => {
    const [gx, cx] = both([1000, 1000], 5);
    const [gb, cb] = both([1000], 6);
    await expectClose(sumAllFused(k, [gx, gb, 0.25]), sumAll(fused(k, [cx, cb, 0.25]) as Tensor), '10^6 sumAll', 1e-4);
    await expectClose(sumFused(k, [gx, gb, 0.25], [0]), sum(fused(k, [cx, cb, 0.25]) as Tensor, [0]), '10^6 column sums', 1e-4);
  });

  it('unbroadcastFused: the chain alone when the shapes agree, its sum over the broadcast axes otherwise', async () => {
    const [gx, cx] = both([257, 3], 7);
    const [gb, cb] = both([3], 8);
    const g: Operand[] = [gx, gb, 2];
    const c: Operand[] = [cx, cb, 2];
    const cf = fused(k, c) as Tensor;
    for (const like of [[257, 3], [3], [1, 3], [257, 1]]) {
      const l = fromArray(new Array<number>(like.reduce((a, b) => a * b, 1)).fill(0), like, 'float32');
      const out = unbroadcastFused(k, g, gpu!.fromValues(l.dataSync() as Float32Array, like)) as Tensor;
      expect(out.shape).toEqual(like);
      await expectClose(out, unbroadcast(cf, l), `unbroadcast to [${like}]`);
    }
  });
});
