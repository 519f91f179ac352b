/**
 * A worker thread of the CPU backend's pool (threads.ts): it marks itself
 * loaded in the shared control block, then for each job it is posted claims
 * chunks of its rows until none is left (or marks the job failed).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GemmArgs } from './matmul.ts';
import { elementwiseRows, type ElementwiseJob } from './threads-elementwise.ts';
import { attachSimd, gemmBlocks, type SimdCode, type SimdInstance } from './simd-gemm.ts';
import { claimChunks, gemmRows, viewOf, type GemmJob, type Job, type SimdGemmJob } from './threads.ts';

const { control, index, simd } = workerData as { control: Int32Array; index: number; simd: SimdCode | null };
/** This thread's instance of the SIMD module over the calling thread's shared memory, made on the first SIMD job. */
let instance: SimdInstance | null = null;

/** What runs rows [from, to) of the job. */
function rowsOf(job: Job): (from: number, to: number) => void {
  if (job.kind === 'gemm') {
    const j = job as GemmJob;
    const g: GemmArgs = {
      a: viewOf(j.a), aOff: j.aOff, ars: j.ars, acs: j.acs,
      b: viewOf(j.b), bOff: j.bOff, brs: j.brs, bcs: j.bcs,
      c: viewOf(j.c), cOff: j.cOff, m: j.rows, n: j.n, k: j.k,
    };
    return (from, to) => gemmRows(g, j.simd, from, to);
  }
  if (job.kind === 'gemmSimd') {
    const { packed } = job as SimdGemmJob;
    instance ??= attachSimd(simd!);
    return (from, to) => gemmBlocks(packed, from, to, instance!);
  }
  if (job.kind === 'elementwise') return elementwiseRows(job as ElementwiseJob);
  throw new Error(`unknown job ${job.kind}`);
}

parentPort!.on('message', (job: Job) => {
  try {
    claimChunks(job, rowsOf(job));
  } catch {
    Atomics.store(job.counter, 2, 1);
    Atomics.notify(job.counter, 1);
  }
});
Atomics.store(control, 2 + index, 1);
