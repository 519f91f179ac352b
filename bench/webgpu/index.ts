/**
 * WebGPU benchmark: one SGD step of the 784-128-10 tanh MLP, batch 128,
 * on the same adapter in one run: wengert with build-time fusion, wengert
 * without, TensorFlow.js's `webgpu` backend and jax-js on webgpu (the step
 * under jit). Per implementation: ms per step (steps queued back to back,
 * then one wait) and, counted by wrapping the WebGPU objects' methods
 * (counters.ts), per step in steady state: compute dispatches, writeBuffer
 * calls and bytes, readbacks (mapAsync), buffers and bind groups created.
 *
 * On SwiftShader (a CPU emulation of a GPU, what CI has) the times say
 * nothing about GPU speed; only the ratios of one run, and the counts,
 * which do not depend on the device, mean something.
 */
import * as fs from 'node:fs';
import { useBackend, type WebGpuBackend } from 'wengert';
import { assertClose, formatRatio, printTable, type BenchContext, type BenchModule, type BenchResult, type TableRow } from '../harness.ts';
import { makeProblem } from '../mlp/problem.ts';
import { findGpu, preferSwiftShader } from '../../runtime/backends/webgpu/device.ts';
import { countPerStep, installCounters, type DeviceCounts } from './counters.ts';
import { exposeGpu, jaxWebgpuStep, tfjsWebgpuStep, type GpuStep } from './peers.ts';
import { compileModel, wengertWebgpuStep } from './wengert.ts';

const CASE = 'mlp-sgd-step-webgpu';

interface Impl {
  impl: string;
  make: () => Promise<GpuStep>;
}

/** ns per step: batches of steps, each ended by a wait for the device, until minSampleMs; the minimum of the samples. */
async function time(s: GpuStep, ctx: BenchContext): Promise<number> {
  let best = Infinity;
  for (let sample = 0; sample < ctx.options.samples; sample++) {
    let steps = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 4; i++) s.step();
      await s.sync();
      steps += 4;
      elapsed = performance.now() - t0;
    } while (elapsed < ctx.options.minSampleMs);
    best = Math.min(best, (elapsed * 1e6) / steps);
  }
  return best;
}

export const webgpuBench: BenchModule = {
  name: 'webgpu',
  description: 'one SGD step of the 784-128-10 tanh MLP, batch 128, on WebGPU: wengert fused and unfused, TF.js webgpu, jax-js webgpu',
  async run(ctx: BenchContext): Promise<void> {
    preferSwiftShader(process.env, (p) => fs.existsSync(p));
    let backend: WebGpuBackend;
    try {
      backend = (await useBackend('webgpu')) as WebGpuBackend;
    } catch (e) {
      console.log(`  skipped: ${(e as Error).message}`);
      return;
    }
    // webgpu stays the default backend: generated code tracks lifetimes only then (runtime/lifetimes.ts).
    console.log(`  adapter: ${backend.description}${/swiftshader/i.test(backend.description) ? ' (SwiftShader: a CPU emulation; times mean nothing for GPUs, only ratios and counts do)' : ''}`);
    installCounters(backend.gpu.device);
    exposeGpu((await findGpu())!);
    const p = makeProblem();
    const impls: Impl[] = [];
    for (const fused of [true, false]) {
      const vg = await compileModel(fused);
      const impl = `wengert webgpu (${fused ? 'fused' : 'unfused'})`;
      if (typeof vg === 'string') console.log(`  ${impl}: skipped (${vg.split('\n')[0]})`);
      else impls.push({ impl, make: async () => wengertWebgpuStep(backend, p, vg) });
    }
    impls.push({ impl: 'tfjs webgpu', make: () => tfjsWebgpuStep(p) });
    impls.push({ impl: 'jax-js webgpu (jit)', make: () => jaxWebgpuStep(p) });

    const rows: (TableRow & { counts: DeviceCounts })[] = [];
    let reference: number | null = null;
    for (const { impl, make } of impls) {
      let s: GpuStep;
      try {
        s = await make();
      } catch (e) {
        console.log(`  ${impl}: skipped (${(e as Error).message.split('\n')[0]})`);
        continue;
      }
      s.step();
      const first = await s.sync();
      reference ??= first;
      assertClose(`${impl}: first loss`, first, reference, 1e-4);
      const counts = await countPerStep(s);
      const nsPerCall = await time(s, ctx);
      rows.push({ impl, nsPerCall, counts });
      const record: BenchResult & Record<string, unknown> = {
        case: CASE,
        impl,
        nsPerCall,
        dispatchesPerStep: counts.dispatches,
        writeBuffersPerStep: counts.writeBuffers,
        uploadBytesPerStep: counts.uploadBytes,
        readbacksPerStep: counts.readbacks,
        buffersCreatedPerStep: counts.buffersCreated,
        bindGroupsPerStep: counts.bindGroups,
        submitsPerStep: counts.submits,
      };
      ctx.record(record);
    }
    if (rows.length === 0) return;
    const ours = rows[0]!;
    for (const r of rows) {
      const c = r.counts;
      const ratio = r === ours ? 'reference' : `${formatRatio(r.nsPerCall / ours.nsPerCall)} the time of ${ours.impl}`;
      r.note = `${ratio}; per step: ${c.dispatches} dispatches, ${c.writeBuffers} writeBuffer (${c.uploadBytes} B), ${c.readbacks} readbacks, ${c.buffersCreated} buffers created, ${c.bindGroups} bind groups created, ${c.submits} submits`;
    }
    printTable('ms per SGD step on WebGPU (SwiftShader: compare ratios only)', rows);
  },
};
