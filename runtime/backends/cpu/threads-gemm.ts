/**
 * Large matrix products over the CPU backend's worker pool (threads.ts),
 * split by rows of C.
 *
 * - float32 products on the SIMD kernel: the module's memory is a shared
 *   WebAssembly memory, and every worker instantiates the module over it
 *   (posted in workerData). The caller copies and packs the operands into it
 *   once (the workers wake meanwhile), the threads split the blocks of MR
 *   rows of C, the caller copies C out: the same copies as on one thread.
 * - Other products (float64, TypeScript kernel): operands not already in
 *   shared memory are copied in (only the span the product reads), and the
 *   result is copied out: O(mk + kn + mn) next to O(mkn) work.
 *
 * Each element of C is computed by one thread with the kernel one thread
 * would use, summing over k in the same order, so the results are those of
 * one thread, bit for bit.
 */
import { gemmJs, type GemmArgs } from './matmul.ts';
import { gemmBlocks, gemmSimd, MR, packGemm, simdAvailable, simdCode, unpackC, type PackedGemm } from './simd-gemm.ts';
import { beginSplit, cpuThreads, runSplit, sharedOutput, sharedSpan, viewOf, WorkerFailure, type Job, type SharedView } from './threads.ts';

/**
 * Products with fewer multiply-adds stay on the calling thread: a round trip
 * to a worker (the worker's wake-up, the posted job, the caller's wait)
 * costs tens of microseconds. 2^20 takes about 0.5 ms in the TypeScript
 * kernel; the SIMD kernel does 2^22 (a 128 x 256 x 128 product) in about
 * 0.25 ms.
 */
export const THREAD_MIN_WORK = 1 << 20;
export const THREAD_MIN_WORK_SIMD = 1 << 22;

/** A gemm job: rows of C in chunks. */
export interface GemmJob extends Job {
  kind: 'gemm';
  a: SharedView;
  b: SharedView;
  c: SharedView;
  aOff: number;
  bOff: number;
  cOff: number;
  ars: number;
  acs: number;
  brs: number;
  bcs: number;
  n: number;
  k: number;
  simd: boolean;
}

/** Rows [from, to) of the product, with the kernel one thread would use. */
export function gemmRows(g: GemmArgs, simd: boolean, from: number, to: number): void {
  const part: GemmArgs = { ...g, aOff: g.aOff + from * g.ars, cOff: g.cOff + from * g.n, m: to - from };
  if (part.m <= 0) return;
  if (!(simd && gemmSimd(part))) gemmJs(part);
}

/** A SIMD gemm job: blocks of MR rows of C, in the module's shared memory (packed by the calling thread). */
export interface SimdGemmJob extends Job {
  kind: 'gemmSimd';
  packed: PackedGemm;
}

/**
 * The SIMD product over the pool, all in the module's shared memory: the
 * workers are woken, the calling thread copies and packs the operands
 * once, every thread runs the micro-kernels on its chunks of row blocks,
 * the calling thread copies C out. False (nothing done) when the product
 * is not split or the operands cannot be packed.
 */
function gemmSimdThreaded(g: GemmArgs): boolean {
  const blocks = Math.ceil(g.m / MR);
  const split = beginSplit(blocks, 1);
  if (!split) return false;
  const packed = packGemm(g);
  if (!packed) return false;
  try {
    runSplit(split, { kind: 'gemmSimd', packed }, (from, to) => gemmBlocks(packed, from, to));
  } catch (e) {
    if (!(e instanceof WorkerFailure)) throw e;
    // A worker failed: every block on this thread (a block's kernels overwrite it).
    gemmBlocks(packed, 0, blocks);
  }
  unpackC(packed, g);
  return true;
}

/**
 * C = A B over the pool when the product is big enough and threads are on;
 * false (nothing done) otherwise, and the caller runs its one-thread path.
 */
export function gemmThreaded(g: GemmArgs, useSimd: boolean): boolean {
  const { m, n, k } = g;
  // Whether the calling thread would take the SIMD kernel (setSimdEnabled is per thread): the workers do as it does.
  const simd = useSimd && simdAvailable() && g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array;
  if (m * n * k < (simd ? THREAD_MIN_WORK_SIMD : THREAD_MIN_WORK) || m < 2 * MR || cpuThreads() <= 1) return false;
  if (simd && simdCode()) return gemmSimdThreaded(g);
  const split = beginSplit(m, MR);
  if (!split) return false;
  const aSpan = (m - 1) * g.ars + (k - 1) * g.acs + 1;
  const bSpan = (k - 1) * g.brs + (n - 1) * g.bcs + 1;
  const a = sharedSpan('gemm.a', g.a, g.aOff, aSpan);
  const b = sharedSpan('gemm.b', g.b, g.bOff, bSpan);
  const c = sharedOutput('gemm.c', g.c, g.cOff, m * n);
  const shared: GemmArgs = { ...g, a: viewOf(a.view), aOff: a.offset, b: viewOf(b.view), bOff: b.offset, c: viewOf(c.view), cOff: c.offset };
  const job = {
    kind: 'gemm', a: a.view, b: b.view, c: c.view, aOff: a.offset, bOff: b.offset, cOff: c.offset,
    ars: g.ars, acs: g.acs, brs: g.brs, bcs: g.bcs, n, k, simd,
  };
  try {
    runSplit(split, job, (from, to) => gemmRows(shared, simd, from, to));
  } catch (e) {
    if (e instanceof WorkerFailure) return false;
    throw e;
  }
  if (c.copyBack) g.c.set(shared.c.subarray(c.offset, c.offset + m * n), g.cOff);
  return true;
}
