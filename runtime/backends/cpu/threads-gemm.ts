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
import { gemmBlocks, gemmSimd, MR, packGemm, simdAvailable, simdCode, unpackC, unpackRows, type PackedGemm } from './simd-gemm.ts';
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
 * What the caller runs on rows [from, to) of C once they hold their final
 * values (the CPU backend's product epilogue), while the pool still works
 * on other rows; `gemmThreaded` calls it once for every row of C.
 */
export type RowsDone = (from: number, to: number) => void;

/**
 * The SIMD product over the pool, all in the module's shared memory: the
 * workers are woken, the calling thread copies the operands in and packs
 * B, every thread packs its chunks of row blocks of A and runs the
 * micro-kernels on them, the calling thread copies C out. False (nothing
 * done) when the product is not split or the operands cannot be packed.
 *
 * With `done`, the caller copies out the rows of each chunk it computed at
 * once and runs `done` on them, so that the epilogue of its rows overlaps
 * the workers' chunks (the workers then take more of the rows); it copies
 * out and finishes the workers' rows at the end. The time it spends there
 * is not counted as its pace in judging the split.
 */
function gemmSimdThreaded(g: GemmArgs, done?: RowsDone): boolean {
  const blocks = Math.ceil(g.m / MR);
  const split = beginSplit(blocks, 1);
  if (!split) return false;
  const packed = packGemm(g);
  if (!packed) return false;
  const rowsOf = (block: number) => Math.min(g.m, block * MR);
  /** finished[b]: block b is copied out and through `done`. */
  const finished = new Uint8Array(blocks);
  const finish = (from: number, to: number) => {
    unpackRows(packed, g, rowsOf(from), rowsOf(to));
    done!(rowsOf(from), rowsOf(to));
    finished.fill(1, from, to);
  };
  const local = (from: number, to: number) => {
    gemmBlocks(packed, from, to);
    if (!done) return;
    const start = performance.now();
    finish(from, to);
    split.asideMs += performance.now() - start;
  };
  try {
    runSplit(split, { kind: 'gemmSimd', packed }, local);
  } catch (e) {
    if (!(e instanceof WorkerFailure)) throw e;
    // A worker failed: every block not yet finished on this thread (a block's kernels overwrite it).
    for (let b = 0; b < blocks; b++) if (!finished[b]) gemmBlocks(packed, b, b + 1);
  }
  if (!done) {
    unpackC(packed, g);
    return true;
  }
  for (let b = 0; b < blocks; ) {
    if (finished[b]) {
      b++;
      continue;
    }
    let end = b;
    while (end < blocks && !finished[end]) end++;
    finish(b, end);
    b = end;
  }
  return true;
}

/**
 * C = A B over the pool when the product is big enough and threads are on,
 * `done` (when given) run on every row of C once it is final; false
 * (nothing done, `done` not run) otherwise, and the caller runs its
 * one-thread path.
 */
export function gemmThreaded(g: GemmArgs, useSimd: boolean, done?: RowsDone): boolean {
  const { m, n, k } = g;
  // Whether the calling thread would take the SIMD kernel (setSimdEnabled is per thread): the workers do as it does.
  const simd = useSimd && simdAvailable() && g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array;
  if (m * n * k < (simd ? THREAD_MIN_WORK_SIMD : THREAD_MIN_WORK) || m < 2 * MR || cpuThreads() <= 1) return false;
  if (simd && simdCode()) return gemmSimdThreaded(g, done);
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
  done?.(0, m);
  return true;
}
