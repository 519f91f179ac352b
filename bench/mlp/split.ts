/**
 * The two large products of the MLP step (bench/mlp) with one CPU thread
 * and with all of them, alone: `npx tsx bench/mlp/split.ts [threads]`.
 * For each product, wall time per call in interleaved rounds (one batch
 * with one thread, one with the pool, the order alternating), as the 10th
 * percentile and the median over rounds, and their ratio: the quickest
 * signal of whether splitting a product pays on this machine. The pool's
 * counts (jobs split, jobs kept on the calling thread during pauses after
 * splits that lost time) are printed at the end.
 */
import { cpuPoolStatus, cpuThreads, cpuThreadsReady, dispose, matmul, randn, Rng, setCpuThreads, type Tensor } from 'wengert';

/** [name, A, B, A transposed]: the products as the step calls them. */
function products(): [string, Tensor, Tensor, boolean][] {
  const rng = new Rng(5);
  const x = randn([128, 784], rng);
  return [
    ['x W1 (128x784x128)', x, randn([784, 128], rng), false],
    ['dW1 = x^T da (784x128x128)', x, randn([128, 128], rng), true],
  ];
}

const ROUNDS = 40;
const CALLS_PER_BATCH = 20;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Microseconds per call of a batch of CALLS_PER_BATCH products with
 * `threads` threads, after 1 ms asleep (as between the large products of a
 * step: the workers sleep when the batch starts).
 */
function batchUs(threads: number, a: Tensor, b: Tensor, transposeA: boolean): number {
  setCpuThreads(threads);
  Atomics.wait(pause, 0, 0, 1);
  const start = performance.now();
  for (let i = 0; i < CALLS_PER_BATCH; i++) dispose(matmul(a, b, transposeA, false));
  return ((performance.now() - start) * 1000) / CALLS_PER_BATCH;
}

const arg = process.argv[2];
setCpuThreads(arg === undefined ? null : Number(arg));
const all = cpuThreads();
const workers = await cpuThreadsReady();
console.log(`node ${process.version}; ${all} threads (${workers} workers ready); wall us per product, ${ROUNDS} interleaved rounds of ${CALLS_PER_BATCH} calls`);
for (const [name, a, b, transposeA] of products()) {
  const one: number[] = [];
  const many: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [1, all] : [all, 1];
    for (const t of order) (t === 1 ? one : many).push(batchUs(t, a, b, transposeA));
  }
  const cell = (v: number[]) => `p10 ${quantile(v, 0.1).toFixed(0).padStart(5)}  median ${quantile(v, 0.5).toFixed(0).padStart(5)}`;
  const ratio = (q: number) => (quantile(many, q) / quantile(one, q)).toFixed(2);
  console.log(`${name.padEnd(28)} 1 thread: ${cell(one)} | ${all} threads: ${cell(many)} | ${all}/1: p10 ${ratio(0.1)}, median ${ratio(0.5)}`);
}
setCpuThreads(null);
const pool = cpuPoolStatus();
console.log(`CPU pool: ${pool.splitJobs} jobs split, ${pool.declinedJobs} kept on the calling thread after a split that lost time`);
