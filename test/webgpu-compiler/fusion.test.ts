/**
 * Build-time fusion (compiler/emit/fuse.ts): the same source compiled with
 * and without fusion gives the same numbers, forward and reverse, for
 * every function with fused groups (each group's result flows into what is
 * compared): float64 inputs to 1e-12, float32 inputs to float32 tolerance,
 * and on WebGPU (when this machine has an adapter) the fused file against
 * the unfused one on the CPU. The groups are the ones the brief names: the
 * tanh layer, a bias gradient, a sigmoid cross-entropy and its gradient,
 * an Adam update written out.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, ShapeError, fromArray, fused, type FusedKernel, type Tensor } from 'wengert';
import type { FusedGroup } from '../../compiler/emit/fuse.ts';
import { buildFusedPair, expectClose, type Mod } from './helpers/fused-pair.ts';
import { gpuOrSkip } from '../webgpu/helpers.ts';

const source = `
import { add, div, matmul, meanAll, mul, sigmoid, softmaxCrossEntropyLoss, softplus, sqrt, sub, sumAll, tanh, type Tensor } from 'wengert';

export interface P { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** The tanh layer: tanh(x W1 + b1) is one kernel in the forward sweep. @differentiable wrt(p) */
export function mlp(p: P, x: Tensor, labels: Int32Array): Tensor {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return softmaxCrossEntropyLoss(add(matmul(h, p.W2), p.b2), labels);
}

/** Sigmoid cross-entropy written out: softplus(x) - x t, and its adjoint. @differentiable wrt(x, t) */
export function bce(x: Tensor, t: Tensor): Tensor {
  return meanAll(sub(softplus(x), mul(x, t)));
}

/** An Adam update written out (the moments given): one kernel for the whole update. @differentiable wrt(p, g) */
export function adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: number): Tensor {
  const m2 = add(mul(0.9, m), mul(0.1, g));
  const v2 = add(mul(0.999, v), mul(0.001, mul(g, g)));
  const step = div(mul(lr, m2), add(sqrt(v2), 1e-8));
  return sumAll(mul(sub(p, step), sub(p, step)));
}

/** x sigmoid(1.5 x) plus a broadcast bias: chains through sigmoid's adjoint. @differentiable wrt(x, b) */
export function swish(x: Tensor, b: Tensor): Tensor {
  return sumAll(mul(add(mul(x, sigmoid(mul(x, 1.5))), b), 0.5));
}
`;

let on: Mod;
let off: Mod;
let groups: FusedGroup[];

beforeAll(async () => {
  ({ on, off, groups } = await buildFusedPair('h2-webgpu/fusion', source));
});

interface Inputs {
  args: Record<string, unknown[]>;
  tangents: Record<string, unknown[]>;
}

/** The same inputs every time, made by `make` (host values -> a tensor on some backend and dtype). */
function inputs(make: (values: number[], shape: number[]) => Tensor): Inputs {
  const rng = new Rng(5);
  const t = (shape: number[], positive = false) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from({ length: n }, () => rng.normal());
    return make(positive ? v.map((a) => a * a + 0.1) : v, shape);
  };
  const p = { W1: t([4, 6]), b1: t([6]), W2: t([6, 3]), b2: t([3]) };
  const dp = { W1: t([4, 6]), b1: t([6]), W2: t([6, 3]), b2: t([3]) };
  return {
    args: {
      mlp: [p, t([5, 4]), Int32Array.from([0, 1, 2, 1, 0])],
      bce: [t([2, 3]), t([2, 3])],
      adam: [t([2, 3]), t([2, 3]), t([2, 3]), t([2, 3], true), 0.01],
      swish: [t([2, 3]), t([3])],
    },
    tangents: { mlp: [dp], bce: [t([2, 3]), t([2, 3])], adam: [t([2, 3]), t([2, 3])], swish: [t([2, 3]), t([3])] },
  };
}

const onCpu = (dtype: 'float32' | 'float64') => (v: number[], shape: number[]) => fromArray(v, shape, dtype);

const names = ['mlp', 'bce', 'adam', 'swish'] as const;

async function values(x: unknown): Promise<number[]> {
  const out: number[] = [];
  const visit = async (v: unknown): Promise<void> => {
    if (typeof v === 'number') out.push(v);
    else if (v && typeof v === 'object' && 'backend' in v && 'shape' in v) out.push(...Array.from(await (v as Tensor).data()));
    else if (Array.isArray(v)) for (const e of v) await visit(e);
    else if (v && typeof v === 'object') for (const e of Object.values(v)) await visit(e);
  };
  await visit(x);
  return out;
}

describe('fused groups', () => {
  it('each function has fused groups, declared as readable kernels', () => {
    for (const n of names) expect(groups.some((g) => g.fn.endsWith(`_${n}`)), n).toBe(true);
    // tanh(x W1 + b1) in the forward sweep of mlp
    expect(groups.some((g) => g.fn === 'valueAndVjp_mlp' && g.ops.join(',') === 'add,tanh')).toBe(true);
    // the Adam moments and step: what the adjoint sweep does not read is one kernel
    expect(groups.filter((g) => g.fn === 'valueAndVjp_adam').length).toBeGreaterThanOrEqual(3);
    // chains in the adjoint sweeps too (nested calls the rules write, such as add(mul(g, b), ...))
    expect(groups.some((g) => g.fn.startsWith('valueAndVjp_') && g.result === '(expression)')).toBe(true);
    for (const g of groups) {
      expect(on.text).toContain(`const ${g.kernel}: FusedKernel = {`);
      expect(g.text.wgsl).toMatch(/fn body\(v0: f32(, v\d+: f32)*\) -> f32 \{/);
    }
    expect(off.text).not.toContain('fused(');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    const rtol = dtype === 'float64' ? 1e-12 : 2e-5;
    for (const n of names) {
      it(`${n}: fused and unfused agree (${dtype}), reverse and forward`, async () => {
        const a = inputs(onCpu(dtype));
        const b = inputs(onCpu(dtype));
        expectClose(await values(on.grad[`valueAndGrad_${n}`]!(...a.args[n]!)), await values(off.grad[`valueAndGrad_${n}`]!(...b.args[n]!)), rtol, `valueAndGrad_${n}`);
        expectClose(await values(on.grad[`jvp_${n}`]!(...a.args[n]!, ...a.tangents[n]!)), await values(off.grad[`jvp_${n}`]!(...b.args[n]!, ...b.tangents[n]!)), rtol, `jvp_${n}`);
      });
    }
  }

  it('a fused kernel whose operands do not broadcast is an error naming the kernel', () => {
    const k: FusedKernel = { name: 'fused_demo_1', arity: 2, wgsl: '', cpu: (a, b) => a + b };
    expect(() => fused(k, [fromArray([1, 2, 3], [3]), fromArray([1, 2], [2])])).toThrow(ShapeError);
    expect(() => fused(k, [fromArray([1, 2, 3], [3]), fromArray([1, 2], [2])])).toThrow(/fused_demo_1: shapes \[3\] and \[2\] cannot be broadcast/);
    expect(fused(k, [1, 2])).toBe(3);
  });
});

const gpu = await gpuOrSkip('the fused kernels on WebGPU');

describe.skipIf(!gpu)('fused groups on WebGPU', () => {
  for (const n of names) {
    it(`${n}: the fused file on webgpu agrees with the unfused one on the CPU`, async () => {
      const g = inputs((v, shape) => gpu!.fromValues(Float32Array.from(v), shape));
      const c = inputs(onCpu('float32'));
      expectClose(await values(on.grad[`valueAndGrad_${n}`]!(...g.args[n]!)), await values(off.grad[`valueAndGrad_${n}`]!(...c.args[n]!)), 1e-4, `valueAndGrad_${n} on webgpu`);
      expectClose(await values(on.grad[`jvp_${n}`]!(...g.args[n]!, ...g.tangents[n]!)), await values(off.grad[`jvp_${n}`]!(...c.args[n]!, ...c.tangents[n]!)), 1e-4, `jvp_${n} on webgpu`);
    });
  }
});
