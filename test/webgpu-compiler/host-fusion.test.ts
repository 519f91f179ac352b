/**
 * Fused groups that run inside a host kernel (docs/fusion.md): matrix
 * products with an elementwise epilogue (`matmulFused`, and the adjoint
 * products `matmulGradAFused` / `matmulGradBFused`) and reductions with an
 * elementwise prologue (`meanAllFused`, `sumFused`, `unbroadcastFused`, ...).
 * Per group kind: the fused file against the unfused one on the CPU
 * (float64 to 1e-12, float32 to 2e-5), its gradients against central
 * finite differences (float64, to 1e-7 relative), and the fused file on
 * WebGPU against the unfused one on the CPU (float32, to 1e-4 relative),
 * at batch sizes 1, 3 and 257, with broadcast biases and the run-time
 * fallbacks (an adjoint product that sums over a broadcast batch, a bias
 * that broadcasts the product up).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, fromArray, type Tensor } from 'wengert';
import type { FusedGroup } from '../../compiler/emit/fuse.ts';
import { buildFusedPair, expectClose, type Mod } from './helpers/fused-pair.ts';
import { gpuOrSkip } from '../webgpu/helpers.ts';
import { hostFusionSource } from './helpers/host-fusion-source.ts';

let on: Mod;
let off: Mod;
let groups: FusedGroup[];

beforeAll(async () => {
  ({ on, off, groups } = await buildFusedPair('h1/host-fusion', hostFusionSource));
});

type Make = (values: number[], shape: number[]) => Tensor;

interface Case {
  /** The arguments, made by `make`; the first `wrt` are differentiated. */
  args: (make: Make, rng: Rng) => unknown[];
  wrt: number;
}

const t = (make: Make, rng: Rng, shape: number[]) => make(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 7) % 4);

function cases(n: number): Record<string, Case> {
  return {
    dense: { wrt: 1, args: (m, r) => [{ W1: t(m, r, [5, 3]), b1: t(m, r, [3]), W2: t(m, r, [4, 3]), b2: t(m, r, [4]) }, t(m, r, [n, 5]), labels(n)] },
    mse: { wrt: 1, args: (m, r) => [t(m, r, [n, 3]), t(m, r, [3])] },
    axes: { wrt: 2, args: (m, r) => [t(m, r, [n, 3]), t(m, r, [3])] },
    batched: { wrt: 2, args: (m, r) => [t(m, r, [2, n, 3]), t(m, r, [3, 4]), t(m, r, [4])] },
    wide: { wrt: 3, args: (m, r) => [t(m, r, [n, 3]), t(m, r, [3, 4]), t(m, r, [2, 1, 4])] },
  };
}

const names = ['dense', 'mse', 'axes', 'batched', 'wide'] as const;
const sizes = [1, 3, 257];
const onCpu = (dtype: 'float32' | 'float64'): Make => (v, shape) => fromArray(v, shape, dtype);
const argsOf = (name: string, n: number, make: Make) => cases(n)[name]!.args(make, new Rng(17 + n));

/** The tensors of a value in a fixed order (object keys sorted). */
function leaves(x: unknown): Tensor[] {
  if (x && typeof x === 'object' && 'backend' in x && 'shape' in x) return [x as Tensor];
  if (Array.isArray(x)) return x.flatMap(leaves);
  if (x && typeof x === 'object') return Object.keys(x).sort().flatMap((k) => leaves((x as Record<string, unknown>)[k]));
  return [];
}

/** `x` with each tensor leaf replaced by `replace(leaf, its index in leaves order)`. */
function mapLeaves(x: unknown, replace: (t: Tensor, i: number) => Tensor, counter = { i: 0 }): unknown {
  if (x && typeof x === 'object' && 'backend' in x && 'shape' in x) return replace(x as Tensor, counter.i++);
  if (Array.isArray(x)) return x.map((e) => mapLeaves(e, replace, counter));
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) out[k] = mapLeaves((x as Record<string, unknown>)[k], replace, counter);
    return out;
  }
  return x;
}

async function values(x: unknown): Promise<number[]> {
  if (typeof x === 'number') return [x];
  const out: number[] = [];
  for (const l of leaves(x)) out.push(...Array.from(await l.data()));
  return out;
}

describe('groups fused into a host kernel', () => {
  it('the compiler emits matmul epilogues (forward and adjoint) and reduction prologues', () => {
    const kinds = (fn: string) => groups.filter((g) => g.fn === fn).map((g) => `${g.kind}: ${g.host ?? ''} ${g.text.formula}`);
    expect(kinds('valueAndVjp_dense').sort()).toEqual([
      'matmul epilogue: matmul(h, t5, false, true) sigmoid(add(v0, v1))',
      'matmul epilogue: matmul(x, t1) tanh(add(v0, v1))',
      'matmul epilogue: matmulGradA(dt6, h, t5, false, true) tanhGrad(v0, v1)',
    ]);
    expect(kinds('valueAndVjp_mse')).toContain('reduction prologue: meanAll(·) mul(v0, v0)');
    expect(kinds('valueAndVjp_axes')).toContain('reduction prologue: sum(·, [1], true) mul(v0, v0)');
    expect(kinds('valueAndVjp_axes').some((k) => k.startsWith('reduction prologue: unbroadcast(·, t1)'))).toBe(true);
    expect(kinds('valueAndVjp_batched')).toContain('matmul epilogue: matmulGradB(dt3, x, t2) tanhGrad(v0, v1)');
    expect(kinds('valueAndVjp_wide')).toContain('matmul epilogue: matmul(x, W) tanh(add(v0, v1))');
    // The products and the chains exist only as shapes where the adjoint still reads their shape.
    expect(on.text).toContain('const t2 = productLike(x, t1);');
    expect(on.text).toContain('const t1 = fusedLike(kernel_');
    expect(off.text).not.toMatch(/Fused\(|productLike|fusedLike/);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    const rtol = dtype === 'float64' ? 1e-12 : 2e-5;
    for (const name of names) {
      it(`${name}: fused and unfused agree (${dtype}), reverse and forward, batch ${sizes.join(', ')}`, async () => {
        for (const n of sizes) {
          const a = argsOf(name, n, onCpu(dtype));
          const b = argsOf(name, n, onCpu(dtype));
          expectClose(await values(on.grad[`valueAndGrad_${name}`]!(...a)), await values(off.grad[`valueAndGrad_${name}`]!(...b)), rtol, `valueAndGrad_${name} n=${n}`);
          const wrt = cases(n)[name]!.wrt;
          expectClose(await values(on.grad[`jvp_${name}`]!(...a, ...a.slice(0, wrt))), await values(off.grad[`jvp_${name}`]!(...b, ...b.slice(0, wrt))), rtol, `jvp_${name} n=${n}`);
        }
      });
    }
  }

  for (const name of names) {
    it(`${name}: the fused gradient and tangent match central finite differences (float64)`, async () => {
      for (const n of [1, 3]) {
        const args = argsOf(name, n, onCpu('float64'));
        const wrt = cases(n)[name]!.wrt;
        const dirRng = new Rng(99);
        const dirs = leaves(args.slice(0, wrt)).map((l) => Array.from({ length: l.size }, () => dirRng.normal()));
        const along = (eps: number) => [...(mapLeaves(args.slice(0, wrt), (l, i) => fromArray(Array.from(l.dataSync(), (v, j) => v + eps * dirs[i]![j]!), [...l.shape], 'float64')) as unknown[]), ...args.slice(wrt)];
        const f = (eps: number) => (on.source[name]!(...along(eps)) as Tensor).dataSync()[0]!;
        const h = 1e-6;
        const fd = (f(h) - f(-h)) / (2 * h);
        const [, grads] = on.grad[`valueAndGrad_${name}`]!(...args) as [Tensor, unknown];
        const g = leaves(grads);
        const reverse = g.reduce((s, l, i) => s + Array.from(l.dataSync()).reduce((t2, v, j) => t2 + v * dirs[i]![j]!, 0), 0);
        const tangents = mapLeaves(args.slice(0, wrt), (l, i) => fromArray(dirs[i]!, [...l.shape], 'float64')) as unknown[];
        const [, forward] = on.grad[`jvp_${name}`]!(...args, ...tangents) as [Tensor, Tensor];
        const tol = 1e-7 * Math.max(1, Math.abs(fd));
        expect(Math.abs(fd), `${name} n=${n}: a directional derivative that says something`).toBeGreaterThan(1e-3);
        expect(Math.abs(reverse - fd), `${name} n=${n}: reverse ${reverse} vs finite differences ${fd}`).toBeLessThan(tol);
        expect(Math.abs(forward.dataSync()[0]! - fd), `${name} n=${n}: forward ${forward.dataSync()[0]} vs finite differences ${fd}`).toBeLessThan(tol);
      }
    });
  }
});

const gpu = await gpuOrSkip('the host-fused kernels on WebGPU');

describe.skipIf(!gpu)('groups fused into a host kernel, on WebGPU', () => {
  for (const name of names) {
    it(`${name}: the fused file on webgpu agrees with the unfused one on the CPU (float32, rtol 1e-4), batch ${sizes.join(', ')}`, async () => {
      for (const n of sizes) {
        const g = argsOf(name, n, (v, shape) => gpu!.fromValues(Float32Array.from(v), shape));
        const c = argsOf(name, n, onCpu('float32'));
        expectClose(await values(on.grad[`valueAndGrad_${name}`]!(...g)), await values(off.grad[`valueAndGrad_${name}`]!(...c)), 1e-4, `valueAndGrad_${name} n=${n} on webgpu`);
        const wrt = cases(n)[name]!.wrt;
        expectClose(await values(on.grad[`jvp_${name}`]!(...g, ...g.slice(0, wrt))), await values(off.grad[`jvp_${name}`]!(...c, ...c.slice(0, wrt))), 1e-4, `jvp_${name} n=${n} on webgpu`);
      }
    });
  }
});
