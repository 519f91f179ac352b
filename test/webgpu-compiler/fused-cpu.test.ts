// The CPU implementation of the backend's `fused` and `release` (the contract with the webgpu backend).
import { describe, expect, it } from 'vitest';
import { cpu } from '../../runtime/backends/index.ts';
import type { FusedKernel } from '../../runtime/backends/fused.ts';
import { fromArray } from '../../runtime/ops/creation.ts';

const axpb: FusedKernel = { name: 'axpb', arity: 3, wgsl: '', cpu: (a, x, b) => a * x + b };

describe('cpu fused', () => {
  it('loops over full-size and scalar operands', () => {
    const x = fromArray([1, 2, 3, 4], [2, 2]);
    const out = cpu.fused(axpb, [2, x, 0.5], [2, 2], 'float32');
    expect(Array.from(out.dataSync())).toEqual([2.5, 4.5, 6.5, 8.5]);
    expect(out.shape).toEqual([2, 2]);
    expect(out.dtype).toBe('float32');
  });

  it('broadcasts a bias row and a column', () => {
    const x = fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const row = fromArray([10, 20, 30], [3]);
    const col = fromArray([100, 200], [2, 1]);
    const out = cpu.fused(axpb, [x, row, col], [2, 3], 'float64');
    expect(Array.from(out.dataSync())).toEqual([110, 140, 190, 240, 300, 380]);
  });

  it('handles arities 1, 2, 4 and 5', () => {
    const x = fromArray([1, 2, 3], [3]);
    const k = (arity: number): FusedKernel => ({ name: `sum${arity}`, arity, wgsl: '', cpu: (...v) => v.reduce((s, t) => s + t, 0) });
    for (const arity of [1, 2, 4, 5]) {
      const out = cpu.fused(k(arity), new Array(arity).fill(x), [3], 'float32');
      expect(Array.from(out.dataSync())).toEqual([1, 2, 3].map((v) => v * arity));
    }
  });

  it('0-d output and zero-size output', () => {
    const s = fromArray([3], []);
    expect(Array.from(cpu.fused(axpb, [s, s, 1], [], 'float32').dataSync())).toEqual([10]);
    expect(cpu.fused(axpb, [1, 2, 3], [0, 4], 'float32').size).toBe(0);
  });

  it('release is a no-op on the cpu', () => {
    const x = fromArray([1, 2], [2]);
    cpu.release(x);
    expect(Array.from(x.dataSync())).toEqual([1, 2]);
  });
});
