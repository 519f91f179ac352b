/**
 * A worker thread of the CPU backend's pool (threads.ts): it marks itself
 * loaded in the shared control block, then runs each job it is posted on
 * its rows and counts itself done (or failed) there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GemmArgs } from './matmul.ts';
import { elementwiseRows, type ElementwiseJob } from './threads-elementwise.ts';
import { gemmRows, viewOf, type GemmJob, type Job } from './threads.ts';

const { control, index } = workerData as { control: Int32Array; index: number };

function run(job: Job): void {
  if (job.kind === 'gemm') {
    const j = job as GemmJob;
    const g: GemmArgs = {
      a: viewOf(j.a), aOff: j.aOff, ars: j.ars, acs: j.acs,
      b: viewOf(j.b), bOff: j.bOff, brs: j.brs, bcs: j.bcs,
      c: viewOf(j.c), cOff: j.cOff, m: j.to, n: j.n, k: j.k,
    };
    gemmRows(g, j.simd, j.from, j.to);
  } else if (job.kind === 'elementwise') {
    elementwiseRows(job as ElementwiseJob);
  } else {
    throw new Error(`unknown job ${job.kind}`);
  }
}

parentPort!.on('message', (job: Job) => {
  try {
    run(job);
  } catch {
    Atomics.store(control, 1, 1);
  }
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
});
Atomics.store(control, 2 + index, 1);
