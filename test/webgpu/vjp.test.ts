/**
 * The runtime's derivative helpers (runtime/ops/adjoint.ts and nn.ts: what
 * generated reverse and forward code calls) on WebGPU against the CPU,
 * within the float32 tolerance of helpers.ts: undoing broadcasts, the
 * cotangents of reductions, matmul, layout ops and nn losses, and
 * accumulation.
 */
import { describe, it } from 'vitest';
import * as W from 'wengert';
import { cpu, Tensor } from 'wengert';
import { expectClose, gpuOrSkip, values } from './helpers.ts';

const gpu = await gpuOrSkip();

const f32 = (shape: number[], seed: number, lo = -2, hi = 2): Tensor => cpu.fromValues(values(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
const up = (x: Tensor): Tensor => gpu!.fromValues((x.dataSync() as Float32Array | Int32Array).slice(), x.shape);
/** A CPU tensor and its GPU copy. */
const both = (shape: number[], seed: number, lo?: number, hi?: number): [Tensor, Tensor] => {
  const c = f32(shape, seed, lo, hi);
  return [c, up(c)];
};

describe.skipIf(!gpu)('webgpu derivative helpers against the CPU', () => {
  it('unbroadcast, broadcastLike, expandReduced, reduceGrad and meanGrad over broadcast shapes', async () => {
    const [g, gg] = both([4, 3, 257], 1);
    for (const shape of [[257], [3, 1], [1, 3, 257], [4, 1, 1], [1]]) {
      const [like, glike] = both(shape, 2);
      await expectClose(W.unbroadcast(gg, glike), W.unbroadcast(g, like), `unbroadcast to [${shape}]`);
    }
    const [t, gt] = both([3, 1], 3);
    await expectClose(W.broadcastLike(gt, gg), W.broadcastLike(t, g), 'broadcastLike');
    await expectClose(W.broadcastLike(0.5, gg), W.broadcastLike(0.5, g), 'broadcastLike of a number');
    const [r, gr] = both([4, 257], 4);
    await expectClose(W.expandReduced(gr, gg, 1, false) as Tensor, W.expandReduced(r, g, 1, false) as Tensor, 'expandReduced');
    await expectClose(W.reduceGrad(gr, gg, 1), W.reduceGrad(r, g, 1), 'reduceGrad');
    await expectClose(W.meanGrad(gr, gg, 1), W.meanGrad(r, g, 1), 'meanGrad');
    await expectClose(W.meanGrad(1.5, gg), W.meanGrad(1.5, g), 'meanGrad of a full mean');
  });

  it('maxGrad and maxJvp split ties equally; logsumexp, its gradient and its tangent', async () => {
    const grid = cpu.fromValues(values(4 * 257, 5).map((v) => Math.round(v)), [4, 257]);
    const ggrid = up(grid);
    const out = W.max(grid, 1);
    const gout = W.max(ggrid, 1);
    const [g, gg] = both([4], 6);
    await expectClose(W.maxGrad(gg, ggrid, gout, 1), W.maxGrad(g, grid, out, 1), 'maxGrad with ties');
    const [dx, gdx] = both([4, 257], 7);
    await expectClose(W.maxJvp(gdx, ggrid, gout, 1), W.maxJvp(dx, grid, out, 1), 'maxJvp');
    const [x, gx] = both([4, 257], 8, -30, 30);
    const lse = W.logsumexp(x, 1);
    const glse = W.logsumexp(gx, 1);
    await expectClose(glse, lse, 'logsumexp');
    await expectClose(W.logsumexpGrad(gg, gx, glse, 1), W.logsumexpGrad(g, x, lse, 1), 'logsumexpGrad');
    await expectClose(W.logsumexpJvp(gdx, gx, glse, 1), W.logsumexpJvp(dx, x, lse, 1), 'logsumexpJvp');
    const inf = cpu.fromValues(Float32Array.from([-Infinity, -Infinity, 1, 2]), [2, 2]);
    await expectClose(W.logsumexp(up(inf), 1), W.logsumexp(inf, 1), 'logsumexp of a row of -Infinity');
  });

  it('matmulGradA and matmulGradB for every transpose and a broadcast batch', async () => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const [a, ga] = both(ta ? [2, 7, 3] : [2, 3, 7], 1);
        const [b, gb] = both(tb ? [5, 7] : [7, 5], 2);
        const [g, gg] = both([2, 3, 5], 3);
        await expectClose(W.matmulGradA(gg, ga, gb, ta, tb), W.matmulGradA(g, a, b, ta, tb), `matmulGradA tA ${ta} tB ${tb}`);
        await expectClose(W.matmulGradB(gg, ga, gb, ta, tb), W.matmulGradB(g, a, b, ta, tb), `matmulGradB tA ${ta} tB ${tb}`);
      }
    }
  });

  it('layout adjoints: transposeGrad, sliceGrad, splitLike, reshapeLike, castLike', async () => {
    const [x, gx] = both([3, 4, 5], 1);
    const [g, gg] = both([5, 3, 4], 2);
    await expectClose(W.transposeGrad(gg, [2, 0, 1]), W.transposeGrad(g, [2, 0, 1]), 'transposeGrad');
    const [s, gs] = both([2, 2, 5], 3);
    await expectClose(W.sliceGrad(gs, gx, [1, 2, 0]), W.sliceGrad(s, x, [1, 2, 0]), 'sliceGrad');
    const [c, gc] = both([3, 9, 5], 4);
    const [y] = both([3, 5, 5], 5);
    const parts = W.splitLike(c, [x, y], 1);
    const gparts = W.splitLike(gc, [gx, up(y)], 1);
    await expectClose(gparts[0]!, parts[0]!, 'splitLike first');
    await expectClose(gparts[1]!, parts[1]!, 'splitLike second');
    await expectClose(W.reshapeLike(W.reshape(gx, [60]), gx), W.reshapeLike(W.reshape(x, [60]), x), 'reshapeLike');
    const xi = W.cast(x, 'int32');
    await expectClose(W.castLike(gx, W.cast(gx, 'int32')), W.castLike(x, xi), 'castLike');
  });

  it('nn cotangents: softmaxGrad, logSoftmaxGrad and Jvp, sigmoid cross-entropy, mse, softmax cross-entropy', async () => {
    const [x, gx] = both([6, 257], 1, -4, 4);
    const [g, gg] = both([6, 257], 2);
    const y = W.softmax(x);
    const gy = W.softmax(gx);
    await expectClose(W.softmaxGrad(gg, gy), W.softmaxGrad(g, y), 'softmaxGrad');
    const ly = W.logSoftmax(x, 0);
    const gly = W.logSoftmax(gx, 0);
    await expectClose(W.logSoftmaxGrad(gg, gly, 0), W.logSoftmaxGrad(g, ly, 0), 'logSoftmaxGrad');
    await expectClose(W.logSoftmaxJvp(gg, gly, 0), W.logSoftmaxJvp(g, ly, 0), 'logSoftmaxJvp');
    const [z, gz] = both([6, 257], 3, 0, 1);
    await expectClose(W.sigmoidCrossEntropyGrad(0.7, gx, gz), W.sigmoidCrossEntropyGrad(0.7, x, z), 'sigmoidCrossEntropyGrad');
    await expectClose(W.sigmoidCrossEntropyTargetGrad(0.7, gx), W.sigmoidCrossEntropyTargetGrad(0.7, x), 'sigmoidCrossEntropyTargetGrad');
    await expectClose(W.mseGrad(0.7, gx, gz), W.mseGrad(0.7, x, z), 'mseGrad');
    const labels = Int32Array.from({ length: 6 }, (_, i) => (i * 37) % 257);
    await expectClose(W.softmaxCrossEntropyGrad(2, gx, labels), W.softmaxCrossEntropyGrad(2, x, labels), 'softmaxCrossEntropyGrad');
    await expectClose(W.dropout(gg, 0.3, 9), W.dropout(g, 0.3, 9), 'dropout (its own adjoint)');
  });

  it('accumulate and addN add cotangents, broadcasting and through arrays and objects', async () => {
    const [a, ga] = both([3, 257], 1);
    const [b, gb] = both([257], 2);
    await expectClose(W.addN([ga, null, gb, 2]) as Tensor, W.addN([a, null, b, 2]) as Tensor, 'addN');
    const acc = W.accumulate({ w: [ga, gb] }, { w: [gb, ga] })!;
    const want = W.accumulate({ w: [a, b] }, { w: [b, a] })!;
    await expectClose(acc.w[0] as Tensor, want.w[0] as Tensor, 'accumulate object of arrays [0]');
    await expectClose(acc.w[1] as Tensor, want.w[1] as Tensor, 'accumulate object of arrays [1]');
    await expectClose(W.clone(ga), W.clone(a), 'clone');
  });
});
