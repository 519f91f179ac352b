/**
 * float32 matrix product on WebAssembly SIMD (f32x4), used by the CPU
 * backend for products big enough to pay for copying the operands into the
 * module's memory (the code and its layout: simd-gemm-kernels.ts). Falls
 * back to matmul.ts (pure TypeScript) where WebAssembly SIMD is missing.
 *
 * A product runs in three steps, so that threads-gemm.ts can split the
 * middle one: `packGemm` copies both operands into the module's memory and
 * packs B, `gemmBlocks` packs blocks of MR rows of A and computes those
 * rows of C there, `unpackC` copies C out. The memory is a shared WebAssembly memory where SharedArrayBuffer
 * exists (Node; a cross-origin isolated page), so worker threads
 * instantiate the same module over it (`simdCode`, `attachSimd`) and work
 * on the packed operands without a copy; else an ordinary one.
 */
import { assemble } from './wasm-asm.ts';
import type { GemmArgs } from './matmul.ts';
import { COPY_BLOCK_OUTER_K, KC, microKernel, MR, NR, NV, packCopy, packTranspose } from './simd-gemm-kernels.ts';

export { MR } from './simd-gemm-kernels.ts';

type Kernel = (pa: number, pb: number, pc: number, k: number, ldc: number, accumulate: number) => void;
type Pack = (src: number, dst: number, k: number, blocks: number, ld: number, stride: number) => void;

/** An instance of the module over a memory: the main thread's, or a worker's over the same shared memory. */
export interface SimdInstance {
  memory: WebAssembly.Memory;
  /** kernels[nv], nv = 1..NV */
  kernels: Kernel[];
  /** Packing of A (blocks of MR rows) and of B (panels of NR columns): by copies (a block or a row at a time), by transposes. */
  packA: Packers;
  packB: Packers;
}

interface Packers {
  copyByBlock: Pack;
  copyByRow: Pack;
  transpose: Pack;
}

/** What a worker needs to run kernels on the main thread's memory (posted to it once). */
export interface SimdCode {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** Pages of 64 KiB: at the start, and the most a shared memory can grow to (2 GiB). */
const INITIAL_PAGES = 16;
const MAX_SHARED_PAGES = 32768;

let main: { instance: SimdInstance; code: SimdCode | null } | null | undefined;
/** Size of the assembled module in bytes (browsers compile modules over 4 KB synchronously only off the main thread). */
export let moduleBytes = 0;

function compile(shared: boolean): WebAssembly.Module {
  const fns = [packCopy('aCopyB', MR, true), packCopy('aCopyR', MR, false), packTranspose('aT', MR)];
  fns.push(packCopy('bCopyB', NR, true), packCopy('bCopyR', NR, false), packTranspose('bT', NR));
  for (let nv = 1; nv <= NV; nv++) fns.push(microKernel(nv));
  const bytes = assemble(fns, { initial: INITIAL_PAGES, maximum: shared ? MAX_SHARED_PAGES : undefined, shared });
  moduleBytes = bytes.length;
  return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
}

/** The module instantiated over `memory`. */
export function attachSimd(code: SimdCode): SimdInstance {
  const ex = new WebAssembly.Instance(code.module, { env: { memory: code.memory } }).exports as Record<string, unknown>;
  const kernels: Kernel[] = [];
  for (let nv = 1; nv <= NV; nv++) kernels[nv] = ex[`k${nv}`] as Kernel;
  return {
    memory: code.memory,
    kernels,
    packA: { copyByBlock: ex.aCopyB as Pack, copyByRow: ex.aCopyR as Pack, transpose: ex.aT as Pack },
    packB: { copyByBlock: ex.bCopyB as Pack, copyByRow: ex.bCopyR as Pack, transpose: ex.bT as Pack },
  };
}

/** The calling thread's instance (over a shared memory when it can be), or null where WebAssembly SIMD is unavailable. */
function mainInstance(): { instance: SimdInstance; code: SimdCode | null } | null {
  if (main !== undefined) return main;
  main = null;
  const attempts: boolean[] = typeof SharedArrayBuffer === 'undefined' ? [false] : [true, false];
  for (const shared of attempts) {
    try {
      const module = compile(shared);
      const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: shared ? MAX_SHARED_PAGES : undefined, shared });
      main = { instance: attachSimd({ module, memory }), code: shared ? { module, memory } : null };
      break;
    } catch {
      // no shared memory here (or no SIMD at all): try the next kind
    }
  }
  return main;
}

/** The module and the shared memory for workers; null when the memory is not shared (or there is no SIMD). */
export function simdCode(): SimdCode | null {
  return mainInstance()?.code ?? null;
}

let enabled = true;

/** Turns the SIMD path off or on (tests compare both paths). */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

export function simdAvailable(): boolean {
  return enabled && mainInstance() !== null;
}

/** Grows the memory to at least `bytes`; false when it cannot (the product then runs in TypeScript). */
function ensureBytes(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    memory.grow(Math.ceil((bytes - have) / 65536));
    return true;
  } catch {
    return false;
  }
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * A product in the module's memory: where its parts are (bytes) and its
 * sizes; plain numbers, so it can be posted to workers. B is packed; A is
 * copied in as given (at `aRaw`) and each block of A is packed by the
 * thread that computes its rows of C, just before (`gemmBlocks`), so that
 * threads share the packing of A as they share the products.
 */
export interface PackedGemm {
  pAp: number;
  pBp: number;
  pC: number;
  aStride: number;
  bStride: number;
  /** A as given: its address, and the strides between its rows and between its columns (elements). */
  aRaw: number;
  ars: number;
  acs: number;
  /** Rows of C computed (m rounded up to MR), its row length (n rounded up to 4), k. */
  mp: number;
  n4: number;
  k: number;
}

/**
 * Packs blocks [from, to) of `width` lines of the operand copied at byte
 * `raw`, whose element (line l, kk) is at `l sl + kk sk` from there (lines:
 * rows of A, columns of B), to one block every `stride` bytes from byte
 * `dst`.
 */
function packBlocks(p: Packers, width: number, raw: number, k: number, sl: number, sk: number, dst: number, stride: number, from: number, to: number): void {
  const src = raw + 4 * width * from * sl;
  const at = dst + from * stride;
  if (sl === 1) (k <= COPY_BLOCK_OUTER_K ? p.copyByBlock : p.copyByRow)(src, at, k, to - from, 4 * sk, stride);
  else p.transpose(src, at, k, to - from, 4 * sl, stride);
}

/** Copies `lines` lines of k elements of `src` from `off` (strides `sl`, `sk`) to byte `raw` of the heap. */
function copyIn(heap: Float32Array, src: Float32Array, off: number, lines: number, k: number, sl: number, sk: number, raw: number): void {
  const span = (lines - 1) * sl + (k - 1) * sk + 1;
  heap.set(src.subarray(off, off + span), raw >> 2);
}

/**
 * Copies A and B of `g` into the calling thread's module memory and packs
 * B (A is packed block by block in `gemmBlocks`); null (nothing done) when
 * SIMD is off or unavailable, an operand is not float32, neither of an
 * operand's strides is 1, or a size is 0.
 */
export function packGemm(g: GemmArgs): PackedGemm | null {
  if (!(g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array)) return null;
  if ((g.ars !== 1 && g.acs !== 1) || (g.brs !== 1 && g.bcs !== 1)) return null;
  const { m, n, k } = g;
  if (m === 0 || n === 0 || k === 0) return null;
  const mod = enabled ? mainInstance()?.instance : null;
  if (!mod) return null;
  const kp = roundUp(k, 4);
  const mp = roundUp(m, MR);
  const n4 = roundUp(n, 4);
  const np = roundUp(n, NR);
  // Bytes: packed A, packed B, C (mp rows of n4), then the copies of A and B
  // as given, each followed by room for what the packing reads past its end.
  const aStride = 4 * kp * MR;
  const bStride = 4 * kp * NR;
  const pAp = 0;
  const pBp = pAp + (mp / MR) * aStride;
  const pC = pBp + (np / NR) * bStride;
  const pA = pC + 4 * mp * n4;
  const pB = pA + 4 * ((m - 1) * g.ars + (k - 1) * g.acs + 1 + MR * Math.max(g.ars, g.acs) + 4);
  const end = pB + 4 * ((k - 1) * g.brs + (n - 1) * g.bcs + 1 + NR * Math.max(g.brs, g.bcs) + 4);
  if (!ensureBytes(mod.memory, end)) return null;
  const heap = new Float32Array(mod.memory.buffer);
  copyIn(heap, g.a, g.aOff, m, k, g.ars, g.acs, pA);
  copyIn(heap, g.b, g.bOff, n, k, g.bcs, g.brs, pB);
  packBlocks(mod.packB, NR, pB, k, g.bcs, g.brs, pBp, bStride, 0, np / NR);
  return { pAp, pBp, pC, aStride, bStride, aRaw: pA, ars: g.ars, acs: g.acs, mp, n4, k };
}

/**
 * Blocks [from, to) of MR rows of C, on `on` (the calling thread's
 * instance by default): packs those blocks of A, then runs the kernels.
 */
export function gemmBlocks(p: PackedGemm, from: number, to: number, on: SimdInstance = mainInstance()!.instance): void {
  const { k, n4 } = p;
  packBlocks(on.packA, MR, p.aRaw, k, p.ars, p.acs, p.pAp, p.aStride, from, to);
  const ldc = 4 * n4;
  for (let j0 = 0; j0 < n4; j0 += NR) {
    const kernel = on.kernels[Math.min(NV, (n4 - j0) / 4)]!;
    const panel = p.pBp + (j0 / NR) * p.bStride;
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      for (let b = from; b < to; b++) kernel(p.pAp + b * p.aStride + 4 * MR * k0, panel + 4 * NR * k0, p.pC + 4 * (b * MR * n4 + j0), kc, ldc, k0);
    }
  }
}

/** Copies C (m rows of n) out of the module's memory into `g.c`. */
export function unpackC(p: PackedGemm, g: GemmArgs): void {
  unpackRows(p, g, 0, g.m);
}

/** Copies rows [from, to) of C out of the module's memory into `g.c`. */
export function unpackRows(p: PackedGemm, g: GemmArgs, from: number, to: number): void {
  const heap = new Float32Array(mainInstance()!.instance.memory.buffer);
  const { n } = g;
  const cBase = p.pC >> 2;
  if (p.n4 === n) g.c.set(heap.subarray(cBase + from * n, cBase + to * n), g.cOff + from * n);
  else for (let i = from; i < to; i++) g.c.set(heap.subarray(cBase + i * p.n4, cBase + i * p.n4 + n), g.cOff + i * n);
}

/**
 * C = A B for float32 arrays through the SIMD kernels on the calling
 * thread. Returns false (and does nothing) where `packGemm` cannot pack.
 */
export function gemmSimd(g: GemmArgs): boolean {
  if (g.m === 0 || g.n === 0 || g.k === 0) {
    if (!(g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array && simdAvailable())) return false;
    g.c.fill(0, g.cOff, g.cOff + g.m * g.n);
    return true;
  }
  const p = packGemm(g);
  if (!p) return false;
  gemmBlocks(p, 0, p.mp / MR);
  unpackC(p, g);
  return true;
}
