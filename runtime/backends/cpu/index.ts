/**
 * The CPU backend: storage is a typed array per tensor (Float32Array,
 * Float64Array or Int32Array, row-major), kernels are plain TypeScript
 * loops, plus a WebAssembly SIMD kernel for float32 matrix products. It is
 * the reference the other backends are tested against.
 */
import type { Backend, BinaryOp, Operand, ReduceOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import { Tensor, dtypeOfArray, shapeSize, stridesOf, typedArrayFor } from '../../tensor.ts';
import { middleDims, reducedShape } from '../../shape.ts';
import type { DType, Shape, TypedArray } from '../../tensor.ts';
import { Rng } from '../../rng.ts';
import { cpuEpilogueRows, cpuFused, type FusedKernel } from '../fused.ts';
import { binaryRow, unaryGradKernel, unaryKernel } from './elementwise.ts';
import { resultDtype, unaryOps } from '../op-table.ts';
import { broadcastStrides, forEachRow, innerStrides } from './strided.ts';
import { reduceKernel } from './reduce.ts';
import { gemmJs, type GemmArgs } from './matmul.ts';
import { gemmSimd } from './simd-gemm.ts';
import { gemmThreaded } from './threads-gemm.ts';
import { binaryThreaded, cpuArrayFor, unaryGradThreaded, unaryThreaded } from './threads-elementwise.ts';
import {
  concatKernel,
  gatherKernel,
  scatterAddKernel,
  sliceAdjointKernel,
  sliceKernel,
  transposeKernel,
} from './layout.ts';
import {
  adamKernel,
  dropoutKernel,
  momentumKernel,
  sgdKernel,
  softmaxCrossEntropyGradKernel,
  softmaxCrossEntropyKernel,
  softmaxKernel,
} from './nn.ts';

/** Products with fewer multiply-adds than this stay in TypeScript. */
const SIMD_MIN_WORK = 16 * 1024;

/** The typed array behind a CPU tensor. */
export function cpuData(t: Tensor): TypedArray {
  return t.storage as TypedArray;
}

function operandArray(x: Operand): TypedArray | Float64Array {
  return typeof x === 'number' ? new Float64Array([x]) : cpuData(x);
}

function operandShape(x: Operand): Shape {
  return typeof x === 'number' ? [] : x.shape;
}

/** True when `s` (without leading 1s) equals the trailing dimensions of `shape`. */
function isSuffix(s: Shape, shape: Shape): boolean {
  let start = 0;
  while (start < s.length && s[start] === 1) start++;
  const n = s.length - start;
  if (n === 0 || n > shape.length) return false;
  for (let i = 0; i < n; i++) if (s[start + i] !== shape[shape.length - n + i]) return false;
  return true;
}

class CpuBackend implements Backend {
  readonly name = 'cpu' as const;

  make(values: TypedArray, shape: Shape): Tensor {
    return new Tensor(this, values, shape, dtypeOfArray(values));
  }

  fromValues(values: TypedArray, shape: Shape): Tensor {
    return this.make(values, shape);
  }

  fill(shape: Shape, value: number, dtype: DType): Tensor {
    const a = typedArrayFor(dtype, shapeSize(shape));
    if (value !== 0) a.fill(value);
    return this.make(a, shape);
  }

  readSync(t: Tensor): TypedArray {
    return cpuData(t);
  }

  read(t: Tensor): Promise<TypedArray> {
    return Promise.resolve(cpuData(t));
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    return this.make(cpuData(x), shape);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    const out = typedArrayFor(dtype, x.size);
    const src = cpuData(x);
    if (dtype === 'int32') for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
    else out.set(src);
    return this.make(out, x.shape);
  }

  unary(op: UnaryOp, x: Tensor, param: number): Tensor {
    const dtype = resultDtype(unaryOps[op], x.dtype);
    const out = cpuArrayFor(dtype, x.size);
    if (!unaryThreaded(op, cpuData(x), out, param)) unaryKernel(op, cpuData(x), out, param);
    return this.make(out, x.shape);
  }

  unaryGrad(op: UnaryGradOp, g: Tensor, v: Tensor, param: number): Tensor {
    const out = cpuArrayFor(g.dtype === 'int32' ? 'float32' : g.dtype, g.size);
    if (!unaryGradThreaded(op, cpuData(g), cpuData(v), out, param)) unaryGradKernel(op, cpuData(g), cpuData(v), out, param);
    return this.make(out, g.shape);
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor {
    const size = shapeSize(outShape);
    const out = cpuArrayFor(outDtype, size);
    const av = operandArray(a);
    const bv = operandArray(b);
    // Fast paths: equal shapes, a scalar, or b repeating along the leading axes of a (a bias row).
    const aFull = typeof a !== 'number' && a.size === size;
    const bFull = typeof b !== 'number' && b.size === size;
    if (aFull && (bFull || bv.length === 1)) {
      if (!binaryThreaded(op, av, 1, bv, bFull ? 1 : 0, out, size)) binaryRow(op, av, 0, 1, bv, 0, bFull ? 1 : 0, out, 0, size);
      return this.make(out, outShape);
    }
    if (bFull && av.length === 1) {
      if (!binaryThreaded(op, av, 0, bv, 1, out, size)) binaryRow(op, av, 0, 0, bv, 0, 1, out, 0, size);
      return this.make(out, outShape);
    }
    if (aFull && typeof b !== 'number' && isSuffix(b.shape, outShape)) {
      const n = b.size;
      for (let o = 0; o < size; o += n) binaryRow(op, av, o, 1, bv, 0, 1, out, o, n);
      return this.make(out, outShape);
    }
    const strides = [broadcastStrides(operandShape(a), outShape), broadcastStrides(operandShape(b), outShape)];
    const [sa, sb] = innerStrides(outShape, strides) as [number, number];
    forEachRow(outShape, strides, (offsets, o, n) => binaryRow(op, av, offsets[0]!, sa, bv, offsets[1]!, sb, out, o, n));
    return this.make(out, outShape);
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor {
    const out = typedArrayFor(outDtype, shapeSize(outShape));
    const cv = operandArray(cond);
    const av = operandArray(a);
    const bv = operandArray(b);
    const strides = [cond, a, b].map((x) => broadcastStrides(operandShape(x), outShape));
    const [sc, sa, sb] = innerStrides(outShape, strides) as [number, number, number];
    forEachRow(outShape, strides, (off, o, n) => {
      let pc = off[0]!;
      let pa = off[1]!;
      let pb = off[2]!;
      for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb) out[o + i] = cv[pc] !== 0 ? av[pa]! : bv[pb]!;
    });
    return this.make(out, outShape);
  }

  broadcastTo(x: Tensor, shape: Shape): Tensor {
    const out = typedArrayFor(x.dtype, shapeSize(shape));
    const xv = cpuData(x);
    const strides = [broadcastStrides(x.shape, shape)];
    const [s] = innerStrides(shape, strides) as [number];
    forEachRow(shape, strides, (off, o, n) => {
      for (let i = 0, p = off[0]!; i < n; i++, p += s) out[o + i] = xv[p]!;
    });
    return this.make(out, shape);
  }

  fused(kernel: FusedKernel, operands: readonly Operand[], outShape: Shape, outDtype: DType): Tensor {
    return this.make(cpuFused(kernel, operands, outShape, outDtype), outShape);
  }

  sumFused(kernel: FusedKernel, operands: readonly Operand[], shape: Shape, dtype: DType, axes: readonly number[], keepdims: boolean, count: number): Tensor {
    // On the CPU the kernel's values go through one array (the sum is what costs), and a mean divides as mean does.
    const sum = this.reduce('sum', this.fused(kernel, operands, shape, dtype), axes, keepdims);
    return count === 1 ? sum : this.binary('div', sum, count, sum.shape, sum.dtype);
  }

  release(_t: Tensor): void {
    // Typed arrays are garbage collected.
  }

  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    const shape = x.shape;
    const outShape = reducedShape(shape, axes, keepdims);
    const outDtype = op === 'sum' && x.dtype === 'int32' ? 'int32' : x.dtype;
    const out = typedArrayFor(outDtype, shapeSize(outShape));
    const contiguous = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
    let src = cpuData(x);
    let first = axes[0] ?? 0;
    let last = axes.length === 0 ? -1 : axes[axes.length - 1]!;
    let srcShape = shape;
    if (!contiguous) {
      // Move the reduced axes to the end, then reduce rows.
      const kept = [...shape.keys()].filter((d) => !axes.includes(d));
      const perm = [...kept, ...axes];
      const t = this.transpose(x, perm);
      src = cpuData(t);
      srcShape = t.shape;
      first = kept.length;
      last = shape.length - 1;
    }
    const { outer, r, inner } = middleDims(srcShape, first, last);
    reduceKernel(op, src, out, outer, r, inner);
    return this.make(out, outShape);
  }

  argmax(x: Tensor, axis: number): Tensor {
    const outer = shapeSize(x.shape.slice(0, axis));
    const r = x.shape[axis]!;
    const inner = shapeSize(x.shape.slice(axis + 1));
    const src = cpuData(x);
    const out = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bestValue = -Infinity;
        for (let k = 0, p = o * r * inner + i; k < r; k++, p += inner) {
          if (src[p]! > bestValue) {
            bestValue = src[p]!;
            best = k;
          }
        }
        out[o * inner + i] = best;
      }
    }
    return this.make(
      out,
      x.shape.filter((_, d) => d !== axis),
    );
  }

  matmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape): Tensor {
    return this.product(a, b, transposeA, transposeB, batchShape).c;
  }

  /**
   * C = A B (batched). `epilogue`, for a product without batch dimensions,
   * is run on rows [from, to) of C (of shape `shape`) as soon as they are
   * final where the product is split over threads, so that the caller's
   * rows overlap the workers' chunks; `epilogueDone` says whether it ran
   * on every row (else it ran on none).
   */
  private product(
    a: Tensor,
    b: Tensor,
    transposeA: boolean,
    transposeB: boolean,
    batchShape: Shape,
    epilogue?: (c: TypedArray, shape: Shape, from: number, to: number) => void,
  ): { c: Tensor; epilogueDone: boolean } {
    const ra = a.rank;
    const rb = b.rank;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const outDtype = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
    const batch = shapeSize(batchShape);
    const c = cpuArrayFor(outDtype, batch * m * n);
    let av = cpuData(a);
    let bv = cpuData(b);
    if (av.constructor !== c.constructor) av = Float64Array.from(av);
    if (bv.constructor !== c.constructor) bv = Float64Array.from(bv);
    const aCols = a.shape[ra - 1]!;
    const bCols = b.shape[rb - 1]!;
    const args: GemmArgs = {
      a: av,
      aOff: 0,
      ars: transposeA ? 1 : aCols,
      acs: transposeA ? aCols : 1,
      b: bv,
      bOff: 0,
      brs: transposeB ? 1 : bCols,
      bcs: transposeB ? bCols : 1,
      c,
      cOff: 0,
      m,
      n,
      k,
    };
    const aBatch = broadcastStrides(a.shape.slice(0, ra - 2), batchShape);
    const bBatch = broadcastStrides(b.shape.slice(0, rb - 2), batchShape);
    const aMat = a.shape[ra - 2]! * aCols;
    const bMat = b.shape[rb - 2]! * bCols;
    const bStrides = stridesOf(batchShape);
    const useSimd = m * n * k >= SIMD_MIN_WORK;
    let epilogueDone = false;
    for (let t = 0; t < batch; t++) {
      let ao = 0;
      let bo = 0;
      let rest = t;
      for (let d = 0; d < batchShape.length; d++) {
        const idx = Math.floor(rest / bStrides[d]!);
        rest -= idx * bStrides[d]!;
        ao += idx * aBatch[d]!;
        bo += idx * bBatch[d]!;
      }
      args.aOff = ao * aMat;
      args.bOff = bo * bMat;
      args.cOff = t * m * n;
      const done = epilogue && batchShape.length === 0 ? (from: number, to: number) => epilogue(c, [m, n], from, to) : undefined;
      if (gemmThreaded(args, useSimd, done)) epilogueDone = done !== undefined;
      else if (!(useSimd && gemmSimd(args))) gemmJs(args);
    }
    return { c: this.make(c, [...batchShape, m, n]), epilogueDone };
  }

  matmulEpilogue(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape, kernel: FusedKernel, operands: readonly Operand[]): Tensor {
    // The epilogue runs over the product's rows in place: the product is new and read only there.
    const rows = (c: TypedArray, shape: Shape, from: number, to: number) => cpuEpilogueRows(kernel, c, shape, operands, from, to);
    const { c, epilogueDone } = this.product(a, b, transposeA, transposeB, batchShape, rows);
    if (!epilogueDone) cpuFused(kernel, [c, ...operands], c.shape, c.dtype, c.storage as TypedArray);
    return c;
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const out = typedArrayFor(x.dtype, x.size);
    transposeKernel(cpuData(x), x.shape, perm, out);
    return this.make(
      out,
      perm.map((p) => x.shape[p]!),
    );
  }

  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const out = typedArrayFor(x.dtype, shapeSize(size));
    sliceKernel(cpuData(x), x.shape, begin, size, out);
    return this.make(out, size);
  }

  sliceAdjoint(g: Tensor, shape: Shape, begin: readonly number[]): Tensor {
    const out = typedArrayFor(g.dtype, shapeSize(shape));
    sliceAdjointKernel(cpuData(g), g.shape, shape, begin, out);
    return this.make(out, shape);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const shape = xs[0]!.shape.slice();
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
    const dtype = xs.some((x) => x.dtype === 'float64') ? 'float64' : xs[0]!.dtype;
    const out = typedArrayFor(dtype, shapeSize(shape));
    const arrays = xs.map((x) => (x.dtype === dtype ? cpuData(x) : cpuData(this.cast(x, dtype))));
    concatKernel(
      arrays,
      xs.map((x) => x.shape),
      axis,
      out,
    );
    return this.make(out, shape);
  }

  gather(x: Tensor, indices: Int32Array, indexShape: Shape): Tensor {
    const row = shapeSize(x.shape.slice(1));
    const out = typedArrayFor(x.dtype, indices.length * row);
    gatherKernel(cpuData(x), row, indices, out);
    return this.make(out, [...indexShape, ...x.shape.slice(1)]);
  }

  scatterAdd(target: Tensor, indices: Int32Array, updates: Tensor): Tensor {
    const dtype = target.dtype === 'float64' || updates.dtype === 'float64' ? 'float64' : target.dtype;
    const out = typedArrayFor(dtype, target.size);
    out.set(cpuData(target));
    scatterAddKernel(out, shapeSize(target.shape.slice(1)), indices, cpuData(updates));
    return this.make(out, target.shape);
  }

  softmax(x: Tensor, axis: number, log: boolean): Tensor {
    const dtype = x.dtype === 'int32' ? 'float32' : x.dtype;
    const out = typedArrayFor(dtype, x.size);
    const outer = shapeSize(x.shape.slice(0, axis));
    const inner = shapeSize(x.shape.slice(axis + 1));
    softmaxKernel(cpuData(x), out, outer, x.shape[axis]!, inner, log);
    return this.make(out, x.shape);
  }

  softmaxCrossEntropy(logits: Tensor, labels: Int32Array): number {
    return softmaxCrossEntropyKernel(cpuData(logits), logits.shape[0]!, logits.shape[1]!, labels);
  }

  softmaxCrossEntropyMean(logits: Tensor, labels: Int32Array): Tensor {
    return this.fill([], this.softmaxCrossEntropy(logits, labels), logits.dtype === 'int32' ? 'float32' : logits.dtype);
  }

  softmaxCrossEntropyGrad(logits: Tensor, labels: Int32Array, scale: number): Tensor {
    const out = typedArrayFor(logits.dtype === 'int32' ? 'float32' : logits.dtype, logits.size);
    softmaxCrossEntropyGradKernel(cpuData(logits), logits.shape[0]!, logits.shape[1]!, labels, scale, out);
    return this.make(out, logits.shape);
  }

  dropout(x: Tensor, rate: number, seed: number): Tensor {
    const out = typedArrayFor(x.dtype === 'int32' ? 'float32' : x.dtype, x.size);
    dropoutKernel(cpuData(x), out, rate, seed);
    return this.make(out, x.shape);
  }

  random(kind: 'uniform' | 'normal', shape: Shape, a: number, b: number, seed: number, dtype: DType): Tensor {
    const out = typedArrayFor(dtype, shapeSize(shape));
    const rng = new Rng(seed);
    if (kind === 'uniform') for (let i = 0; i < out.length; i++) out[i] = a + (b - a) * rng.uniform();
    else for (let i = 0; i < out.length; i++) out[i] = a + b * rng.normal();
    return this.make(out, shape);
  }

  sgdInPlace(p: Tensor, g: Tensor, lr: number, weightDecay: number): void {
    sgdKernel(cpuData(p), cpuData(g), lr, weightDecay);
  }

  momentumInPlace(p: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, nesterov: boolean): void {
    momentumKernel(cpuData(p), cpuData(g), cpuData(v), lr, mu, nesterov);
  }

  adamInPlace(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: number, b1: number, b2: number, eps: number, t: number): void {
    adamKernel(cpuData(p), cpuData(g), cpuData(m), cpuData(v), lr, b1, b2, eps, t);
  }
}

/** The CPU backend instance. */
export const cpu: Backend = new CpuBackend();
