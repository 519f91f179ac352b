/**
 * A worker thread of the CPU backend's pool (threads.ts). It never returns
 * to its event loop: it sleeps in Atomics.wait on the pool's doorbell, and
 * after each ring polls its message port (`receiveMessageOnPort`) for the
 * job the caller is preparing (up to JOB_WAIT_MS); for each job it claims
 * chunks of rows until none is left (or marks the job failed).
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { GemmArgs } from './matmul.ts';
import { elementwiseRows, type ElementwiseJob } from './threads-elementwise.ts';
import { gemmRows, type GemmJob, type SimdGemmJob } from './threads-gemm.ts';
import { attachSimd, gemmBlocks, type SimdCode, type SimdInstance } from './simd-gemm.ts';
import { claimChunks, DOORBELL, JOB_WAIT_MS, LOADED, viewOf, type Job } from './threads.ts';

const { control, index, simd, port } = workerData as { control: Int32Array; index: number; simd: SimdCode | null; port: MessagePort };
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

function run(job: Job): void {
  try {
    claimChunks(job, rowsOf(job));
  } catch {
    Atomics.store(job.counter, 2, 1);
    Atomics.notify(job.counter, 1);
  }
}

/**
 * Runs the jobs waiting on the port, polling for the first one until
 * `until` (performance.now()): once a job has been taken, or the time has
 * passed, an empty port sends the worker back to sleep. A worker that
 * wakes after the job was posted (a busy machine) does not spin at all.
 */
function takeJobs(until: number): void {
  let took = false;
  for (;;) {
    const received = receiveMessageOnPort(port);
    if (received) {
      run(received.message as Job);
      took = true;
    } else if (took || performance.now() >= until) return;
  }
}

// Read the doorbell before saying loaded: the caller rings only for loaded workers, so no ring is missed.
let rung = Atomics.load(control, DOORBELL);
Atomics.store(control, LOADED + index, 1);
for (;;) {
  Atomics.wait(control, DOORBELL, rung);
  rung = Atomics.load(control, DOORBELL);
  takeJobs(performance.now() + JOB_WAIT_MS);
}
