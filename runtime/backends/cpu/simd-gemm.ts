/**
 * float32 matrix product on WebAssembly SIMD (f32x4), used by the CPU
 * backend for products big enough to pay for copying the operands into the
 * module's memory. Falls back to matmul.ts (pure TypeScript) where
 * WebAssembly SIMD is missing.
 *
 * Kernel: a register-blocked micro-kernel computes an MR x (4 NV) block of
 * C, holding MR * NV f32x4 accumulators in registers over the whole k loop:
 * per k it loads NV vectors of a row of B, broadcasts one element of each of
 * the MR rows of A, and does MR * NV multiply-adds. One function per block
 * size (mr <= MR, nv <= NV) covers the edges. B's columns are padded to a
 * multiple of 4 in the copy, so there is no scalar tail.
 */
import { assemble, FnBuilder, I32, V128 } from './wasm-asm.ts';
import type { GemmArgs } from './matmul.ts';

/** Rows of A per micro-kernel. */
export const MR = 4;
/** f32x4 vectors of B per micro-kernel (4 NV columns). */
export const NV = 2;

/** Micro-kernel C[mr, 4 nv] = A[mr, k] B[k, 4 nv]; addresses and strides in bytes. */
function microKernel(mr: number, nv: number): FnBuilder {
  // params: pa, pb, pc, k, ars, acs, ldb, ldc
  const f = new FnBuilder(`k${mr}_${nv}`, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [pa, pb, pc, k, ars, acs, ldb, ldc] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rowPtr: number[] = [];
  for (let r = 0; r < mr; r++) rowPtr.push(f.local(I32));
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) acc.push(Array.from({ length: nv }, () => f.local(V128)));
  const bv = Array.from({ length: nv }, () => f.local(V128));
  const av = f.local(V128);

  // rowPtr[r] = pa + r * ars
  for (let r = 0; r < mr; r++) {
    f.get(pa);
    if (r > 0) f.get(ars).i32(r).mul().add();
    f.set(rowPtr[r]!);
  }
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.v128Zero().set(acc[r]![v]!);

  f.block();
  f.get(k).eqz().brIf(0);
  f.loop();
  for (let v = 0; v < nv; v++) f.get(pb).v128Load(16 * v).set(bv[v]!);
  for (let r = 0; r < mr; r++) {
    f.get(rowPtr[r]!).load32Splat().set(av);
    for (let v = 0; v < nv; v++) {
      f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(acc[r]![v]!);
    }
    f.get(rowPtr[r]!).get(acs).add().set(rowPtr[r]!);
  }
  f.get(pb).get(ldb).add().set(pb);
  f.get(k).i32(1).sub().set(k);
  f.get(k).brIf(0);
  f.end(); // loop
  f.end(); // block

  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) {
      f.get(pc);
      if (r > 0) f.get(ldc).i32(r).mul().add();
      f.get(acc[r]![v]!).v128Store(16 * v);
    }
  }
  return f;
}

type Kernel = (pa: number, pb: number, pc: number, k: number, ars: number, acs: number, ldb: number, ldc: number) => void;

interface SimdModule {
  memory: WebAssembly.Memory;
  kernels: Kernel[][];
}

let module: SimdModule | null | undefined;
/** Size of the assembled module in bytes (browsers compile modules over 4 KB synchronously only off the main thread). */
export let moduleBytes = 0;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable. */
function simdModule(): SimdModule | null {
  if (module !== undefined) return module;
  try {
    const fns: FnBuilder[] = [];
    for (let mr = 1; mr <= MR; mr++) for (let nv = 1; nv <= NV; nv++) fns.push(microKernel(mr, nv));
    const bytes = assemble(fns, 16);
    moduleBytes = bytes.length;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
    const ex = instance.exports as Record<string, unknown>;
    const kernels: Kernel[][] = [];
    for (let mr = 1; mr <= MR; mr++) {
      kernels[mr] = [];
      for (let nv = 1; nv <= NV; nv++) kernels[mr]![nv] = ex[`k${mr}_${nv}`] as Kernel;
    }
    module = { memory: ex.memory as WebAssembly.Memory, kernels };
  } catch {
    module = null;
  }
  return module;
}

let enabled = true;

/** Turns the SIMD path off or on (tests compare both paths). */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

export function simdAvailable(): boolean {
  return enabled && simdModule() !== null;
}

function ensureBytes(mod: SimdModule, bytes: number): void {
  const have = mod.memory.buffer.byteLength;
  if (bytes > have) mod.memory.grow(Math.ceil((bytes - have) / 65536));
}

const align16 = (n: number) => (n + 15) & ~15;

/**
 * C = A B for float32 arrays through the SIMD kernels. Returns false (and
 * does nothing) when SIMD is unavailable or an operand is not float32.
 */
export function gemmSimd(g: GemmArgs): boolean {
  if (!(g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array)) return false;
  const mod = enabled ? simdModule() : null;
  if (mod === null) return false;
  const { m, n, k } = g;
  const n4 = (n + 3) & ~3;
  const aSpan = m === 0 || k === 0 ? 0 : (m - 1) * g.ars + (k - 1) * g.acs + 1;
  const pA = 0;
  const pB = align16(pA + aSpan * 4);
  const pC = align16(pB + k * n4 * 4);
  ensureBytes(mod, pC + m * n4 * 4);
  const heap = new Float32Array(mod.memory.buffer);

  // A: copy the span it occupies (strides are kept).
  heap.set(g.a.subarray(g.aOff, g.aOff + aSpan), pA >> 2);
  // B: rows of n4 floats, contiguous columns.
  const b = g.b;
  const bBase = pB >> 2;
  if (g.bcs === 1 && g.brs === n && n4 === n) {
    heap.set(b.subarray(g.bOff, g.bOff + k * n), bBase);
  } else if (g.bcs === 1) {
    for (let kk = 0; kk < k; kk++) {
      const src = g.bOff + kk * g.brs;
      heap.set(b.subarray(src, src + n), bBase + kk * n4);
      heap.fill(0, bBase + kk * n4 + n, bBase + (kk + 1) * n4);
    }
  } else {
    for (let kk = 0; kk < k; kk++) {
      const row = bBase + kk * n4;
      let src = g.bOff + kk * g.brs;
      for (let j = 0; j < n; j++, src += g.bcs) heap[row + j] = b[src]!;
      heap.fill(0, row + n, row + n4);
    }
  }

  const ars = g.ars * 4;
  const acs = g.acs * 4;
  const ldb = n4 * 4;
  const ldc = n4 * 4;
  const step = NV * 4;
  for (let j0 = 0; j0 < n4; j0 += step) {
    const nv = Math.min(NV, (n4 - j0) >> 2);
    for (let i0 = 0; i0 < m; i0 += MR) {
      const mr = Math.min(MR, m - i0);
      mod.kernels[mr]![nv]!(pA + i0 * ars, pB + j0 * 4, pC + i0 * ldc + j0 * 4, k, ars, acs, ldb, ldc);
    }
  }

  const out = g.c;
  const cBase = pC >> 2;
  if (n4 === n) out.set(heap.subarray(cBase, cBase + m * n), g.cOff);
  else for (let i = 0; i < m; i++) out.set(heap.subarray(cBase + i * n4, cBase + i * n4 + n), g.cOff + i * n);
  return true;
}
