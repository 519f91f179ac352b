/**
 * The CPU backend's worker pool: large matrix products (threads-gemm.ts)
 * and large elementwise kernels (threads-elementwise.ts) are split by rows
 * of the result over Node worker threads and the calling thread, all
 * working on SharedArrayBuffer memory.
 *
 * - Size: `os.availableParallelism()` threads in all (the caller is one of
 *   them), or `setCpuThreads(n)`, or the WENGERT_THREADS environment
 *   variable; 1 turns threading off. Outside Node (a browser, Deno) the
 *   backend stays on one thread.
 * - Lazy: no worker starts before the first job big enough to share, so
 *   small programs never pay for one; workers are unref'd, so they never
 *   keep the process alive.
 * - Until a worker has loaded (tens of milliseconds) the caller does its
 *   share itself; no call ever waits for a worker to boot.
 * - Same results as one thread, bit for bit: each element of the result is
 *   computed by one thread with the kernel one thread would use.
 *
 * A split runs in two steps, so that waking the workers overlaps what the
 * caller does before the rows can be shared (packing a product's
 * operands): `beginSplit` decides whether to split and rings a doorbell (a
 * shared counter the idle workers sleep on in Atomics.wait, woken by
 * Atomics.notify: no event loop between the caller and a worker), then
 * `runSplit` posts the job on each loaded worker's message port, and it
 * and the workers claim chunks of rows from a shared counter until none
 * is left. A woken worker takes the job with `receiveMessageOnPort`,
 * polling for up to JOB_WAIT_MS after the ring. The caller spins, then
 * waits (Atomics.wait), until every chunk is done. Chunks are guided
 * (`chunkRows`: long first, for the kernels' cache reuse, then shorter and
 * shorter), so a worker that wakes late, or gets no core on a busy
 * machine, just takes fewer rows, and the threads finish together. Splits
 * that lose time pause splitting for a while (threads-judge.ts), so
 * threads lose little where other processes hold the cores. A worker that fails or leaves a
 * chunk unfinished for WAIT_LIMIT_MS turns the pool off and the caller
 * computes the job alone.
 */
import type { TypedArray } from '../../tensor.ts';
import { declinedJobs, judgeSplit, resetBackoff, splitPaused } from './threads-judge.ts';
import { simdCode } from './simd-gemm.ts';

const WAIT_LIMIT_MS = 10_000;
/** Each chunk takes 1 / (GUIDED_SHARE threads) of the rows not yet claimed (`chunkRows`). */
export const GUIDED_SHARE = 2;
/** After a ring, a worker polls its port this long for the job before it sleeps again. */
export const JOB_WAIT_MS = 1;
/** The caller spins this long for the workers' last chunks before it sleeps in Atomics.wait. */
const SPIN_WAIT_MS = 0.25;
/** The control block: [DOORBELL] counts rings; [LOADED + w] is 1 once worker w has loaded. */
export const DOORBELL = 0;
export const LOADED = 1;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', listener: (e: unknown) => void): void;
}

interface NodePort {
  postMessage(message: unknown): void;
  unref(): void;
}

interface Pool {
  workers: NodeWorker[];
  /** The calling thread's end of each worker's message port. */
  ports: NodePort[];
  /** The doorbell and the loaded flags (DOORBELL, LOADED). */
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

interface WorkerThreads {
  Worker: new (code: string, options: unknown) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: unknown };
}

function startPool(threads: number): Pool | null {
  const wt = nodeModule<WorkerThreads>('node:worker_threads');
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
  const control = new Int32Array(new SharedArrayBuffer(4 * (LOADED + threads)));
  // The SIMD module and its shared memory (null where the memory is not shared): workers run kernels on the packed operands in place.
  const simd = simdCode();
  const workers: NodeWorker[] = [];
  const ports: NodePort[] = [];
  for (let i = 0; i < threads - 1; i++) {
    const { port1, port2 } = new wt.MessageChannel();
    const w = new wt.Worker(BOOTSTRAP, { eval: true, workerData: { url, tsx, control, index: i, simd, port: port2 }, transferList: [port2] });
    w.unref();
    port1.unref();
    w.on('error', () => {
      broken = true;
    });
    workers.push(w);
    ports.push(port1);
  }
  return { workers, ports, control };
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
  for (let i = 0; i < p.workers.length; i++) if (Atomics.load(p.control, LOADED + i) === 1) ready.push(i);
  return ready;
}

/**
 * How the pool stands: whether it started, how many workers have loaded,
 * how many jobs it has split, and how many it kept on the calling thread
 * because a split just before lost time (see `judgeSplit`).
 */
export function cpuPoolStatus(): { started: boolean; readyWorkers: number; splitJobs: number; declinedJobs: number } {
  return { started: pool !== null, readyWorkers: pool ? readyWorkers(pool).length : 0, splitJobs, declinedJobs: declinedJobs() };
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
 * One piece of work as posted to the workers (threads-worker.ts): `rows`
 * rows, which the threads claim in chunks from `counter` ([0]: the first
 * row not yet claimed, [1]: rows done, [2]: a worker failed), a fresh
 * shared counter per job, so a worker that wakes late finds its job's rows
 * gone and does nothing. Chunk boundaries fall at multiples of `align`.
 */
export interface Job {
  kind: string;
  rows: number;
  align: number;
  /** Threads that may claim rows (the caller and the workers posted the job). */
  threads: number;
  counter: Int32Array;
  [key: string]: unknown;
}

/**
 * The rows of the next chunk, from `next` of `rows`: guided, a share
 * 1 / (GUIDED_SHARE threads) of the rows not yet claimed, at least `align`.
 * Early chunks are long (a kernel that runs over a chunk's rows keeps its
 * other operand in cache across them: a matrix product's chunk of row
 * blocks reads all of packed B once), later ones short, so threads finish
 * together even when one starts late or loses its core for a while.
 */
export function chunkRows(rows: number, next: number, align: number, threads: number): number {
  const share = Math.ceil((rows - next) / (GUIDED_SHARE * threads) / align) * align;
  return Math.min(rows - next, Math.max(align, share));
}

/** The chunks a worker (or the calling thread) claims, run through `run`, until none is left; returns how many rows it ran. */
export function claimChunks(job: Job, run: (from: number, to: number) => void): number {
  const { counter, rows, align, threads } = job;
  let ran = 0;
  for (;;) {
    const from = Atomics.load(counter, 0);
    if (from >= rows) return ran;
    const to = from + chunkRows(rows, from, align, threads);
    if (Atomics.compareExchange(counter, 0, from, to) !== from) continue;
    run(from, to);
    ran += to - from;
    Atomics.add(counter, 1, to - from);
    Atomics.notify(counter, 1);
  }
}

// ---- running a split ----

/** A split about to run (`beginSplit`): the pool, its loaded workers (already woken), the rows. */
export interface Split {
  pool: Pool;
  ready: number[];
  rows: number;
  align: number;
  /** Time the caller's chunks spent on other work than the rows (added by its `local`), left out of its pace. */
  asideMs: number;
}

/**
 * Whether `rows` rows (chunk boundaries at multiples of `align`) are split
 * over the pool now; if so, the loaded workers are woken, to take the job
 * `runSplit` will post. Null (nothing woken) when threads are off, no
 * worker has loaded, the rows make fewer than two chunks, or splitting is
 * paused after splits that lost time (threads-judge.ts). A caller that
 * gets a split and then cannot run it just drops it: the woken workers
 * find no job and sleep again.
 */
export function beginSplit(rows: number, align: number): Split | null {
  const p = poolFor(cpuThreads());
  if (!p) return null;
  const ready = readyWorkers(p);
  if (ready.length === 0 || rows < 2 * align || splitPaused(performance.now())) return null;
  Atomics.add(p.control, DOORBELL, 1);
  Atomics.notify(p.control, DOORBELL);
  return { pool: p, ready, rows, align, asideMs: 0 };
}

/**
 * Runs the split's rows: posts `job` to the woken workers, claims chunks
 * on the calling thread (`local`) until none is left, waits until every
 * row is done and judges whether the split paid. Throws WorkerFailure
 * (the pool is off from then on) when a worker failed or left a chunk
 * unfinished for WAIT_LIMIT_MS; the caller then computes the job alone.
 */
export function runSplit(s: Split, job: { kind: string; [key: string]: unknown }, local: (from: number, to: number) => void): void {
  const start = performance.now();
  const counter = new Int32Array(new SharedArrayBuffer(12));
  const posted: Job = { ...job, rows: s.rows, align: s.align, threads: s.ready.length + 1, counter };
  for (const w of s.ready) s.pool.ports[w]!.postMessage(posted);
  splitJobs++;
  const ranHere = claimChunks(posted, local);
  const worked = performance.now();
  waitForRows(counter, s.rows, worked);
  judgeSplit(ranHere, s.rows, worked - start - s.asideMs, performance.now() - worked);
}

/** Spins, then sleeps in Atomics.wait, until `rows` rows of the job are done; throws WorkerFailure on a failure or a chunk that never ends. */
function waitForRows(counter: Int32Array, rows: number, from: number): void {
  for (;;) {
    const done = Atomics.load(counter, 1);
    if (done >= rows) return;
    const waited = performance.now() - from;
    if (Atomics.load(counter, 2) !== 0 || waited > WAIT_LIMIT_MS) {
      broken = true;
      stopPool();
      throw new WorkerFailure();
    }
    if (waited > SPIN_WAIT_MS) Atomics.wait(counter, 1, done, 1);
  }
}

/** `beginSplit` and `runSplit` in one: false, having run nothing, when the rows stay on the calling thread. */
export function runChunks(rows: number, align: number, job: { kind: string; [key: string]: unknown }, local: (from: number, to: number) => void): boolean {
  const split = beginSplit(rows, align);
  if (!split) return false;
  runSplit(split, job, local);
  return true;
}

/** A worker failed mid-job: the caller computes the job alone. */
export class WorkerFailure extends Error {
  constructor() {
    super('a CPU worker thread failed; the CPU backend continues on one thread');
  }
}
