/**
 * The CPU backend's worker pool (runtime/backends/cpu/threads.ts): large
 * matrix products and elementwise kernels split over worker threads give
 * the same bits as one thread (each element is computed by one thread with
 * the same kernel and summation order), small ones never start a worker,
 * the thread count is settable, and the workers never keep a process alive.
 * The pool is forced to 3 threads (2 workers) so that the split has three
 * parts whatever the machine.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { add, cpuThreads, cpuThreadsReady, matmul, matmulFused, mul, randn, Rng, setCpuThreads, setSimdEnabled, tanh, tanhF32, type FusedKernel, type Tensor } from 'wengert';
import { beginSplit, chunkRows, cpuPoolStatus, JOB_WAIT_MS } from '../../runtime/backends/cpu/threads.ts';
import { THREAD_MIN_WORK_SIMD } from '../../runtime/backends/cpu/threads-gemm.ts';
import { judgeSplit } from '../../runtime/backends/cpu/threads-judge.ts';
import { ELEMENTWISE_MIN } from '../../runtime/backends/cpu/threads-elementwise.ts';

const rng = new Rng(7);
const f32 = (shape: number[]) => randn(shape, rng);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

/** `make()` with one thread and with the pool: the same bits, and the pool really split the work. */
function sameOnThreads(make: () => Tensor, split = true): void {
  setCpuThreads(1);
  const one = make().dataSync();
  setCpuThreads(3);
  const before = cpuPoolStatus().splitJobs;
  const many = make().dataSync();
  expect(cpuPoolStatus().splitJobs > before).toBe(split);
  // No worker failed (a failure stops the pool, and the caller recomputes the job alone).
  expect(cpuPoolStatus().readyWorkers).toBe(2);
  expect(many.constructor).toBe(one.constructor);
  expect(many.length).toBe(one.length);
  let differ = 0;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], many[i])) differ++;
  expect(differ).toBe(0);
}

beforeAll(async () => {
  setCpuThreads(3);
  expect(await cpuThreadsReady(60_000)).toBe(2);
}, 90_000);

afterAll(() => setCpuThreads(null));

describe('matrix products over the pool', () => {
  test('float32 through the SIMD kernel and the TypeScript one, float64, all bit-identical to one thread', () => {
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    expect(130 * 600 * 70).toBeGreaterThanOrEqual(THREAD_MIN_WORK_SIMD);
    sameOnThreads(() => matmul(a, b));
    setSimdEnabled(false);
    try {
      sameOnThreads(() => matmul(a, b));
    } finally {
      setSimdEnabled(true);
    }
    const c = f64([97, 260]);
    const d = f64([260, 45]);
    sameOnThreads(() => matmul(c, d));
  });

  test('transposed operands, odd sizes and a batch', () => {
    const a = f32([601, 131]);
    const b = f32([67, 601]);
    // a^T b^T: [131, 601] x [601, 67]
    sameOnThreads(() => matmul(a, b, true, true));
    const x = f64([3, 65, 200]);
    const w = f64([200, 90]);
    sameOnThreads(() => matmul(x, w));
  });

  test('row counts around the chunk edges (one or two blocks of 4 rows, a ragged last block), bit-identical to one thread', () => {
    for (const m of [8, 9, 11, 12, 13, 17, 31, 33, 63, 65, 127, 129]) {
      const k = 389;
      const n = Math.ceil(THREAD_MIN_WORK_SIMD / (m * k)) + 3;
      const a = f32([m, k]);
      const b = f32([k, n]);
      sameOnThreads(() => matmul(a, b));
      const a64 = f64([m, k]);
      const b64 = f64([k, n]);
      sameOnThreads(() => matmul(a64, b64));
    }
  });

  test('a product with a fused epilogue, run on the rows as they are done: bit-identical to one thread, operands broadcast every way', () => {
    // tanh(c + v1) * v2, as the compiler writes such kernels (float32 results use tanhF32).
    const kernel: FusedKernel = {
      name: 'test_epilogue',
      arity: 3,
      wgsl: '',
      cpu: (c: number, v1: number, v2: number) => Math.tanh(c + v1) * v2,
      cpuF32: (c: number, v1: number, v2: number) => tanhF32(c + v1) * v2,
    };
    for (const [m, k, n] of [[128, 784, 128], [130, 600, 70], [37, 901, 129]] as const) {
      const a = f32([m, k]);
      const b = f32([k, n]);
      // A bias row, a full matrix, a column, a [1, n] row and plain numbers.
      for (const [v1, v2] of [[f32([n]), f32([m, n])], [f32([m, 1]), 0.5], [2, f32([1, n])]] as const) {
        sameOnThreads(() => matmulFused(kernel, a, b, [v1, v2]));
      }
      const c = f64([m, k]);
      const d = f64([k, n]);
      const bias = f64([n]);
      sameOnThreads(() => matmulFused(kernel, c, d, [bias, 3]));
    }
    // Against the product and the kernel run apart.
    setCpuThreads(3);
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    const bias = f32([70]);
    const fused = matmulFused(kernel, a, b, [bias, 1]).dataSync();
    const product = matmul(a, b).dataSync();
    const biasValues = bias.dataSync();
    let differ = 0;
    for (let i = 0; i < product.length; i++) if (!Object.is(fused[i], Math.fround(tanhF32(product[i]! + biasValues[i % 70]!)))) differ++;
    expect(differ).toBe(0);
  });

  test('a split begun and dropped (the workers woken, no job posted) leaves the pool working: the next products split and agree', async () => {
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    setCpuThreads(3);
    expect(beginSplit(100, 1)).not.toBeNull();
    sameOnThreads(() => matmul(a, b));
    // (setCpuThreads ends a pause the split just judged may have begun.)
    setCpuThreads(3);
    expect(beginSplit(100, 1)).not.toBeNull();
    // Past the time a woken worker polls for the job: it has gone back to sleep, and the next ring wakes it again.
    await new Promise((r) => setTimeout(r, 4 * JOB_WAIT_MS));
    sameOnThreads(() => matmul(a, b));
  });

  test('guided chunks: aligned, at least one alignment long, covering the rows once, shorter and shorter', () => {
    for (const [rows, align, threads] of [[32, 1, 2], [196, 1, 2], [33, 1, 3], [130, 4, 3], [1001, 64, 2], [2, 1, 16]] as const) {
      const sizes: number[] = [];
      for (let next = 0; next < rows; next += sizes[sizes.length - 1]!) sizes.push(chunkRows(rows, next, align, threads));
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(rows);
      for (let i = 0; i < sizes.length; i++) {
        const last = i === sizes.length - 1;
        if (!last) expect(sizes[i]! % align).toBe(0);
        expect(sizes[i]! >= align || last).toBe(true);
        if (i > 0) expect(sizes[i]!).toBeLessThanOrEqual(sizes[i - 1]!);
      }
    }
    // The first chunk of 32 row blocks over 2 threads is a quarter of them; the last ones are one block.
    expect(chunkRows(32, 0, 1, 2)).toBe(8);
    expect(chunkRows(32, 31, 1, 2)).toBe(1);
  });

  test('the result is right, not only the same: against a plain triple loop in float64', () => {
    const a = f64([64, 160]);
    const b = f64([160, 128]);
    setCpuThreads(3);
    const before = cpuPoolStatus().splitJobs;
    const c = matmul(a, b).dataSync();
    expect(cpuPoolStatus().splitJobs).toBe(before + 1);
    const av = a.dataSync();
    const bv = b.dataSync();
    let worst = 0;
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 128; j++) {
        let s = 0;
        for (let k = 0; k < 160; k++) s += av[i * 160 + k]! * bv[k * 128 + j]!;
        worst = Math.max(worst, Math.abs(s - c[i * 128 + j]!));
      }
    }
    expect(worst).toBe(0);
  });

  test('after a split that lost time, large products stay on the calling thread for a while; setCpuThreads ends the pause', () => {
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    setCpuThreads(3);
    // Four splits in a row in which the caller ran 1 of 2 chunks in 1 ms, then waited 5 ms (alone: 2 ms): a pause of 400 ms.
    for (let i = 0; i < 4; i++) judgeSplit(1, 2, 1, 5);
    const before = cpuPoolStatus();
    const paused = matmul(a, b).dataSync();
    const during = cpuPoolStatus();
    expect(during.splitJobs).toBe(before.splitJobs);
    expect(during.declinedJobs).toBe(before.declinedJobs + 1);
    setCpuThreads(3);
    const split = matmul(a, b).dataSync();
    expect(cpuPoolStatus().splitJobs).toBe(during.splitJobs + 1);
    expect(Array.from(split)).toEqual(Array.from(paused));
  });

  test('a split whose workers got no core (the caller ran every chunk, waiting for none) does not pause splitting', () => {
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    setCpuThreads(3);
    for (let i = 0; i < 4; i++) judgeSplit(16, 16, 1, 0);
    const before = cpuPoolStatus();
    matmul(a, b);
    expect(cpuPoolStatus().splitJobs).toBe(before.splitJobs + 1);
    expect(cpuPoolStatus().declinedJobs).toBe(before.declinedJobs);
  });

  test('a split that paid ends the pause sequence: the next lost split pauses for the shortest time again', async () => {
    const a = f32([130, 600]);
    const b = f32([600, 70]);
    setCpuThreads(3);
    // Lost splits doubling the pause up to 1.6 s, then one that paid (1 of 4 chunks, no wait), then one lost split: 50 ms.
    for (let i = 0; i < 6; i++) judgeSplit(1, 2, 1, 5);
    judgeSplit(1, 4, 1, 0);
    judgeSplit(1, 2, 1, 5);
    const before = cpuPoolStatus();
    matmul(a, b);
    expect(cpuPoolStatus().declinedJobs).toBe(before.declinedJobs + 1);
    await new Promise((r) => setTimeout(r, 120));
    matmul(a, b);
    expect(cpuPoolStatus().splitJobs).toBe(before.splitJobs + 1);
  });

  test('a product below the threshold stays on the calling thread', () => {
    const a = f32([32, 64]);
    const b = f32([64, 32]);
    sameOnThreads(() => matmul(a, b), false);
  });
});

describe('elementwise kernels over the pool', () => {
  test('tanh, add (with a scalar too) and mul of large tensors, bit-identical to one thread', () => {
    const n = ELEMENTWISE_MIN + 1001;
    setCpuThreads(3);
    // Results of large ops are in shared memory while threads are on: made here, so the split applies.
    const x = add(f32([n]), 0);
    const y = add(f32([n]), 0);
    sameOnThreads(() => tanh(x));
    sameOnThreads(() => add(x, y));
    sameOnThreads(() => add(x, 0.5));
    sameOnThreads(() => mul(x, y));
    const z = add(f64([n]), 0);
    sameOnThreads(() => tanh(z));
  });

  test('a small elementwise op stays on the calling thread', () => {
    const x = f32([1000]);
    sameOnThreads(() => tanh(x), false);
  });
});

describe('the thread count', () => {
  test('setCpuThreads takes positive integers or null; WENGERT_THREADS gives the default', () => {
    expect(() => setCpuThreads(0)).toThrow(RangeError);
    expect(() => setCpuThreads(1.5)).toThrow(RangeError);
    const saved = process.env.WENGERT_THREADS;
    try {
      process.env.WENGERT_THREADS = '5';
      setCpuThreads(null);
      expect(cpuThreads()).toBe(5);
      setCpuThreads(2);
      expect(cpuThreads()).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.WENGERT_THREADS;
      else process.env.WENGERT_THREADS = saved;
      setCpuThreads(3);
    }
  });

  test('a program that only does small work starts no worker, and one that starts the pool still exits at once', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      import { matmul, randn, Rng, setCpuThreads } from './runtime/index.ts';
      import { cpuPoolStatus } from './runtime/backends/cpu/threads.ts';
      const rng = new Rng(1);
      setCpuThreads(2);
      matmul(randn([8, 8], rng), randn([8, 8], rng));
      const small = cpuPoolStatus().started;
      matmul(randn([200, 200], rng), randn([200, 200], rng));
      console.log(JSON.stringify({ small, large: cpuPoolStatus().started }));
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ small: false, large: true });
    // The unref'd workers did not hold the process: it ended well before the spawn timeout.
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 70_000);
});
