/**
 * The five matrix products of the MLP step (bench/mlp) on the CPU
 * backend's kernels, one thread: `npx tsx bench/mlp/products.ts`.
 * For each product: process CPU time per product (min over rounds) for the
 * whole SIMD path and for its three steps (copying the operands into the
 * module's memory and packing B; packing A block by block and the
 * micro-kernels; copying C out), and for the
 * TypeScript kernel; GMAC/s = multiply-adds per ns. CPU time, not wall
 * time, so that other processes loading the machine disturb it less.
 */
import { gemmJs, type GemmArgs } from '../../runtime/backends/cpu/matmul.ts';
import { gemmBlocks, gemmSimd, MR, packGemm, unpackC } from '../../runtime/backends/cpu/simd-gemm.ts';

/** [name, m, k, n, A transposed, B transposed], as the step calls them. */
const PRODUCTS: [string, number, number, number, boolean, boolean][] = [
  ['x W1', 128, 784, 128, false, false],
  ['h W2', 128, 128, 10, false, false],
  ['dW2 = h^T dz', 128, 128, 10, true, false],
  ['dh = dz W2^T', 128, 10, 128, false, true],
  ['dW1 = x^T da', 784, 128, 128, true, false],
];

function operands(m: number, k: number, n: number, ta: boolean, tb: boolean): GemmArgs {
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  return { a, aOff: 0, ars: ta ? 1 : k, acs: ta ? m : 1, b, bOff: 0, brs: tb ? 1 : n, bcs: tb ? k : 1, c: new Float32Array(m * n), cOff: 0, m, n, k };
}

/** CPU microseconds per call of `f`: the minimum over rounds of about 20 ms each. */
function cpuUs(f: () => void, macs: number): number {
  const reps = Math.max(3, Math.round(3e8 / Math.max(macs, 1e4)));
  for (let i = 0; i < reps; i++) f();
  let best = Infinity;
  for (let round = 0; round < 9; round++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) f();
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / reps);
  }
  return best;
}

const fmt = (us: number) => `${us.toFixed(1)} us`.padStart(10);
console.log(`node ${process.version}; CPU time per product, one thread`);
console.log(`${'product'.padEnd(14)} ${'m x k x n'.padEnd(13)} ${'SIMD'.padStart(10)} ${'GMAC/s'.padStart(7)} ${'pack'.padStart(10)} ${'kernels'.padStart(10)} ${'copy out'.padStart(10)} ${'TypeScript'.padStart(10)}`);
let total = 0;
for (const [name, m, k, n, ta, tb] of PRODUCTS) {
  const g = operands(m, k, n, ta, tb);
  const macs = m * n * k;
  const simd = cpuUs(() => gemmSimd(g), macs);
  const packed = packGemm(g)!;
  const pack = cpuUs(() => packGemm(g), macs / 10);
  const kernels = cpuUs(() => gemmBlocks(packed, 0, packed.mp / MR), macs);
  const out = cpuUs(() => unpackC(packed, g), macs / 10);
  const js = cpuUs(() => gemmJs(g), macs);
  total += simd;
  const gmacs = (macs / simd / 1e3).toFixed(1).padStart(7);
  console.log(`${name.padEnd(14)} ${`${m}x${k}x${n}`.padEnd(13)} ${fmt(simd)} ${gmacs} ${fmt(pack)} ${fmt(kernels)} ${fmt(out)} ${fmt(js)}`);
}
console.log(`all five on the SIMD path: ${(total / 1000).toFixed(3)} ms per step`);
