/**
 * The WebAssembly SIMD (f32x4) code of the float32 matrix product
 * (simd-gemm.ts runs it): the packing functions and the micro-kernels, as
 * wasm-asm.ts function builders.
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
import { FnBuilder, I32, V128 } from './wasm-asm.ts';

/** Rows of A per micro-kernel (threads.ts splits rows at multiples of it). */
export const MR = 4;
/** f32x4 vectors of B per micro-kernel. */
export const NV = 2;
/** Columns of B per panel. */
export const NR = 4 * NV;
/** Rows of a B panel per pass over the blocks of A (KC NR floats: 8 KB). */
export const KC = 256;

/**
 * Micro-kernel C[MR, 4 nv] (+)= A[MR, k] B[k, 4 nv] over a packed block
 * and panel; params (addresses and ldc in bytes): pa, pb, pc, k (>= 1), ldc,
 * accumulate (0: start from zeros, else add to C's values).
 */
export function microKernel(nv: number): FnBuilder {
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
 * Packing where a block's lines are contiguous in the source: for each of
 * `blocks` blocks and kk < k, the `width` numbers at src + kk ld +
 * 4 width blk go to dst + blk stride + 4 width kk. Params (addresses, ld,
 * stride in bytes): src, dst, k, blocks, ld, stride.
 *
 * `blockOuter`: a block at a time (the writes run straight on, and the k
 * rows read stay in L1 for the next block while k <= COPY_BLOCK_OUTER_K);
 * else a row at a time (for long k, whose rows would not stay).
 */
export function packCopy(name: string, width: number, blockOuter: boolean): FnBuilder {
  const f = new FnBuilder(name, [I32, I32, I32, I32, I32, I32]);
  const [src, dst, k, blocks, ld, stride] = [0, 1, 2, 3, 4, 5];
  const s = f.local(I32);
  const d = f.local(I32);
  const count = f.local(I32);
  // What src and dst advance by per row (kk) and per block.
  const row = { src: () => f.get(ld), dst: () => f.i32(4 * width) };
  const block = { src: () => f.i32(4 * width), dst: () => f.get(stride) };
  const [outer, inner] = blockOuter ? [block, row] : [row, block];
  const [outerCount, innerCount] = blockOuter ? [blocks, k] : [k, blocks];
  f.loop();
  f.get(src).set(s);
  f.get(dst).set(d);
  f.get(innerCount).set(count);
  f.loop();
  for (let v = 0; v < width / 4; v++) f.get(d).get(s).v128Load(16 * v).v128Store(16 * v);
  f.get(s);
  inner.src();
  f.add().set(s);
  f.get(d);
  inner.dst();
  f.add().set(d);
  f.get(count).i32(1).sub().set(count);
  f.get(count).brIf(0);
  f.end();
  f.get(src);
  outer.src();
  f.add().set(src);
  f.get(dst);
  outer.dst();
  f.add().set(dst);
  f.get(outerCount).i32(1).sub().set(outerCount);
  f.get(outerCount).brIf(0);
  f.end();
  return f;
}

/** Largest k for which `packCopy` goes a block at a time (k rows of 64-byte lines in a 32 KB L1). */
export const COPY_BLOCK_OUTER_K = 512;

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
export function packTranspose(name: string, width: number): FnBuilder {
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

