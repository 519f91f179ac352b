/**
 * The CPU backend's worker pool: large matrix products (and large
 * elementwise kernels, threads-elementwise.ts) are split by rows of the
 * result over Node worker threads and the calling thread, all working on
 * SharedArrayBuffer memory.
 *
 * - Size: `os.availableParallelism()` threads in all (the caller is one of
 *   them), or `setCpuThreads(n)`, or the WENGERT_THREADS environment
 *   variable; 1 turns threading off. Outside Node (a browser, Deno) the
 *   backend stays on one thread.
 * - Lazy: no worker starts before the first product big enough to share
 *   (THREAD_MIN_WORK multiply-adds), so small programs never pay for one;
 *   workers are unref'd, so they never keep the process alive.
 * - Until a worker has loaded (tens of milliseconds) the caller does its
 *   share itself; no call ever waits for a worker to boot.
 * - Same results as one thread, bit for bit: each element of the result is
 *   computed by one thread with the kernel one thread would use (the SIMD
 *   kernel for float32 when it applies), summing over k in the same order.
 * - float32 products on the SIMD kernel: the module's memory is a shared
 *   WebAssembly memory, and every worker instantiates the module over it
 *   (posted in workerData). The caller copies and packs the operands into it
 *   once, the threads split the blocks of rows of C, the caller copies C
 *   out: the same copies as on one thread.
 * - Other products (float64, TypeScript kernel): operands not already in
 *   shared memory are copied in (only the span the product reads), and the
 *   result is copied out: O(mk + kn + mn) next to O(mkn) work.
 *
 * Calls are synchronous: the caller posts the job to every loaded worker,
 * then it and the workers claim chunks of rows from a shared counter until
 * none is left, and the caller waits (Atomics.wait) until every chunk is
 * done; on a busy machine a worker that gets no core just takes fewer
 * chunks, and splits that do not pay pause splitting for a while
 * (`judgeSplit`), so threads lose little where other processes hold the
 * cores. A worker that fails or leaves a chunk unfinished for
 * WAIT_LIMIT_MS turns the pool off and the caller computes the product
 * alone.
 */
import type { TypedArray } from '../../tensor.ts';
import { gemmJs, type GemmArgs } from './matmul.ts';
import { gemmBlocks, gemmSimd, MR, packGemm, simdAvailable, simdCode, unpackC, type PackedGemm } from './simd-gemm.ts';

/**
 * Products with fewer multiply-adds stay on the calling thread: a round trip
 * to a worker (a posted message, the worker's wake-up, the caller's wait)
 * costs tens of microseconds. 2^20 takes about 0.5 ms in the TypeScript
 * kernel; the SIMD kernel does 2^22 (a 128 x 256 x 128 product) in about
 * 0.25 ms.
 */
export const THREAD_MIN_WORK = 1 << 20;
export const THREAD_MIN_WORK_SIMD = 1 << 22;
const WAIT_LIMIT_MS = 10_000;

interface NodeWorker {
  postMessage(message: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', listener: (e: unknown) => void): void;
}

interface Pool {
  workers: NodeWorker[];
  /** [2 + w]: worker w has loaded. */
  control: Int32Array;
}

let requested: number | null = null;
/** Jobs split over the pool so far (for tests and benchmarks). */
let splitJobs = 0;
let pool: Pool | null = null;
/** Set when the pool cannot start or a worker failed: everything runs on the calling thread from then on. */
let broken = false;

type BuiltinModules = { getBuiltinModule?: (id: string) => unknown };

function nodeModule<T>(id: string): T | null {
  const p = (globalThis as { process?: BuiltinModules }).process;
  return p && typeof p.getBuiltinModule === 'function' ? ((p.getBuiltinModule(id) as T | undefined) ?? null) : null;
}

/** The thread count in use (1: everything on the calling thread). */
export function cpuThreads(): number {
  if (requested !== null) return requested;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WENGERT_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  const os = nodeModule<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  if (!os || typeof SharedArrayBuffer === 'undefined' || !nodeModule('node:worker_threads')) return 1;
  return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
}

/**
 * Sets how many threads the CPU backend uses (the calling thread included):
 * 1 keeps everything on the calling thread, `null` goes back to the default
 * (WENGERT_THREADS, else the machine's available parallelism). A running
 * pool of another size (above 1) is stopped; the next large product starts
 * a new one.
 */
export function setCpuThreads(n: number | null): void {
  if (n !== null && !(Number.isInteger(n) && n >= 1)) throw new RangeError(`setCpuThreads: expected a positive integer or null, got ${n}`);
  requested = n;
  resetBackoff();
  // Going down to 1 keeps the workers (idle, unref'd) for when threads come back on.
  const threads = cpuThreads();
  if (pool && threads > 1 && pool.workers.length + 1 !== threads) stopPool();
}

function stopPool(): void {
  if (!pool) return;
  for (const w of pool.workers) void w.terminate();
  pool = null;
}

/**
 * The URL of this module, read from a stack trace: `import.meta` would make
 * tools that type-check generated code against the runtime through a
 * ts-morph Project (which does not read package.json's "type") reject the
 * whole runtime. Null when the trace does not name the file (threads stay off).
 */
function ownUrl(): string | null {
  const stack = new Error().stack ?? '';
  const m = /((?:file:\/\/)?\/[^\s()]*\/threads\.(?:ts|js))(?::\d+)+/.exec(stack);
  if (!m) return null;
  if (m[1]!.startsWith('file:')) return m[1]!;
  const urls = nodeModule<{ pathToFileURL: (path: string) => URL }>('node:url');
  return urls ? urls.pathToFileURL(m[1]!).href : null;
}

/** The URL of the worker module beside this one (.ts when running from source, .js from dist/). */
function workerUrl(here: string): string {
  return new URL(here.endsWith('.ts') ? './threads-worker.ts' : './threads-worker.js', here).href;
}

/** Worker bootstrap: from source, tsx (a development dependency) must load the TypeScript first. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.url);
})();
`;

function startPool(threads: number): Pool | null {
  const wt = nodeModule<{ Worker: new (code: string, options: unknown) => NodeWorker }>('node:worker_threads');
  const mod = nodeModule<{ createRequire: (from: string) => { resolve: (id: string) => string } }>('node:module');
  const urls = nodeModule<{ pathToFileURL: (path: string) => URL }>('node:url');
  const here = ownUrl();
  if (!wt || !mod || !urls || !here) return null;
  const url = workerUrl(here);
  let tsx: string | null = null;
  if (url.endsWith('.ts')) {
    try {
      // The ES module build of tsx's API (require.resolve finds its CommonJS twin beside it).
      tsx = urls.pathToFileURL(mod.createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    } catch {
      return null;
    }
  }
  const control = new Int32Array(new SharedArrayBuffer(4 * (2 + threads)));
  // The SIMD module and its shared memory (null where the memory is not shared): workers run kernels on the packed operands in place.
  const simd = simdCode();
  const workers: NodeWorker[] = [];
  for (let i = 0; i < threads - 1; i++) {
    const w = new wt.Worker(BOOTSTRAP, { eval: true, workerData: { url, tsx, control, index: i, simd } });
    w.unref();
    w.on('error', () => {
      broken = true;
    });
    workers.push(w);
  }
  return { workers, control };
}

/** The pool for `threads` threads, started on first use; null when threading is off or impossible. */
function poolFor(threads: number): Pool | null {
  if (threads <= 1 || broken) return null;
  if (pool && pool.workers.length + 1 === threads) return pool;
  stopPool();
  pool = startPool(threads);
  if (!pool) broken = true;
  return pool;
}

/** The workers of the pool that have loaded (the others' shares go to the calling thread). */
function readyWorkers(p: Pool): number[] {
  const ready: number[] = [];
  for (let i = 0; i < p.workers.length; i++) if (Atomics.load(p.control, 2 + i) === 1) ready.push(i);
  return ready;
}

/**
 * How the pool stands: whether it started, how many workers have loaded,
 * how many jobs it has split, and how many it kept on the calling thread
 * because the split before did not pay (see `judgeSplit`).
 */
export function cpuPoolStatus(): { started: boolean; readyWorkers: number; splitJobs: number; declinedJobs: number } {
  return { started: pool !== null, readyWorkers: pool ? readyWorkers(pool).length : 0, splitJobs, declinedJobs };
}

/**
 * Starts the pool for the current thread count (if threads are on) and
 * resolves once its workers have loaded, or after `timeoutMs`; resolves to
 * the number of workers ready. Benchmarks call it so that their first
 * timed products are not the ones the calling thread does alone.
 */
export async function cpuThreadsReady(timeoutMs = 10_000): Promise<number> {
  const p = poolFor(cpuThreads());
  if (!p) return 0;
  const start = Date.now();
  while (readyWorkers(p).length < p.workers.length && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 5));
  return readyWorkers(p).length;
}

// ---- shared scratch memory ----

type Ctor = 'f32' | 'f64' | 'i32';

/** A typed array as a worker message can carry it: the shared buffer, where it starts, how long. */
export interface SharedView {
  ctor: Ctor;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

function ctorOf(a: TypedArray): Ctor {
  return a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
}

export function viewOf(v: SharedView): TypedArray {
  if (v.ctor === 'f32') return new Float32Array(v.buffer, v.byteOffset, v.length);
  if (v.ctor === 'f64') return new Float64Array(v.buffer, v.byteOffset, v.length);
  return new Int32Array(v.buffer, v.byteOffset, v.length);
}

/** Grow-only shared scratch buffers, one per operand slot. */
const scratch = new Map<string, SharedArrayBuffer>();

function scratchView(slot: string, like: TypedArray, length: number): TypedArray {
  const bytes = Math.max(8, length * like.BYTES_PER_ELEMENT);
  let buf = scratch.get(slot);
  if (!buf || buf.byteLength < bytes) {
    buf = new SharedArrayBuffer(Math.max(bytes, 2 * (buf?.byteLength ?? 0)));
    scratch.set(slot, buf);
  }
  return viewOf({ ctor: ctorOf(like), buffer: buf, byteOffset: 0, length });
}

/** `a[from, from + length)` in shared memory: `a` itself when it already is, else a copy in the slot's scratch. */
export function sharedSpan(slot: string, a: TypedArray, from: number, length: number): { view: SharedView; offset: number } {
  if (a.buffer instanceof SharedArrayBuffer) {
    return { view: { ctor: ctorOf(a), buffer: a.buffer, byteOffset: a.byteOffset, length: a.length }, offset: from };
  }
  const s = scratchView(slot, a, length);
  s.set(a.subarray(from, from + length));
  return { view: { ctor: ctorOf(a), buffer: s.buffer as SharedArrayBuffer, byteOffset: 0, length }, offset: 0 };
}

/** A shared output of `length` elements like `a`: `a[from...]` itself when shared, else scratch (copy it back with the result). */
export function sharedOutput(slot: string, a: TypedArray, from: number, length: number): { view: SharedView; offset: number; copyBack: boolean } {
  if (a.buffer instanceof SharedArrayBuffer) return { view: { ctor: ctorOf(a), buffer: a.buffer, byteOffset: a.byteOffset, length: a.length }, offset: from, copyBack: false };
  const s = scratchView(slot, a, length);
  return { view: { ctor: ctorOf(a), buffer: s.buffer as SharedArrayBuffer, byteOffset: 0, length }, offset: 0, copyBack: true };
}

// ---- jobs ----

/**
 * One piece of work as posted to the workers (threads-worker.ts): its rows
 * are cut into `chunks` chunks of `chunk` rows, which the threads claim one
 * at a time from `counter` ([0]: the next chunk, [1]: chunks done, [2]: a
 * worker failed), a fresh shared counter per job, so a worker that wakes
 * late finds its job's chunks gone and does nothing.
 */
export interface Job {
  kind: string;
  rows: number;
  chunk: number;
  chunks: number;
  counter: Int32Array;
  [key: string]: unknown;
}

/** The chunks a worker (or the calling thread) claims, run through `run`, until none is left; returns how many it ran. */
export function claimChunks(job: Job, run: (from: number, to: number) => void): number {
  const { counter, chunk, chunks, rows } = job;
  for (let ran = 0; ; ran++) {
    const c = Atomics.add(counter, 0, 1);
    if (c >= chunks) return ran;
    run(c * chunk, Math.min(rows, (c + 1) * chunk));
    Atomics.add(counter, 1, 1);
    Atomics.notify(counter, 1);
  }
}

// ---- backing off on a busy machine ----

/** Splitting stays off until then (performance.now()); `backoffMs` is the next pause. */
let backoffUntil = 0;
let backoffMs = 0;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1600;
/** Jobs kept on the calling thread because a split just before did not pay (for tests and benchmarks). */
let declinedJobs = 0;

/**
 * After a split job: it paid when it took less time than the caller, at
 * the pace it ran its own chunks, would have taken for all of them (with a
 * 10% margin). It did not when the workers got no core in time and the
 * caller did every chunk, or waited long for a worker that lost its core
 * mid-chunk (both seen on a 2-core machine other processes load). Then
 * splitting pauses for 50 ms, doubling up to 1.6 s while it keeps not
 * paying, so that threads cost a busy machine about one slow job per
 * pause; a split that pays ends the pause sequence. A job the caller ran
 * no chunk of (a woken worker took them all, often while the caller waited
 * for its core) says nothing either way. (Exported for tests.)
 */
export function judgeSplit(callerChunks: number, chunks: number, workedMs: number, waitedMs: number): void {
  if (callerChunks === 0) return;
  if (workedMs + waitedMs < 0.9 * workedMs * (chunks / callerChunks)) {
    backoffMs = 0;
    return;
  }
  backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, 2 * backoffMs));
  backoffUntil = performance.now() + backoffMs;
}

/** Forgets the pause (setCpuThreads): the next large job is split again. */
function resetBackoff(): void {
  backoffUntil = 0;
  backoffMs = 0;
}

/**
 * Runs `rows` rows in chunks (boundaries at multiples of `align`, about two
 * per thread) claimed by the calling thread (`local`) and by every loaded
 * worker (posted `job`), and waits until all are done. A thread that is
 * slow to get a core (a busy machine) just takes fewer chunks. Returns
 * false, having run nothing, when no worker has loaded or splitting is
 * paused after splits that did not pay (`judgeSplit`).
 */
export function runChunks(rows: number, align: number, job: { kind: string; [key: string]: unknown }, local: (from: number, to: number) => void): boolean {
  const p = poolFor(cpuThreads());
  if (!p) return false;
  const ready = readyWorkers(p);
  if (ready.length === 0) return false;
  const chunk = Math.max(align, Math.ceil(rows / (2 * (ready.length + 1)) / align) * align);
  const chunks = Math.ceil(rows / chunk);
  if (chunks < 2) return false;
  const start = performance.now();
  if (start < backoffUntil) {
    declinedJobs++;
    return false;
  }
  const counter = new Int32Array(new SharedArrayBuffer(12));
  const posted: Job = { ...job, rows, chunk, chunks, counter };
  for (const w of ready) p.workers[w]!.postMessage(posted);
  splitJobs++;
  const ranHere = claimChunks(posted, local);
  const worked = performance.now();
  for (;;) {
    const done = Atomics.load(counter, 1);
    if (Atomics.load(counter, 2) !== 0 || performance.now() - worked > WAIT_LIMIT_MS) {
      broken = true;
      stopPool();
      throw new WorkerFailure();
    }
    if (done >= chunks) break;
    Atomics.wait(counter, 1, done, 100);
  }
  judgeSplit(ranHere, chunks, worked - start, performance.now() - worked);
  return true;
}

/** A worker failed mid-job: the caller computes the job alone. */
export class WorkerFailure extends Error {
  constructor() {
    super('a CPU worker thread failed; the CPU backend continues on one thread');
  }
}

// ---- matrix products ----

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
 * calling thread copies and packs the operands once, every thread runs the
 * micro-kernels on its chunks of row blocks, the calling thread copies C
 * out. False (nothing done) when the operands cannot be packed.
 */
function gemmSimdThreaded(g: GemmArgs): boolean {
  const packed = packGemm(g);
  if (!packed) return false;
  const blocks = packed.mp / MR;
  const job = { kind: 'gemmSimd', packed };
  let split = false;
  try {
    split = runChunks(blocks, 1, job, (from, to) => gemmBlocks(packed, from, to));
  } catch (e) {
    if (!(e instanceof WorkerFailure)) throw e;
  }
  // Not split (no worker ready) or a worker failed: every block on this thread (a block's kernels overwrite it).
  if (!split) gemmBlocks(packed, 0, blocks);
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
  if (m * n * k < (simd ? THREAD_MIN_WORK_SIMD : THREAD_MIN_WORK) || m < 2 * MR || cpuThreads() <= 1 || broken) return false;
  if (simd && simdCode() && poolFor(cpuThreads()) && gemmSimdThreaded(g)) return true;
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
    if (!runChunks(m, MR, job, (from, to) => gemmRows(shared, simd, from, to))) return false;
  } catch (e) {
    if (e instanceof WorkerFailure) return false;
    throw e;
  }
  if (c.copyBack) g.c.set(shared.c.subarray(c.offset, c.offset + m * n), g.cOff);
  return true;
}
