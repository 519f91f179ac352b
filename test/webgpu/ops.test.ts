/**
 * Every op of the runtime on WebGPU against the CPU backend (tolerance in
 * helpers.ts): elementwise ops over broadcasting and odd sizes (1, 3, 257),
 * reductions up to 10^6 elements, matmul with both transposes and batch
 * broadcasting, layout ops, gather / scatterAdd with repeated indices,
 * softmax and the fused cross-entropy, dropout masks bit-identical to the
 * CPU's, random initialisers and the optimizers.
 */
import { describe, expect, it } from 'vitest';
import * as W from 'wengert';
import { cpu, Tensor, type Operand } from 'wengert';
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../../runtime/backends/backend.ts';
import { binaryOps, unaryGradOps, unaryOps, wgslLiteral, wgslPrelude } from '../../runtime/backends/op-table.ts';
import type { FusedKernel } from '../../runtime/backends/fused.ts';
import { expectClose, gpuOrSkip, pair, values } from './helpers.ts';

const gpu = await gpuOrSkip();

/** Maps the CPU operands to GPU ones (tensors copied, numbers kept). */
function onGpu(xs: readonly Operand[]): Operand[] {
  return xs.map((x) => (typeof x === 'number' ? x : gpu!.fromValues((x.dataSync() as Float32Array | Int32Array).slice(), x.shape)));
}

const f32 = (shape: number[], seed: number, lo = -2, hi = 2): Tensor => cpu.fromValues(values(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
/** Values on a coarse grid, so comparisons and maxMask meet ties. */
const grid = (shape: number[], seed: number): Tensor => {
  const v = values(shape.reduce((a, b) => a * b, 1), seed, -2, 2).map((x) => Math.round(x * 2) / 2);
  return cpu.fromValues(v, shape);
};

describe.skipIf(!gpu)('webgpu elementwise ops against the CPU', () => {
  const sizes = [[1], [3], [257], [3, 257]];
  const positive = new Set<UnaryOp>(['log', 'sqrt']);

  it.each(Object.keys(unaryOps) as UnaryOp[])('%s over sizes 1, 3, 257 and [3,257]', async (op) => {
    for (const shape of sizes) {
      const x = positive.has(op) ? f32(shape, 7, 0.01, 9) : f32(shape, 7, -9, 9);
      const param = op === 'leakyRelu' ? 0.2 : 0;
      const [g] = onGpu([x]) as [Tensor];
      await expectClose(gpu!.unary(op, g, param), cpu.unary(op, x, param), `${op} [${shape}]`, undefined, op === 'sigmoid' ? 2e-7 : 0);
    }
  });

  it.each(Object.keys(unaryGradOps) as UnaryGradOp[])('%sGrad over sizes 1, 3, 257', async (op) => {
    for (const shape of sizes) {
      const g = f32(shape, 3);
      const v = op === 'tanh' || op === 'sigmoid' ? f32(shape, 4, -1, 1) : grid(shape, 4);
      const [gg, gv] = onGpu([g, v]) as [Tensor, Tensor];
      await expectClose(gpu!.unaryGrad(op, gg, gv, 0.3), cpu.unaryGrad(op, g, v, 0.3), `${op}Grad [${shape}]`);
    }
  });

  const broadcasts: [number[], number[]][] = [
    [[257], [257]],
    [[4, 257], [257]],
    [[3, 1], [1, 5]],
    [[2, 3, 4], [3, 1]],
    [[1], [3, 257]],
    [[5, 1, 3], [1, 4, 1]],
  ];

  it.each(Object.keys(binaryOps) as BinaryOp[])('%s with broadcasting, numbers and size-1 tensors', async (op) => {
    const fn = (W as unknown as Record<string, (a: Operand, b: Operand) => Operand>)[op]!;
    for (const [sa, sb] of broadcasts) {
      const a = op === 'pow' ? f32(sa, 11, 0.1, 3) : grid(sa, 11);
      const b = op === 'pow' ? f32(sb, 12, -2, 2) : grid(sb, 12);
      const [ga, gb] = onGpu([a, b]) as [Tensor, Tensor];
      await expectClose(fn(ga, gb), fn(a, b), `${op} [${sa}] [${sb}]`);
    }
    const a = grid([3, 257], 5);
    const [ga] = onGpu([a]) as [Tensor];
    await expectClose(fn(ga, 0.5), fn(a, 0.5), `${op} with a number on the right`);
    await expectClose(fn(1.5, ga), fn(1.5, a), `${op} with a number on the left`);
  });

  it('pow follows JavaScript for negative bases, zero and integer exponents', async () => {
    const a = cpu.fromValues(Float32Array.from([-2, -2, -3, 0, 0, 0, 2, -1.5]), [8]);
    const b = cpu.fromValues(Float32Array.from([2, 3, 0.5, 0, 2, -1, -2, 3]), [8]);
    const [ga, gb] = onGpu([a, b]) as [Tensor, Tensor];
    await expectClose(W.pow(ga, gb), W.pow(a, b), 'pow');
  });

  it('log, sqrt, exp and softplus at 0, negatives and infinities give what JavaScript gives', async () => {
    const x = cpu.fromValues(Float32Array.from([0, -1, Infinity, -Infinity, 1e-30, 100, -100]), [7]);
    const [g] = onGpu([x]) as [Tensor];
    for (const op of ['log', 'sqrt', 'exp', 'softplus', 'tanh', 'sigmoid'] as const) await expectClose(gpu!.unary(op, g, 0), cpu.unary(op, x, 0), `${op} at edge values`);
  });

  it('int32 operands keep int32 where the CPU does, and comparisons give int32', async () => {
    const a = cpu.fromValues(Int32Array.from([-3, 0, 7, 100000]), [4]);
    const b = cpu.fromValues(Int32Array.from([2, 0, -7, 3]), [4]);
    const [ga, gb] = onGpu([a, b]) as [Tensor, Tensor];
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'greater', 'equal'] as const) {
      await expectClose(W[op](ga, gb), W[op](a, b), `int32 ${op}`);
    }
    await expectClose(W.neg(ga), W.neg(a), 'int32 neg');
    await expectClose(W.exp(W.div(ga, 10)), W.exp(W.div(a, 10)), 'int32 / number');
  });

  it('where over broadcast condition and operands', async () => {
    const c = cpu.fromValues(Int32Array.from([1, 0, 1]), [3, 1]);
    const a = f32([3, 257], 1);
    const b = f32([257], 2);
    const [gc, ga, gb] = onGpu([c, a, b]) as [Tensor, Tensor, Tensor];
    await expectClose(W.where(gc, ga, gb), W.where(c, a, b), 'where');
    await expectClose(W.where(W.greater(ga, 0), ga, 0), W.where(W.greater(a, 0), a, 0), 'where with a number');
  });

  it('cast truncates toward zero like the CPU', async () => {
    const x = cpu.fromValues(Float32Array.from([-2.7, -0.5, 0, 0.5, 2.7, 1e6 + 0.5]), [6]);
    const [g] = onGpu([x]) as [Tensor];
    const gi = W.cast(g, 'int32');
    await expectClose(gi, W.cast(x, 'int32'), 'float32 -> int32');
    await expectClose(W.cast(gi, 'float32'), W.cast(W.cast(x, 'int32'), 'float32'), 'int32 -> float32');
  });

  it('a fused kernel runs its WGSL body over broadcast operands', async () => {
    const kernel: FusedKernel = {
      name: 'fused_test_1',
      arity: 3,
      wgsl: `fn body(v0: f32, v1: f32, v2: f32) -> f32 { return ${binaryOps.add.wgsl(unaryGradOps.tanh.wgsl('v0', 'v1'), 'v2')}; }`,
      cpu: (v0, v1, v2) => v0! * (1 - v1! * v1!) + v2!,
    };
    const g = f32([3, 257], 1);
    const y = f32([3, 257], 2, -1, 1);
    const b = f32([257], 3);
    const [gg, gy, gb] = onGpu([g, y, b]) as [Tensor, Tensor, Tensor];
    await expectClose(gpu!.fused(kernel, [gg, gy, gb], [3, 257], 'float32'), cpu.fused(kernel, [g, y, b], [3, 257], 'float32'), 'fused');
    await expectClose(gpu!.fused(kernel, [gg, gy, 0.25], [3, 257], 'float32'), cpu.fused(kernel, [g, y, 0.25], [3, 257], 'float32'), 'fused, number operand');
    // A kernel that declares the op table's helpers it calls gets no second copy of them.
    const tanhFn = wgslPrelude.slice(wgslPrelude.indexOf('fn wg_tanh'), wgslPrelude.indexOf('fn wg_log1p'));
    const own: FusedKernel = { name: 'fused_test_2', arity: 1, wgsl: `${tanhFn}\nfn body(v0: f32) -> f32 { return ${unaryOps.tanh.wgsl('v0')}; }`, cpu: (v0) => Math.tanh(v0!) };
    await expectClose(gpu!.fused(own, [gy], [3, 257], 'float32'), W.tanh(y), 'fused kernel declaring wg_tanh');
  });

  it('wgslLiteral gives the exact float32 value', () => {
    expect(wgslLiteral(2)).toBe('2.0');
    expect(wgslLiteral(-Infinity)).toBe('wg_bits(0xff800000u)');
    expect(wgslLiteral(0.1)).toBe(`bitcast<f32>(0x${new Uint32Array(Float32Array.of(0.1).buffer)[0]!.toString(16)}u)`);
  });
});

describe.skipIf(!gpu)('webgpu reductions against the CPU', () => {
  it.each(['sum', 'max', 'min'] as const)('%s over every axis set of [3,257,5], keepdims or not', async (op) => {
    const x = f32([3, 257, 5], 9);
    const [g] = onGpu([x]) as [Tensor];
    for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
      for (const keepdims of [false, true]) {
        await expectClose(gpu!.reduce(op, g, axes, keepdims), cpu.reduce(op, x, axes, keepdims), `${op} axes [${axes}] keepdims ${keepdims}`);
      }
    }
  });

  it('sums 10^6 elements in several passes, by rows and by columns', async () => {
    const x = f32([1_000_000], 21, -1, 1);
    const [g] = onGpu([x]) as [Tensor];
    await expectClose(gpu!.reduce('sum', g, [0], false), cpu.reduce('sum', x, [0], false), 'sum of 10^6');
    await expectClose(gpu!.reduce('max', g, [0], false), cpu.reduce('max', x, [0], false), 'max of 10^6');
    const cols = cpu.reshape(x, [250_000, 4]);
    const [gc] = onGpu([cols]) as [Tensor];
    await expectClose(gpu!.reduce('sum', gc, [0], true), cpu.reduce('sum', cols, [0], true), 'column sums of [250000,4]');
    await expectClose(gpu!.reduce('min', gc, [0], false), cpu.reduce('min', cols, [0], false), 'column mins of [250000,4]');
  });

  it('int32 sums stay int32; mean divides', async () => {
    const x = cpu.fromValues(Int32Array.from({ length: 257 }, (_, i) => i - 100), [257]);
    const [g] = onGpu([x]) as [Tensor];
    await expectClose(gpu!.reduce('sum', g, [0], false), cpu.reduce('sum', x, [0], false), 'int32 sum');
    const y = f32([4, 257], 2);
    const [gy] = onGpu([y]) as [Tensor];
    await expectClose(W.mean(gy, 1), W.mean(y, 1), 'mean over axis 1');
  });

  it('argmax takes the first index of the largest value', async () => {
    const x = grid([7, 257], 4);
    const [g] = onGpu([x]) as [Tensor];
    await expectClose(W.argmax(g, 1), W.argmax(x, 1), 'argmax axis 1');
    await expectClose(W.argmax(g, 0), W.argmax(x, 0), 'argmax axis 0');
  });
});

describe.skipIf(!gpu)('webgpu matmul against the CPU', () => {
  it('2-D products of odd sizes with every transpose combination', async () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 257, 5],
      [130, 70, 65],
      [64, 16, 64],
      // Multiples of 4 (vec4 block loads, kernels/matmul.ts matmulLayout) with partial tiles, and a K % 4 tail.
      [36, 20, 44],
      [8, 6, 12],
    ] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = f32(ta ? [k, m] : [m, k], m + k);
          const b = f32(tb ? [n, k] : [k, n], n + k);
          const [ga, gb] = onGpu([a, b]) as [Tensor, Tensor];
          await expectClose(W.matmul(ga, gb, ta, tb), W.matmul(a, b, ta, tb), `matmul ${m}x${k}x${n} tA ${ta} tB ${tb}`);
        }
      }
    }
  });

  it('batched products broadcast their batch dimensions', async () => {
    const a = f32([2, 1, 3, 4], 1);
    const b = f32([5, 4, 6], 2);
    const [ga, gb] = onGpu([a, b]) as [Tensor, Tensor];
    await expectClose(W.matmul(ga, gb), W.matmul(a, b), 'matmul [2,1,3,4] [5,4,6]');
    const c = f32([3, 6, 3], 3);
    const [gc] = onGpu([c]) as [Tensor];
    await expectClose(W.matmul(ga, gc, true, true), W.matmul(a, c, true, true), 'matmul [2,1,3,4]^T [3,6,3]^T');
    // Batch offsets that keep the vec4 loads aligned.
    const d = f32([3, 8, 12], 4);
    const e = f32([3, 12, 16], 5);
    const [gd, ge] = onGpu([d, e]) as [Tensor, Tensor];
    await expectClose(W.matmul(gd, ge), W.matmul(d, e), 'matmul [3,8,12] [3,12,16]');
    await expectClose(W.matmul(gd, gd, true, false), W.matmul(d, d, true, false), 'matmul [3,8,12]^T [3,8,12]');
  });
});

describe.skipIf(!gpu)('webgpu matmul with a fused epilogue against the CPU', () => {
  const tanhBias: FusedKernel = {
    name: 'fused_epilogue_1',
    arity: 3,
    wgsl: `fn body(v0: f32, v1: f32, v2: f32) -> f32 { return ${unaryOps.tanh.wgsl(binaryOps.mul.wgsl(binaryOps.add.wgsl('v0', 'v1'), 'v2'))}; }`,
    cpu: (v0, v1, v2) => Math.tanh((v0! + v1!) * v2!),
  };

  it('tanh((a b + bias) s) with a bias row, a full operand or a number, transposes and a batch', async () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = f32(ta ? [70, 130] : [130, 70], 1);
      const b = f32(tb ? [65, 70] : [70, 65], 2);
      const bias = f32([65], 3);
      const full = f32([130, 65], 4);
      const [ga, gb, gbias, gfull] = onGpu([a, b, bias, full]) as [Tensor, Tensor, Tensor, Tensor];
      await expectClose(W.matmulFused(tanhBias, ga, gb, [gbias, 0.5], ta, tb), W.matmulFused(tanhBias, a, b, [bias, 0.5], ta, tb), `epilogue tA ${ta} tB ${tb}`);
      await expectClose(W.matmulFused(tanhBias, ga, gb, [0.25, gfull], ta, tb), W.matmulFused(tanhBias, a, b, [0.25, full], ta, tb), `epilogue with a full operand tA ${ta} tB ${tb}`);
    }
    const a = f32([2, 1, 3, 4], 5);
    const b = f32([5, 4, 6], 6);
    const bias = f32([5, 1, 6], 7);
    const [ga, gb, gbias] = onGpu([a, b, bias]) as [Tensor, Tensor, Tensor];
    await expectClose(W.matmulFused(tanhBias, ga, gb, [gbias, 2]), W.matmulFused(tanhBias, a, b, [bias, 2]), 'batched epilogue with a broadcast bias');
    // The CPU result is the unfused computation.
    await expectClose(W.matmulFused(tanhBias, ga, gb, [gbias, 2]), W.tanh(W.mul(W.add(W.matmul(a, b), bias), 2)), 'epilogue equals the unfused ops');
    expect(() => W.matmulFused(tanhBias, ga, gb, [f32([3], 1), 1])).toThrow(/fused_epilogue_1: shapes \[2,5,3,6\] and \[3\] cannot be broadcast/);
  });
});

describe.skipIf(!gpu)('webgpu layout ops against the CPU', () => {
  it('transpose, slice, sliceAdjoint, concat, broadcastTo and reshape', async () => {
    const x = f32([3, 4, 257], 5);
    const [g] = onGpu([x]) as [Tensor];
    await expectClose(W.transpose(g, [2, 0, 1]), W.transpose(x, [2, 0, 1]), 'transpose');
    await expectClose(W.transpose(g), W.transpose(x), 'transpose reversed');
    await expectClose(W.slice(g, [1, 0, 3], [2, -1, 200]), W.slice(x, [1, 0, 3], [2, -1, 200]), 'slice');
    const s = W.slice(x, [1, 1, 0], [1, 2, 257]);
    const [gs] = onGpu([s]) as [Tensor];
    await expectClose(W.sliceGrad(gs, g, [1, 1, 0]), W.sliceGrad(s, x, [1, 1, 0]), 'sliceAdjoint');
    const y = f32([3, 1, 257], 6);
    const [gy] = onGpu([y]) as [Tensor];
    await expectClose(W.concat([g, gy, g], 1), W.concat([x, y, x], 1), 'concat axis 1');
    await expectClose(W.broadcastTo(gy, [2, 3, 5, 257]), W.broadcastTo(y, [2, 3, 5, 257]), 'broadcastTo');
    await expectClose(W.reshape(g, [12, -1]), W.reshape(x, [12, -1]), 'reshape');
  });

  it('gather and scatterAdd with repeated indices (scatterAdd sums in the CPU order: bit-identical)', async () => {
    const table = f32([10, 257], 7);
    const [gt] = onGpu([table]) as [Tensor];
    const idx = Int32Array.from([3, 3, 0, 9, 3, 1]);
    await expectClose(W.gather(gt, idx), W.gather(table, idx), 'gather');
    const updates = f32([6, 257], 8);
    const [gu] = onGpu([updates]) as [Tensor];
    const want = W.scatterAdd(table, idx, updates);
    const got = W.scatterAdd(gt, idx, gu);
    expect(Array.from(await got.data())).toEqual(Array.from(want.dataSync()));
    const idx2 = cpu.fromValues(Int32Array.from([1, 1, 1, 1, 2, 0]), [2, 3]);
    const gIdx2 = gpu!.fromValues(Int32Array.from([1, 1, 1, 1, 2, 0]), [2, 3]);
    await expectClose(W.gather(gt, gIdx2), W.gather(table, idx2), 'gather by an int32 tensor of shape [2,3]');
  });
});

describe.skipIf(!gpu)('webgpu nn ops against the CPU', () => {
  it('softmax and logSoftmax along the last and a middle axis, stable for large logits', async () => {
    const x = f32([4, 257, 3], 3, -5, 5);
    const big = W.add(x, 1000) as Tensor;
    const [g, gb] = onGpu([x, big]) as [Tensor, Tensor];
    for (const axis of [-1, 1, 0]) {
      await expectClose(W.softmax(g, axis), W.softmax(x, axis), `softmax axis ${axis}`);
      await expectClose(W.logSoftmax(g, axis), W.logSoftmax(x, axis), `logSoftmax axis ${axis}`);
    }
    await expectClose(W.softmax(gb), W.softmax(big), 'softmax of logits near 1000');
    await expectClose(W.logSoftmax(gb, 1), W.logSoftmax(big, 1), 'logSoftmax of logits near 1000', 1e-4);
  });

  it('softmax cross-entropy: the mean on the device as a 0-d tensor (one workgroup, or per-row losses and a sum), and the fused gradient', async () => {
    for (const [n, c] of [
      [1, 3],
      [128, 10],
      [3, 1000],
      [20000, 5],
    ] as const) {
      const logits = f32([n, c], n + c, -4, 4);
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % c);
      const [g] = onGpu([logits]) as [Tensor];
      const loss = gpu!.softmaxCrossEntropyMean(g, labels);
      expect(loss.shape).toEqual([]);
      await expectClose(loss, cpu.softmaxCrossEntropy(logits, labels), `cross-entropy [${n},${c}]`);
      await expectClose(W.softmaxCrossEntropyGrad(0.5, g, labels), W.softmaxCrossEntropyGrad(0.5, logits, labels), `cross-entropy gradient [${n},${c}]`);
    }
  });

  it('dropout keeps exactly the CPU mask for the same seed', async () => {
    const x = f32([1000, 257], 1, 0.5, 2);
    const [g] = onGpu([x]) as [Tensor];
    for (const [rate, seed] of [
      [0.5, 42],
      [0.1, 7],
      [0.9, 0xdeadbeef],
    ] as const) {
      const want = W.dropout(x, rate, seed).dataSync();
      const got = await W.dropout(g, rate, seed).data();
      let maskDiff = 0;
      for (let i = 0; i < want.length; i++) if ((want[i] === 0) !== (got[i] === 0)) maskDiff++;
      expect(maskDiff, `dropout rate ${rate} seed ${seed}: elements whose mask differs`).toBe(0);
      await expectClose(W.dropout(g, rate, seed), W.dropout(x, rate, seed), `dropout values rate ${rate}`);
    }
  });

  it('random initialisers give the CPU values for the same seed', async () => {
    const shapes = [[784, 128], [3], [1]];
    for (const shape of shapes) {
      expect(Array.from(await gpu!.random('normal', shape, 0, 0.1, 5, 'float32').data())).toEqual(Array.from(cpu.random('normal', shape, 0, 0.1, 5, 'float32').dataSync()));
      expect(Array.from(await gpu!.random('uniform', shape, -1, 1, 6, 'float32').data())).toEqual(Array.from(cpu.random('uniform', shape, -1, 1, 6, 'float32').dataSync()));
    }
  });

  it('sgd (with weight decay), momentum (plain and Nesterov) and adam update in place like the CPU', async () => {
    const fresh = (seed: number): [Tensor, Tensor] => pair(gpu!, values(257, seed), [257]);
    const grads = [1, 2, 3].map((s) => pair(gpu!, values(257, 100 + s), [257]));
    const [pc, pg] = fresh(1);
    const [vc, vg] = pair(gpu!, new Float32Array(257), [257]);
    const [mc, mg] = pair(gpu!, new Float32Array(257), [257]);
    const [v2c, v2g] = pair(gpu!, new Float32Array(257), [257]);
    const [qc, qg] = fresh(2);
    const [rc, rg] = fresh(3);
    const [wc, wg] = pair(gpu!, new Float32Array(257), [257]);
    for (let t = 1; t <= 3; t++) {
      const [gc, gg] = grads[t - 1]!;
      cpu.sgdInPlace(pc, gc, 0.1, 0.01);
      gpu!.sgdInPlace(pg, gg, 0.1, 0.01);
      cpu.momentumInPlace(qc, gc, vc, 0.1, 0.9, t === 2);
      gpu!.momentumInPlace(qg, gg, vg, 0.1, 0.9, t === 2);
      cpu.adamInPlace(rc, gc, mc, v2c, 0.01, 0.9, 0.999, 1e-8, t);
      gpu!.adamInPlace(rg, gg, mg, v2g, 0.01, 0.9, 0.999, 1e-8, t);
      cpu.sgdInPlace(wc, gc, 0.5, 0);
      gpu!.sgdInPlace(wg, gg, 0.5, 0);
    }
    await expectClose(pg, pc, 'sgd');
    await expectClose(qg, qc, 'momentum');
    await expectClose(vg, vc, 'momentum velocity');
    await expectClose(rg, rc, 'adam', 1e-4);
    await expectClose(mg, mc, 'adam first moment');
    await expectClose(v2g, v2c, 'adam second moment', 1e-4);
    await expectClose(wg, wc, 'sgd without weight decay');
  });

  it('sgd updates are batched into one dispatch per 4 parameters, in order, also when gradients are released at once', async () => {
    const shapes = [[784, 128], [128], [128, 10], [10], [5]];
    const ps = shapes.map((s, k) => pair(gpu!, values(s.reduce((a, b) => a * b, 1), 40 + k), s));
    const gs = shapes.map((s, k) => pair(gpu!, values(s.reduce((a, b) => a * b, 1), 60 + k), s));
    const before = gpu!.gpu.counters.dispatches;
    for (let step = 0; step < 2; step++) {
      for (let k = 0; k < shapes.length; k++) {
        cpu.sgdInPlace(ps[k]![0], gs[k]![0], 0.1, 0);
        gpu!.sgdInPlace(ps[k]![1], gs[k]![1], 0.1, 0);
      }
    }
    // 10 updates of at most 4 parameters per dispatch: [0-3], [4, 0, 1, 2], [3, 4].
    await gpu!.sync();
    expect(gpu!.gpu.counters.dispatches - before).toBe(3);
    // The same parameter twice in a row: the second update waits for the first (its own dispatch).
    cpu.sgdInPlace(ps[4]![0], gs[4]![0], 0.1, 0);
    gpu!.sgdInPlace(ps[4]![1], gs[4]![1], 0.1, 0);
    cpu.sgdInPlace(ps[4]![0], gs[4]![0], 0.1, 0);
    gpu!.sgdInPlace(ps[4]![1], gs[4]![1], 0.1, 0);
    await gpu!.sync();
    expect(gpu!.gpu.counters.dispatches - before).toBe(5);
    for (let k = 0; k < shapes.length; k++) await expectClose(ps[k]![1], ps[k]![0], `batched sgd parameter ${k}`);
    const [pc, pg] = pair(gpu!, values(300, 1), [300]);
    const [gc, gg] = pair(gpu!, values(300, 2), [300]);
    cpu.sgdInPlace(pc, gc, 0.5, 0.1);
    gpu!.sgdInPlace(pg, gg, 0.5, 0.1);
    gpu!.release(gg);
    const fresh = gpu!.fromValues(new Float32Array(300).fill(7), [300]);
    await expectClose(pg, pc, 'sgd with its gradient released before it ran');
    expect(Array.from(await fresh.data()).every((v) => v === 7)).toBe(true);
  });
});
