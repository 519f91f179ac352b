/**
 * float32 matrix product on WebAssembly SIMD (f32x4), used by the CPU
 * backend for products big enough to pay for copying the operands into the
 * module's memory. Falls back to matmul.ts (pure TypeScript) where
 * WebAssembly SIMD is missing.
 *
 * Packing: the operands are copied into the module's memory as they are
 * (one memcpy each), then packed there, with f32x4 loads and stores, into
 * blocks stored k-major: A in blocks of MR rows (MR numbers per k), B in
 * panels of NR = 4 NV columns (NR numbers per k). An operand whose packed
 * lines are contiguous in memory (B not transposed, A transposed) is
 * packed by copying vectors; the other (A not transposed, B transposed) by
 * 4 x 4 transposes. Whatever the transposes, the micro-kernel then reads
 * two contiguous streams, and KC rows of a B panel (8 KB) stay in the L1
 * cache while every block of A goes past them.
 *
 * Micro-kernel: an MR x (4 nv) block of C in MR * nv f32x4 accumulators,
 * held in registers over the k loop: per k it loads nv vectors of the B
 * panel, broadcasts each of the MR numbers of the A block and does MR * nv
 * multiplies and adds. MR = 4 and NV = 2 keep accumulators, B vectors, the
 * broadcast and the product's temporary within the 15 SIMD registers V8
 * allocates on x64. The loop is not unrolled: V8 gives every distinct load
 * offset of an unrolled body its own base register, and spills. Blocks and
 * panels past the edges of A and B hold whatever the packing read there;
 * they only reach rows and columns of C that are not copied out.
 *
 * Every element of C is summed over k in order 0, 1, ..., k-1 (the blocking
 * over k accumulates into C in that order) whatever rows are computed
 * together, so any split of the rows between threads gives the same bits.
 */
import { assemble, FnBuilder, I32, V128 } from './wasm-asm.ts';
import type { GemmArgs } from './matmul.ts';

/** Rows of A per micro-kernel (threads.ts splits rows at multiples of it). */
export const MR = 4;
/** f32x4 vectors of B per micro-kernel. */
export const NV = 2;
/** Columns of B per panel. */
const NR = 4 * NV;
/** Rows of a B panel per pass over the blocks of A (KC NR floats: 8 KB). */
const KC = 256;

/**
 * Micro-kernel C[MR, 4 nv] (+)= A[MR, k] B[k, 4 nv] over a packed block
 * and panel; params (addresses and ldc in bytes): pa, pb, pc, k (>= 1), ldc,
 * accumulate (0: start from zeros, else add to C's values).
 */
function microKernel(nv: number): FnBuilder {
  const f = new FnBuilder(`k${nv}`, [I32, I32, I32, I32, I32, I32]);
  const [pa, pb, pc, k, ldc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: nv }, () => f.local(V128)));
  const bv = Array.from({ length: nv }, () => f.local(V128));
  const av = f.local(V128);
  const rowOfC = (r: number) => {
    f.get(pc);
    if (r > 0) f.get(ldc).i32(r).mul().add();
  };

  // acc = accumulate ? C : 0
  f.block();
  f.block();
  f.get(accumulate).eqz().brIf(0);
  for (let r = 0; r < MR; r++) for (let v = 0; v < nv; v++) (rowOfC(r), f.v128Load(16 * v).set(acc[r]![v]!));
  f.br(1);
  f.end();
  for (let r = 0; r < MR; r++) for (let v = 0; v < nv; v++) f.v128Zero().set(acc[r]![v]!);
  f.end();

  f.loop();
  for (let v = 0; v < nv; v++) f.get(pb).v128Load(16 * v).set(bv[v]!);
  for (let r = 0; r < MR; r++) {
    f.get(pa).load32Splat(4 * r).set(av);
    for (let v = 0; v < nv; v++) f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(acc[r]![v]!);
  }
  f.get(pa).i32(4 * MR).add().set(pa);
  f.get(pb).i32(4 * NR).add().set(pb);
  f.get(k).i32(1).sub().set(k);
  f.get(k).brIf(0);
  f.end(); // loop

  for (let r = 0; r < MR; r++) for (let v = 0; v < nv; v++) (rowOfC(r), f.get(acc[r]![v]!).v128Store(16 * v));
  return f;
}

/**
 * Packing where a block's lines are contiguous in the source: for kk < k
 * and each of `blocks` blocks, the `width` numbers at src + kk ld +
 * 4 width blk go to dst + blk stride + 4 width kk. Params (addresses, ld,
 * stride in bytes): src, dst, k, blocks, ld, stride.
 */
function packCopy(name: string, width: number): FnBuilder {
  const f = new FnBuilder(name, [I32, I32, I32, I32, I32, I32]);
  const [src, dst, k, blocks, ld, stride] = [0, 1, 2, 3, 4, 5];
  const s = f.local(I32);
  const d = f.local(I32);
  const b = f.local(I32);
  f.loop();
  f.get(src).set(s);
  f.get(dst).set(d);
  f.get(blocks).set(b);
  f.loop();
  for (let v = 0; v < width / 4; v++) f.get(d).get(s).v128Load(16 * v).v128Store(16 * v);
  f.get(s).i32(4 * width).add().set(s);
  f.get(d).get(stride).add().set(d);
  f.get(b).i32(1).sub().set(b);
  f.get(b).brIf(0);
  f.end();
  f.get(src).get(ld).add().set(src);
  f.get(dst).i32(4 * width).add().set(dst);
  f.get(k).i32(1).sub().set(k);
  f.get(k).brIf(0);
  f.end();
  return f;
}

/** i8x16.shuffle lanes taking f32 lanes (a0, a1, b0, b1) of two vectors (b lanes are 4..7). */
function lanes(...l: number[]): number[] {
  return l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
}

/**
 * Packing where a block's lines are strided in the source and k runs
 * along them: line l of block blk (l < width), kk < k, at src + (width blk +
 * l) sl + 4 kk goes to dst + blk stride + 4 (width kk + l), by 4 x 4
 * transposes of four lines and four kk at a time (k rounded up to 4: the
 * last transpose reads past the line and writes the block's padding).
 * Params (addresses, sl, stride in bytes): src, dst, k, blocks, sl, stride.
 */
function packTranspose(name: string, width: number): FnBuilder {
  const f = new FnBuilder(name, [I32, I32, I32, I32, I32, I32]);
  const [src, dst, k, blocks, sl, stride] = [0, 1, 2, 3, 4, 5];
  const s = f.local(I32);
  const d = f.local(I32);
  const kk = f.local(I32);
  const row = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const t = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.loop(); // blocks
  for (let g = 0; g < width / 4; g++) {
    // lines 4g..4g+3 of the block
    f.get(src).get(sl).i32(4 * g).mul().add().set(s);
    f.get(dst).i32(16 * g).add().set(d);
    f.get(k).set(kk);
    f.loop();
    for (let r = 0; r < 4; r++) {
      f.get(s);
      if (r > 0) f.get(sl).i32(r).mul().add();
      f.v128Load(0).set(row[r]!);
    }
    // t0 = (r0[0], r1[0], r0[1], r1[1]), t1 = (r0[2], r1[2], r0[3], r1[3]), t2, t3 likewise for r2, r3
    f.get(row[0]!).get(row[1]!).shuffle(lanes(0, 4, 1, 5)).set(t[0]!);
    f.get(row[0]!).get(row[1]!).shuffle(lanes(2, 6, 3, 7)).set(t[1]!);
    f.get(row[2]!).get(row[3]!).shuffle(lanes(0, 4, 1, 5)).set(t[2]!);
    f.get(row[2]!).get(row[3]!).shuffle(lanes(2, 6, 3, 7)).set(t[3]!);
    // column c (kk + c) = (r0[c], r1[c], r2[c], r3[c])
    f.get(d).get(t[0]!).get(t[2]!).shuffle(lanes(0, 1, 4, 5)).v128Store(0);
    f.get(d).get(t[0]!).get(t[2]!).shuffle(lanes(2, 3, 6, 7)).v128Store(4 * width);
    f.get(d).get(t[1]!).get(t[3]!).shuffle(lanes(0, 1, 4, 5)).v128Store(8 * width);
    f.get(d).get(t[1]!).get(t[3]!).shuffle(lanes(2, 3, 6, 7)).v128Store(12 * width);
    f.get(s).i32(16).add().set(s);
    f.get(d).i32(16 * width).add().set(d);
    f.get(kk).i32(4).sub().set(kk);
    f.i32(0).get(kk).ltS().brIf(0);
    f.end();
  }
  f.get(src).get(sl).i32(width).mul().add().set(src);
  f.get(dst).get(stride).add().set(dst);
  f.get(blocks).i32(1).sub().set(blocks);
  f.get(blocks).brIf(0);
  f.end();
  return f;
}

type Kernel = (pa: number, pb: number, pc: number, k: number, ldc: number, accumulate: number) => void;
type Pack = (src: number, dst: number, k: number, blocks: number, ld: number, stride: number) => void;

interface SimdModule {
  memory: WebAssembly.Memory;
  /** kernels[nv], nv = 1..NV */
  kernels: Kernel[];
  /** Packing of A (blocks of MR rows) and of B (panels of NR columns): by copies, by transposes. */
  packA: { copy: Pack; transpose: Pack };
  packB: { copy: Pack; transpose: Pack };
}

let module: SimdModule | null | undefined;
/** Size of the assembled module in bytes (browsers compile modules over 4 KB synchronously only off the main thread). */
export let moduleBytes = 0;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable. */
function simdModule(): SimdModule | null {
  if (module !== undefined) return module;
  try {
    const fns = [packCopy('aCopy', MR), packTranspose('aT', MR), packCopy('bCopy', NR), packTranspose('bT', NR)];
    for (let nv = 1; nv <= NV; nv++) fns.push(microKernel(nv));
    const bytes = assemble(fns, 16);
    moduleBytes = bytes.length;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
    const ex = instance.exports as Record<string, unknown>;
    const kernels: Kernel[] = [];
    for (let nv = 1; nv <= NV; nv++) kernels[nv] = ex[`k${nv}`] as Kernel;
    module = {
      memory: ex.memory as WebAssembly.Memory,
      kernels,
      packA: { copy: ex.aCopy as Pack, transpose: ex.aT as Pack },
      packB: { copy: ex.bCopy as Pack, transpose: ex.bT as Pack },
    };
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

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * Packs the operand whose element (line l, kk) is at `off + l sl + kk sk` of
 * `src` (lines: rows of A, columns of B) into blocks of `width` lines, at
 * byte `dst` of the heap, one block every `stride` bytes, from a copy at
 * byte `raw`. False when neither stride is 1 (no packing for that).
 */
function pack(mod: SimdModule, heap: Float32Array, p: SimdModule['packA'], width: number, src: Float32Array, off: number, lines: number, k: number, sl: number, sk: number, raw: number, dst: number, stride: number): boolean {
  const span = (lines - 1) * sl + (k - 1) * sk + 1;
  heap.set(src.subarray(off, off + span), raw >> 2);
  const blocks = Math.ceil(lines / width);
  if (sl === 1) p.copy(raw, dst, k, blocks, 4 * sk, stride);
  else if (sk === 1) p.transpose(raw, dst, k, blocks, 4 * sl, stride);
  else return false;
  return true;
}

/**
 * C = A B for float32 arrays through the SIMD kernels. Returns false (and
 * does nothing) when SIMD is unavailable, an operand is not float32, or
 * neither of an operand's strides is 1.
 */
export function gemmSimd(g: GemmArgs): boolean {
  if (!(g.a instanceof Float32Array && g.b instanceof Float32Array && g.c instanceof Float32Array)) return false;
  if ((g.ars !== 1 && g.acs !== 1) || (g.brs !== 1 && g.bcs !== 1)) return false;
  const mod = enabled ? simdModule() : null;
  if (mod === null) return false;
  const { m, n, k } = g;
  if (m === 0 || n === 0) return true;
  if (k === 0) {
    g.c.fill(0, g.cOff, g.cOff + m * n);
    return true;
  }
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
  const aOver = 4 * (MR * Math.max(g.ars, g.acs) + 4);
  const pB = pA + 4 * ((m - 1) * g.ars + (k - 1) * g.acs + 1) + aOver;
  const bOver = 4 * (NR * Math.max(g.brs, g.bcs) + 4);
  ensureBytes(mod, pB + 4 * ((k - 1) * g.brs + (n - 1) * g.bcs + 1) + bOver);
  const heap = new Float32Array(mod.memory.buffer);
  pack(mod, heap, mod.packA, MR, g.a, g.aOff, m, k, g.ars, g.acs, pA, pAp, aStride);
  pack(mod, heap, mod.packB, NR, g.b, g.bOff, n, k, g.bcs, g.brs, pB, pBp, bStride);

  const ldc = 4 * n4;
  for (let j0 = 0; j0 < n4; j0 += NR) {
    const kernel = mod.kernels[Math.min(NV, (n4 - j0) / 4)]!;
    const panel = pBp + (j0 / NR) * bStride;
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      for (let i0 = 0; i0 < mp; i0 += MR) kernel(pAp + (i0 / MR) * aStride + 4 * MR * k0, panel + 4 * NR * k0, pC + 4 * (i0 * n4 + j0), kc, ldc, k0);
    }
  }

  const out = g.c;
  const cBase = pC >> 2;
  if (n4 === n) out.set(heap.subarray(cBase, cBase + m * n), g.cOff);
  else for (let i = 0; i < m; i++) out.set(heap.subarray(cBase + i * n4, cBase + i * n4 + n), g.cOff + i * n);
  return true;
}
