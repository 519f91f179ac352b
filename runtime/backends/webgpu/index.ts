/**
 * The WebGPU backend: tensors live in GPU buffers (float32 and int32; WGSL
 * has no f64), kernels are WGSL compute shaders generated per (kernel,
 * dtypes) and cached, and reading a value is explicit and asynchronous
 * (`await t.data()`). Picked once with `await useBackend('webgpu')`; the
 * generated derivative code is the same on both backends. docs/webgpu.md
 * describes the kernels, the buffer pool and what is not done.
 *
 * Tensor storage is a `GpuStorage`: a pooled buffer shared by a tensor and
 * its reshapes. `release(t)` gives the storage back at once (every view of
 * it is dead afterwards; runtime/lifetimes.ts decides when, and releases a
 * storage once). Storage nobody releases goes back when the last Tensor
 * object over it is garbage collected (a FinalizationRegistry), later and
 * at a time nobody controls.
 */
import type { Backend, BinaryOp, Operand, ReduceOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import type { FusedKernel } from '../fused.ts';
import { Tensor, shapeSize, stridesOf, typedArrayFor } from '../../tensor.ts';
import type { DType, Shape, TypedArray } from '../../tensor.ts';
import { Rng, mix32 } from '../../rng.ts';
import { fmt, middleDims, reducedShape } from '../../shape.ts';
import { binaryOps, resultDtype, unaryGradOps, unaryOps, whereOp } from '../op-table.ts';
import { broadcastStrides } from '../cpu/strided.ts';
import { WebGpuError, acquireDevice } from './device.ts';
import { Runner, groups1d, type Binding } from './runner.ts';
import { Params, wgslType } from './wgsl.ts';
import { elementwiseSource, ewParams, mergeDims, operandWords, writeOperandBlock, type EwOperand } from './kernels/elementwise.ts';
import { REDUCE_SHORT_WORDS, REDUCE_WORDS, SHORT_ROW, argmaxShortSource, argmaxSource, reduceLayout, reduceShortSource, reduceSource, type ReducePrologue } from './kernels/reduce.ts';
import { MATMUL_MAX_BATCH_RANK, MATMUL_TILE, MATMUL_WORDS, matmulLayout, matmulSource } from './kernels/matmul.ts';
import { copyParams, copySource } from './kernels/layout.ts';
import {
  crossEntropyGradShortSource,
  crossEntropyMeanShortSource,
  crossEntropyGradSource,
  crossEntropyRowsShortSource,
  crossEntropyRowsSource,
  dropoutSource,
  gatherSource,
  scatterAddSource,
  softmaxShortSource,
  softmaxSource,
} from './kernels/nn.ts';
import { SGD_PAIRS, adamSource, momentumSource, sgdSource } from './kernels/optim.ts';

export { WebGpuError, WebGpuUnavailableError } from './device.ts';

/** What a webgpu tensor's `storage` holds. */
export class GpuStorage {
  /** Live Tensor objects over this storage (a tensor and its reshapes). */
  refs = 1;
  /** Given back by `release`: every view of it is dead. */
  released = false;
  constructor(
    readonly buffer: GPUBuffer,
    /** The op that made it, for messages. */
    readonly op: string,
    /** For int32 tensors made from host values: those values (indices and labels are read on the host). */
    readonly host: Int32Array | null,
  ) {}
}

export interface WebGpuOptions {
  /** Each op in its own error scope and submitted at once: errors name exactly their op (slower). Default: env WENGERT_WEBGPU_DEBUG=1. */
  debug?: boolean;
}

const shapes = (...xs: readonly (Operand | Int32Array)[]): string =>
  xs.map((x) => (typeof x === 'number' ? String(x) : x instanceof Tensor ? fmt(x.shape) : `int32[${x.length}]`)).join(', ');

/** The first pass of a sum with a fused prologue: the kernel and how its operands are read over the input's shape. */
interface FusedInput {
  kernel: FusedKernel;
  layout: OperandLayout;
}

/** How a kernel's operands are read when broadcast to its output shape (their kinds, bindings, strides or scalar values). */
interface OperandLayout {
  kinds: EwOperand[];
  bindings: Binding[];
  scalars: number[];
  shape: readonly number[];
  strides: (number[] | null)[];
}

interface IndexEntry {
  copy: Int32Array;
  buffer: GPUBuffer;
  csr: { buffer: GPUBuffer; touched: number; rows: number } | null;
}

const INDEX_CACHE = 16;
/** Batches up to this many rows (of at most SHORT_ROW classes) get their mean cross-entropy from one workgroup. */
const SHORT_BATCH = 16384;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  private readonly registry: FinalizationRegistry<GpuStorage>;
  private readonly indexCache = new Map<Int32Array, IndexEntry>();

  constructor(
    readonly gpu: Runner,
    /** The adapter, in words. */
    readonly description: string,
  ) {
    this.registry = new FinalizationRegistry((s) => this.drop(s));
    gpu.beforeOp = () => this.flushSgd();
  }

  // ---- storage ---------------------------------------------------------

  private make(buffer: GPUBuffer, shape: Shape, dtype: DType, op: string, host: Int32Array | null = null): Tensor {
    return this.wrap(new GpuStorage(buffer, op, host), shape, dtype);
  }

  private wrap(s: GpuStorage, shape: Shape, dtype: DType): Tensor {
    const t = new Tensor(this, s, shape, dtype);
    this.registry.register(t, s, t);
    return t;
  }

  /** A Tensor object over `s` was collected. */
  private drop(s: GpuStorage): void {
    if (--s.refs === 0 && !s.released) {
      s.released = true;
      this.gpu.free(s.buffer);
    }
  }

  /** A new tensor's buffer. */
  private alloc(shape: Shape, dtype: DType, op: string): Tensor {
    wgslType(dtype);
    return this.make(this.gpu.alloc(Math.max(4, shapeSize(shape) * 4)), shape, dtype, op);
  }

  private storageOf(t: Tensor): GpuStorage {
    if (t.backend !== this) throw new WebGpuError(`webgpu: a tensor of the ${t.backend.name} backend (${t.dtype} ${fmt(t.shape)}) was passed to ${this.gpu.op}`);
    const s = t.storage as GpuStorage;
    if (s.released) {
      throw new WebGpuError(`webgpu: ${this.gpu.op} read a tensor (${t.dtype} ${fmt(t.shape)}, made by ${s.op}) after it was released`);
    }
    return s;
  }

  private bind(t: Tensor): Binding {
    return { buffer: this.storageOf(t).buffer, size: Math.max(4, t.size * 4) };
  }

  fromValues(values: TypedArray, shape: Shape): Tensor {
    return this.gpu.run('fromValues', () => {
      const dtype: DType = values instanceof Int32Array ? 'int32' : values instanceof Float32Array ? 'float32' : 'float64';
      if (dtype === 'float64') {
        throw new WebGpuError(`webgpu: float64 values (shape ${fmt(shape)}) cannot live on the GPU (WGSL has no f64); make them float32 (Float32Array or dtype 'float32')`);
      }
      const buffer = this.gpu.upload(values);
      return this.make(buffer, shape, dtype, 'fromValues', values instanceof Int32Array ? values : null);
    });
  }

  fill(shape: Shape, value: number, dtype: DType): Tensor {
    return this.gpu.run(
      () => `fill(${fmt(shape)}, ${value}, ${dtype})`,
      () => {
        if (value === 0) {
          const out = this.alloc(shape, dtype, 'fill');
          this.gpu.clear(this.bind(out).buffer, out.size * 4);
          return out;
        }
        return this.ew('fill', (v) => v[0]!, [value], shape, dtype);
      },
    );
  }

  readSync(t: Tensor): TypedArray {
    const s = t.storage as GpuStorage;
    if (s.host) return s.host;
    throw new WebGpuError(
      `dataSync() on the webgpu backend: the ${t.dtype} tensor of shape ${fmt(t.shape)} (made by ${s.op}) lives in GPU memory, ` +
        'which is read asynchronously: use `await t.data()` (an op that reads values on the host, e.g. a reduction to a number, ' +
        'cannot run on webgpu)',
    );
  }

  async read(t: Tensor): Promise<TypedArray> {
    const s = this.gpu.run('read', () => this.storageOf(t));
    if (s.host) return s.host;
    const bytes = await this.gpu.read(s.buffer, t.size * 4);
    return t.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    const s = this.storageOf(x);
    s.refs++;
    return this.wrap(s, shape, x.dtype);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    return this.gpu.run(
      () => `cast(${fmt(x.shape)} ${x.dtype} -> ${dtype})`,
      () => this.ew('cast', (v) => v[0]!, [x], x.shape, dtype),
    );
  }

  release(t: Tensor): void {
    const s = t.storage as GpuStorage;
    if (t.backend !== this || s.released) return;
    s.released = true;
    this.gpu.free(s.buffer);
  }

  // ---- elementwise -----------------------------------------------------

  /** One elementwise launch: `expr(vars, param)` over `operands` broadcast to `outShape`. */
  private ew(
    key: string,
    expr: (vars: string[], param: string) => string,
    operands: readonly Operand[],
    outShape: Shape,
    outDtype: DType,
    param = 0,
    extra = '',
  ): Tensor {
    const n = shapeSize(outShape);
    const out = this.alloc(outShape, outDtype, key);
    if (n === 0) return out;
    const { kinds, bindings, scalars, shape, strides } = this.operandLayout(operands, outShape);
    const outType = wgslType(outDtype);
    const pkey = `ew|${key}|${kinds.map((o) => o.mode + o.type).join(',')}|${outType}`;
    const pipeline = this.gpu.pipeline(pkey, () => elementwiseSource(kinds, outType, expr, extra));
    this.gpu.dispatch(pipeline, [this.bind(out), ...bindings], ewParams(n, shape, strides, scalars, param), groups1d(n));
    return out;
  }

  /** How each operand is read when broadcast to `outShape` (its kind, binding, strides or scalar value). */
  private operandLayout(operands: readonly Operand[], outShape: Shape): OperandLayout {
    const n = shapeSize(outShape);
    const kinds: EwOperand[] = [];
    const bindings: Binding[] = [];
    const scalars: number[] = [];
    const stridedAt: number[] = [];
    const stridedArrays: number[][] = [];
    operands.forEach((x, k) => {
      if (typeof x === 'number') {
        kinds.push({ mode: 'scalar', type: 'f32' });
        scalars[k] = x;
        return;
      }
      const type = wgslType(x.dtype);
      bindings.push(this.bind(x));
      if (x.size === n) kinds.push({ mode: 'full', type });
      else if (x.size === 1) kinds.push({ mode: 'one', type });
      else {
        kinds.push({ mode: 'strided', type });
        stridedAt.push(k);
        stridedArrays.push(broadcastStrides(x.shape, outShape));
      }
    });
    let shape: readonly number[] = [];
    const strides: (number[] | null)[] = operands.map(() => null);
    if (stridedAt.length > 0) {
      const m = mergeDims(outShape, [stridesOf(outShape), ...stridedArrays]);
      shape = m.shape;
      stridedAt.forEach((k, j) => (strides[k] = m.strides[j + 1]!));
    }
    return { kinds, bindings, scalars, shape, strides };
  }

  unary(op: UnaryOp, x: Tensor, param: number): Tensor {
    return this.gpu.run(
      () => `${op}(${shapes(x)})`,
      () => this.ew(`u.${op}`, (v, p) => unaryOps[op].wgsl(v[0]!, p), [x], x.shape, resultDtype(unaryOps[op], x.dtype), param),
    );
  }

  unaryGrad(op: UnaryGradOp, g: Tensor, v: Tensor, param: number): Tensor {
    return this.gpu.run(
      () => `${op}Grad(${shapes(g, v)})`,
      () => this.ew(`ug.${op}`, (x, p) => unaryGradOps[op].wgsl(x[0]!, x[1]!, p), [g, v], g.shape, resultDtype(unaryGradOps[op], g.dtype), param),
    );
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor {
    return this.gpu.run(
      () => `${op}(${shapes(a, b)})`,
      () => this.ew(`b.${op}`, (v) => binaryOps[op].wgsl(v[0]!, v[1]!), [a, b], outShape, outDtype),
    );
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: Shape, outDtype: DType): Tensor {
    return this.gpu.run(
      () => `where(${shapes(cond, a, b)})`,
      () => this.ew('where', (v) => whereOp.wgsl(v[0]!, v[1]!, v[2]!), [cond, a, b], outShape, outDtype),
    );
  }

  fused(kernel: FusedKernel, operands: readonly Operand[], outShape: Shape, outDtype: DType): Tensor {
    return this.gpu.run(
      () => `${kernel.name}(${shapes(...operands)})`,
      () => {
        if (operands.length !== kernel.arity) {
          throw new WebGpuError(`webgpu: fused kernel ${kernel.name} takes ${kernel.arity} operands, got ${operands.length}`);
        }
        return this.fusedRaw(kernel, operands, outShape, outDtype);
      },
    );
  }

  private fusedRaw(kernel: FusedKernel, operands: readonly Operand[], outShape: Shape, outDtype: DType): Tensor {
    return this.ew(`f.${kernel.name}:${kernel.wgsl}`, (v) => `body(${v.join(', ')})`, operands, outShape, outDtype, 0, kernel.wgsl);
  }

  broadcastTo(x: Tensor, shape: Shape): Tensor {
    return this.gpu.run(
      () => `broadcastTo(${shapes(x)} -> ${fmt(shape)})`,
      () => this.copyInto(this.alloc(shape, x.dtype, 'broadcastTo'), x, shape, broadcastStrides(x.shape, shape), stridesOf(shape), 0, 0),
    );
  }

  /** Strided copy of `src` into `dst` over the virtual `shape`; returns dst. */
  private copyInto(dst: Tensor, src: Tensor, shape: Shape, srcStrides: readonly number[], dstStrides: readonly number[], srcBase: number, dstBase: number): Tensor {
    const { n, params } = copyParams(shape, srcStrides, dstStrides, srcBase, dstBase);
    if (n === 0) return dst;
    const t = wgslType(dst.dtype);
    const pipeline = this.gpu.pipeline(`copy|${t}`, () => copySource(t));
    this.gpu.dispatch(pipeline, [this.bind(dst), this.bind(src)], params, groups1d(n));
    return dst;
  }

  // ---- reductions ------------------------------------------------------

  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    return this.gpu.run(
      () => `${op}(${shapes(x)}, axes [${axes.join(',')}])`,
      () => {
        const outShape = reducedShape(x.shape, axes, keepdims);
        const { src, outer, r, inner, temp } = this.reduceView(x, axes);
        const out = this.reduceRows(op, src, outer, r, inner, 1, outShape);
        if (temp) this.release(src);
        return out;
      },
    );
  }

  sumFused(kernel: FusedKernel, operands: readonly Operand[], shape: Shape, dtype: DType, axes: readonly number[], keepdims: boolean, count: number): Tensor {
    return this.gpu.run(
      () => `sum(${kernel.name}(${shapes(...operands)}), axes [${axes.join(',')}])`,
      () => {
        if (operands.length !== kernel.arity) {
          throw new WebGpuError(`webgpu: fused kernel ${kernel.name} takes ${kernel.arity} operands, got ${operands.length}`);
        }
        const outShape = reducedShape(shape, axes, keepdims);
        const contiguous = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
        if (!contiguous || dtype !== 'float32') {
          // The prologue reads along contiguous axes of a float32 input; otherwise the kernel's values are stored first.
          const x = this.fusedRaw(kernel, operands, shape, dtype);
          const { src, outer, r, inner, temp } = this.reduceView(x, axes);
          const out = this.reduceRows('sum', src, outer, r, inner, 1 / count, outShape);
          if (temp) this.release(src);
          this.release(x);
          return out;
        }
        const { outer, r, inner } = middleDims(shape, axes[0] ?? 0, axes.length === 0 ? -1 : axes[axes.length - 1]!);
        return this.reduceRows('sum', { kernel, layout: this.operandLayout(operands, shape) }, outer, r, inner, 1 / count, outShape);
      },
    );
  }

  /** x as [outer, r, inner] with `axes` in the middle (transposed when they are not contiguous). */
  private reduceView(x: Tensor, axes: readonly number[]): { src: Tensor; outer: number; r: number; inner: number; temp: boolean } {
    const contiguous = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
    let src = x;
    let first = axes[0] ?? 0;
    let last = axes.length === 0 ? -1 : axes[axes.length - 1]!;
    if (!contiguous) {
      const kept = [...x.shape.keys()].filter((d) => !axes.includes(d));
      src = this.transpose(x, [...kept, ...axes]);
      first = kept.length;
      last = x.rank - 1;
    }
    return { src, ...middleDims(src.shape, first, last), temp: !contiguous };
  }

  /** Reduces the middle of `src` viewed as [outer, r, inner], in as many passes as it takes; sums are scaled by `scale`. */
  /**
   * Reduces the middle of `src` viewed as [outer, r, inner], in as many
   * passes as it takes; sums are scaled by `scale`. A fused `src` (a sum's
   * prologue) is computed by the first pass as it reads.
   */
  private reduceRows(op: ReduceOp, src: Tensor | FusedInput, outer: number, r: number, inner: number, scale: number, outShape: Shape): Tensor {
    const dtype: DType = src instanceof Tensor ? src.dtype : 'float32';
    const t = wgslType(dtype);
    /** The pipeline, bindings and parameter words of a pass reading `x` (the prologue's operands for a fused src). */
    const pass = (x: Tensor | FusedInput, key: string, source: (p: ReducePrologue | null) => string, words: Params, count: number) => {
      if (x instanceof Tensor) return { pipeline: this.gpu.pipeline(key, () => source(null)), bindings: [this.bind(x)], params: words.build() };
      const { kinds, bindings, scalars, shape, strides } = x.layout;
      const params = new Uint32Array(Math.ceil((count + operandWords(kinds.length)) / 4) * 4);
      params.set(words.build().subarray(0, count));
      writeOperandBlock(params, count, shape, strides, scalars);
      const pkey = `${key}|${x.kernel.name}:${x.kernel.wgsl}|${kinds.map((o) => o.mode + o.type).join(',')}`;
      return { pipeline: this.gpu.pipeline(pkey, () => source({ operands: kinds, wgsl: x.kernel.wgsl })), bindings, params };
    };
    if (r <= SHORT_ROW) {
      const out = this.alloc(outShape, dtype, op);
      const p = pass(src, `reduce-short|${op}|${t}`, (pro) => reduceShortSource(op, t, pro), new Params().u(outer, r, inner).f(scale), REDUCE_SHORT_WORDS);
      if (outer * inner > 0) this.gpu.dispatch(p.pipeline, [this.bind(out), ...p.bindings], p.params, groups1d(outer * inner));
      return out;
    }
    let input = src;
    for (;;) {
      const layout = reduceLayout(inner);
      const chunks = Math.max(1, Math.ceil(r / layout.chunkLen));
      const colBlocks = Math.ceil(inner / layout.wx);
      const last = chunks === 1;
      const out = this.alloc(last ? outShape : [outer, chunks, inner], dtype, op);
      const words = new Params().u(outer, r, inner, layout.chunkLen, chunks, colBlocks).f(last ? scale : 1);
      const p = pass(input, `reduce|${op}|${t}|${layout.wx}`, (pro) => reduceSource(op, t, layout, pro), words, REDUCE_WORDS);
      if (outer * inner > 0) this.gpu.dispatch(p.pipeline, [this.bind(out), ...p.bindings], p.params, groups1d(colBlocks * chunks * outer, 1));
      if (input !== src && input instanceof Tensor) this.release(input);
      if (last) return out;
      input = out;
      r = chunks;
    }
  }

  argmax(x: Tensor, axis: number): Tensor {
    return this.gpu.run(
      () => `argmax(${shapes(x)}, axis ${axis})`,
      () => {
        const outer = shapeSize(x.shape.slice(0, axis));
        const r = x.shape[axis]!;
        const inner = shapeSize(x.shape.slice(axis + 1));
        const out = this.alloc(
          x.shape.filter((_, d) => d !== axis),
          'int32',
          'argmax',
        );
        const t = wgslType(x.dtype);
        const short = r <= SHORT_ROW;
        const pipeline = this.gpu.pipeline(`argmax|${t}|${short}`, () => (short ? argmaxShortSource(t) : argmaxSource(t)));
        this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x)], new Params().u(outer, r, inner).build(), groups1d(outer * inner, short ? 256 : 1));
        return out;
      },
    );
  }

  // ---- linear algebra and layout --------------------------------------

  matmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape): Tensor {
    return this.gpu.run(
      () => `matmul(${shapes(a, b)}${transposeA ? ', transposeA' : ''}${transposeB ? ', transposeB' : ''})`,
      () => this.matmulWith(a, b, transposeA, transposeB, batchShape, null, []),
    );
  }

  matmulEpilogue(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape, kernel: FusedKernel, operands: readonly Operand[]): Tensor {
    return this.gpu.run(
      () => `matmul(${shapes(a, b)}${transposeA ? ', transposeA' : ''}${transposeB ? ', transposeB' : ''}) then ${kernel.name}(${shapes(...operands)})`,
      () => {
        if (operands.length + 1 !== kernel.arity) {
          throw new WebGpuError(`webgpu: the epilogue ${kernel.name} takes ${kernel.arity} operands (the product first), got the product and ${operands.length}`);
        }
        return this.matmulWith(a, b, transposeA, transposeB, batchShape, kernel, operands);
      },
    );
  }

  /** The product, with `kernel` applied to each element (the product first, then `operands` broadcast) when given. */
  private matmulWith(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape, kernel: FusedKernel | null, operands: readonly Operand[]): Tensor {
    const af = a.dtype === 'float32' ? a : this.cast(a, 'float32');
    const bf = b.dtype === 'float32' ? b : this.cast(b, 'float32');
    const ra = a.rank;
    const rb = b.rank;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const batch = shapeSize(batchShape);
    const outShape = [...batchShape, m, n];
    const out = this.alloc(outShape, 'float32', kernel ? kernel.name : 'matmul');
    if (batch * m * n > 0) {
      const aCols = a.shape[ra - 1]!;
      const bCols = b.shape[rb - 1]!;
      // Batch dimensions: drop size-1 ones and merge contiguous neighbours.
      const merged = mergeDims(batchShape, [broadcastStrides(a.shape.slice(0, ra - 2), batchShape), broadcastStrides(b.shape.slice(0, rb - 2), batchShape)]);
      if (merged.shape.length > MATMUL_MAX_BATCH_RANK) throw new WebGpuError(`webgpu: matmul supports at most ${MATMUL_MAX_BATCH_RANK} batch dimensions, got ${fmt(batchShape)}`);
      const [ars, acs, brs, bcs] = [transposeA ? 1 : aCols, transposeA ? aCols : 1, transposeB ? 1 : bCols, transposeB ? bCols : 1];
      const [aMat, bMat] = [a.shape[ra - 2]! * aCols, b.shape[rb - 2]! * bCols];
      const layout = matmulLayout(m, n, k, ars, acs, brs, bcs, aMat, bMat);
      const lkey = `${layout.a},${layout.b}`;
      const words = new Params()
        .u(m, n, k, ars, acs, brs, bcs)
        .u(aMat, bMat, merged.shape.length)
        .list(merged.shape, MATMUL_MAX_BATCH_RANK)
        .list(merged.strides[0]!, MATMUL_MAX_BATCH_RANK)
        .list(merged.strides[1]!, MATMUL_MAX_BATCH_RANK)
        .build();
      const bindings: Binding[] = [this.bind(out), this.bind(af), this.bind(bf)];
      let params = words;
      let pipeline: GPUComputePipeline;
      if (kernel) {
        const ops = this.operandLayout(operands, outShape);
        bindings.push(...ops.bindings);
        params = new Uint32Array(Math.ceil((MATMUL_WORDS + operandWords(operands.length)) / 4) * 4);
        params.set(words.subarray(0, MATMUL_WORDS));
        writeOperandBlock(params, MATMUL_WORDS, ops.shape, ops.strides, ops.scalars);
        const key = `matmul|${lkey}|${kernel.name}:${kernel.wgsl}|${ops.kinds.map((o) => o.mode + o.type).join(',')}`;
        pipeline = this.gpu.pipeline(key, () => matmulSource({ operands: ops.kinds, wgsl: kernel.wgsl }, layout));
      } else {
        pipeline = this.gpu.pipeline(`matmul|${lkey}`, () => matmulSource(null, layout));
      }
      this.gpu.dispatch(pipeline, bindings, params, [Math.ceil(n / MATMUL_TILE), Math.ceil(m / MATMUL_TILE), batch]);
    }
    if (af !== a) this.release(af);
    if (bf !== b) this.release(bf);
    return out;
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    return this.gpu.run(
      () => `transpose(${shapes(x)}, [${perm.join(',')}])`,
      () => {
        const shape = perm.map((p) => x.shape[p]!);
        const xs = stridesOf(x.shape);
        return this.copyInto(this.alloc(shape, x.dtype, 'transpose'), x, shape, perm.map((p) => xs[p]!), stridesOf(shape), 0, 0);
      },
    );
  }

  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    return this.gpu.run(
      () => `slice(${shapes(x)}, begin [${begin.join(',')}], size [${size.join(',')}])`,
      () => {
        const xs = stridesOf(x.shape);
        const base = begin.reduce((s, b, d) => s + b * xs[d]!, 0);
        return this.copyInto(this.alloc(size, x.dtype, 'slice'), x, size, xs, stridesOf(size), base, 0);
      },
    );
  }

  sliceAdjoint(g: Tensor, shape: Shape, begin: readonly number[]): Tensor {
    return this.gpu.run(
      () => `sliceAdjoint(${shapes(g)} into ${fmt(shape)} at [${begin.join(',')}])`,
      () => {
        const out = this.alloc(shape, g.dtype, 'sliceAdjoint');
        this.gpu.clear(this.bind(out).buffer, out.size * 4);
        const os = stridesOf(shape);
        const base = begin.reduce((s, b, d) => s + b * os[d]!, 0);
        return this.copyInto(out, g, g.shape, stridesOf(g.shape), os, 0, base);
      },
    );
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    return this.gpu.run(
      () => `concat(${shapes(...xs)}, axis ${axis})`,
      () => {
        const shape = xs[0]!.shape.slice();
        shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
        const dtype = xs[0]!.dtype;
        const out = this.alloc(shape, dtype, 'concat');
        const os = stridesOf(shape);
        let at = 0;
        for (const x of xs) {
          const src = x.dtype === dtype ? x : this.cast(x, dtype);
          this.copyInto(out, src, x.shape, stridesOf(x.shape), os, 0, at * os[axis]!);
          if (src !== x) this.release(src);
          at += x.shape[axis]!;
        }
        return out;
      },
    );
  }

  /** `idx` in a GPU buffer, cached by array identity and contents (a batch's labels are uploaded once per step). */
  private indexEntry(idx: Int32Array): IndexEntry {
    const hit = this.indexCache.get(idx);
    if (hit && hit.copy.length === idx.length && hit.copy.every((v, i) => v === idx[i])) {
      this.indexCache.delete(idx);
      this.indexCache.set(idx, hit);
      return hit;
    }
    if (hit) this.dropIndex(idx, hit);
    if (this.indexCache.size >= INDEX_CACHE) {
      const [oldKey, old] = this.indexCache.entries().next().value as [Int32Array, IndexEntry];
      this.dropIndex(oldKey, old);
    }
    const entry: IndexEntry = { copy: idx.slice(), buffer: this.gpu.upload(idx), csr: null };
    this.indexCache.set(idx, entry);
    return entry;
  }

  private dropIndex(key: Int32Array, e: IndexEntry): void {
    this.indexCache.delete(key);
    this.gpu.free(e.buffer);
    if (e.csr) this.gpu.free(e.csr.buffer);
  }

  gather(x: Tensor, indices: Int32Array, indexShape: Shape): Tensor {
    return this.gpu.run(
      () => `gather(${shapes(x, indices)})`,
      () => {
        const row = shapeSize(x.shape.slice(1));
        const out = this.alloc([...indexShape, ...x.shape.slice(1)], x.dtype, 'gather');
        const n = indices.length * row;
        if (n === 0) return out;
        const e = this.indexEntry(indices);
        const t = wgslType(x.dtype);
        const pipeline = this.gpu.pipeline(`gather|${t}`, () => gatherSource(t));
        this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x), { buffer: e.buffer, size: indices.length * 4 }], new Params().u(n, row).build(), groups1d(n));
        return out;
      },
    );
  }

  scatterAdd(target: Tensor, indices: Int32Array, updates: Tensor): Tensor {
    return this.gpu.run(
      () => `scatterAdd(${shapes(target, indices, updates)})`,
      () => {
        const row = shapeSize(target.shape.slice(1));
        const dtype = target.dtype;
        const out = this.alloc(target.shape, dtype, 'scatterAdd');
        this.gpu.copy(this.bind(target).buffer, this.bind(out).buffer, target.size * 4);
        if (indices.length === 0 || row === 0) return out;
        const upd = updates.dtype === dtype ? updates : this.cast(updates, dtype);
        const e = this.indexEntry(indices);
        e.csr ??= this.uploadCsr(indices, target.shape[0]!);
        const t = wgslType(dtype);
        const pipeline = this.gpu.pipeline(`scatterAdd|${t}`, () => scatterAddSource(t));
        this.gpu.dispatch(
          pipeline,
          [this.bind(out), this.bind(upd), { buffer: e.csr.buffer, size: (2 * e.csr.touched + 1 + indices.length) * 4 }],
          new Params().u(e.csr.touched, row).build(),
          groups1d(e.csr.touched * row),
        );
        if (upd !== updates) this.release(upd);
        return out;
      },
    );
  }

  /** Groups index positions by target row (counting sort): [touched rows, starts, positions]. */
  private uploadCsr(indices: Int32Array, rows: number): { buffer: GPUBuffer; touched: number; rows: number } {
    const count = new Int32Array(rows);
    for (const i of indices) count[i]!++;
    const slot = new Int32Array(rows).fill(-1);
    let touched = 0;
    for (let r = 0; r < rows; r++) if (count[r]! > 0) slot[r] = touched++;
    const csr = new Int32Array(2 * touched + 1 + indices.length);
    let at = 0;
    for (let r = 0; r < rows; r++) {
      const s = slot[r]!;
      if (s < 0) continue;
      csr[s] = r;
      csr[touched + s] = at;
      at += count[r]!;
    }
    csr[2 * touched] = at;
    const fillAt = new Int32Array(touched);
    for (let j = 0; j < indices.length; j++) {
      const s = slot[indices[j]!]!;
      csr[2 * touched + 1 + csr[touched + s]! + fillAt[s]!++] = j;
    }
    return { buffer: this.gpu.upload(csr), touched, rows };
  }

  // ---- nn ----------------------------------------------------------------

  softmax(x: Tensor, axis: number, log: boolean): Tensor {
    return this.gpu.run(
      () => `${log ? 'logSoftmax' : 'softmax'}(${shapes(x)}, axis ${axis})`,
      () => {
        const outer = shapeSize(x.shape.slice(0, axis));
        const r = x.shape[axis]!;
        const inner = shapeSize(x.shape.slice(axis + 1));
        const out = this.alloc(x.shape, 'float32', 'softmax');
        const t = wgslType(x.dtype);
        const short = r <= SHORT_ROW;
        const pipeline = this.gpu.pipeline(`softmax|${t}|${short}`, () => (short ? softmaxShortSource(t) : softmaxSource(t)));
        if (x.size > 0) {
          this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x)], new Params().u(outer, r, inner, log ? 1 : 0).build(), groups1d(outer * inner, short ? 256 : 1));
        }
        return out;
      },
    );
  }

  softmaxCrossEntropy(logits: Tensor, _labels: Int32Array): number {
    throw new WebGpuError(
      `softmaxCrossEntropy(${fmt(logits.shape)}) returns a number, which on webgpu would read GPU memory back every step; ` +
        'keep the loss on the device as a 0-d tensor (softmaxCrossEntropyLoss) and read it with `await loss.data()`',
    );
  }

  /** mean over rows of -log softmax(logits)[label], as a 0-d tensor on the device (two dispatches, no readback). */
  softmaxCrossEntropyMean(logits: Tensor, labels: Int32Array): Tensor {
    return this.gpu.run(
      () => `softmaxCrossEntropy(${shapes(logits, labels)})`,
      () => {
        const [n, c] = logits.shape as [number, number];
        const x = logits.dtype === 'float32' ? logits : this.cast(logits, 'float32');
        const e = this.indexEntry(labels);
        if (c <= SHORT_ROW && n <= SHORT_BATCH) {
          // Short rows, a batch one workgroup covers: one dispatch.
          const out = this.alloc([], 'float32', 'softmaxCrossEntropy');
          const pipeline = this.gpu.pipeline('sce-mean-short', crossEntropyMeanShortSource);
          this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x), { buffer: e.buffer, size: n * 4 }], new Params().u(n, c).f(1 / n).build(), [1, 1, 1]);
          if (x !== logits) this.release(x);
          return out;
        }
        const rows = this.alloc([n], 'float32', 'softmaxCrossEntropy');
        const short = c <= SHORT_ROW;
        const pipeline = this.gpu.pipeline(`sce-rows|${short}`, short ? crossEntropyRowsShortSource : crossEntropyRowsSource);
        this.gpu.dispatch(pipeline, [this.bind(rows), this.bind(x), { buffer: e.buffer, size: n * 4 }], new Params().u(n, c).build(), groups1d(n, short ? 256 : 1));
        const out = this.reduceRows('sum', rows, 1, n, 1, 1 / n, []);
        this.release(rows);
        if (x !== logits) this.release(x);
        return out;
      },
    );
  }

  softmaxCrossEntropyGrad(logits: Tensor, labels: Int32Array, scale: number): Tensor {
    return this.gpu.run(
      () => `softmaxCrossEntropyGrad(${shapes(logits, labels)})`,
      () => {
        const [n, c] = logits.shape as [number, number];
        const x = logits.dtype === 'float32' ? logits : this.cast(logits, 'float32');
        const out = this.alloc(logits.shape, 'float32', 'softmaxCrossEntropyGrad');
        const e = this.indexEntry(labels);
        const short = c <= SHORT_ROW;
        const pipeline = this.gpu.pipeline(`sce-grad|${short}`, short ? crossEntropyGradShortSource : crossEntropyGradSource);
        this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x), { buffer: e.buffer, size: n * 4 }], new Params().u(n, c).f(scale).build(), groups1d(n, short ? 256 : 1));
        if (x !== logits) this.release(x);
        return out;
      },
    );
  }

  dropout(x: Tensor, rate: number, seed: number): Tensor {
    return this.gpu.run(
      () => `dropout(${shapes(x)}, rate ${rate})`,
      () => {
        const out = this.alloc(x.shape, 'float32', 'dropout');
        if (x.size === 0) return out;
        const threshold = Math.ceil(rate * 4294967296);
        const t = wgslType(x.dtype);
        const params = new Params()
          .u(x.size, mix32((seed ^ 0x5bd1e995) >>> 0), threshold >= 4294967296 ? 0 : threshold, threshold >= 4294967296 ? 1 : 0)
          .f(1 / (1 - rate))
          .build();
        const pipeline = this.gpu.pipeline(`dropout|${t}`, () => dropoutSource(t));
        // The seed changes from step to step: a slot per size, rewritten, not a cache entry per seed.
        this.gpu.dispatch(pipeline, [this.bind(out), this.bind(x)], params, groups1d(x.size), `dropout|${x.size}`);
        return out;
      },
    );
  }

  /** Random values are drawn on the host with the CPU's generator (the same values for the same seed) and uploaded once. */
  random(kind: 'uniform' | 'normal', shape: Shape, a: number, b: number, seed: number, dtype: DType): Tensor {
    wgslType(dtype);
    const out = typedArrayFor(dtype, shapeSize(shape));
    const rng = new Rng(seed);
    if (kind === 'uniform') for (let i = 0; i < out.length; i++) out[i] = a + (b - a) * rng.uniform();
    else for (let i = 0; i < out.length; i++) out[i] = a + b * rng.normal();
    return this.gpu.run('random', () => this.make(this.gpu.upload(out), shape, dtype, `random ${kind}`));
  }

  // ---- optimizers (in place) -------------------------------------------

  /**
   * SGD updates are collected and run SGD_PAIRS parameters per dispatch
   * (an optimizer step calls sgdInPlace once per parameter). Pending
   * updates are recorded before anything else runs (Runner.beforeOp), so
   * the order of effects is unchanged.
   */
  sgdInPlace(p: Tensor, g: Tensor, lr: number, weightDecay: number): void {
    // Not an op of its own (that would record the pending updates first): checks now, records later.
    this.gpu.throwPending();
    this.storageOf(p);
    this.storageOf(g);
    const q = this.pendingSgd;
    const clash = q.some((u) => u.p.storage === p.storage || u.p.storage === g.storage || u.g.storage === p.storage);
    if (q.length > 0 && (clash || q[0]!.lr !== lr || q[0]!.wd !== weightDecay)) this.flushSgd();
    if (p.size > 0) this.pendingSgd.push({ p, g, lr, wd: weightDecay });
    if (this.pendingSgd.length === SGD_PAIRS) this.flushSgd();
  }

  private pendingSgd: { p: Tensor; g: Tensor; lr: number; wd: number }[] = [];

  /** Records the pending SGD updates as one dispatch. */
  private flushSgd(): void {
    const q = this.pendingSgd;
    if (q.length === 0) return;
    this.pendingSgd = [];
    this.gpu.run(
      () => `sgd(${q.map((u) => shapes(u.p, u.g)).join('; ')})`,
      () => {
        const pipeline = this.gpu.pipeline(`sgd|${q.length}`, () => sgdSource(q.length));
        // Raw bindings: a gradient may be released already (its buffer is not reused before this records).
        const raw = (t: Tensor): Binding => ({ buffer: (t.storage as GpuStorage).buffer, size: Math.max(4, t.size * 4) });
        const bindings = q.flatMap((u) => [raw(u.p), raw(u.g)]);
        const total = q.reduce((n, u) => n + u.p.size, 0);
        this.gpu.dispatch(pipeline, bindings, new Params().f(q[0]!.lr, q[0]!.wd).build(), groups1d(total), 'sgd');
      },
    );
  }

  momentumInPlace(p: Tensor, g: Tensor, v: Tensor, lr: number, mu: number, nesterov: boolean): void {
    this.gpu.run(
      () => `momentum(${shapes(p, g, v)})`,
      () => {
        const pipeline = this.gpu.pipeline('momentum', momentumSource);
        this.gpu.dispatch(pipeline, [this.bind(p), this.bind(g), this.bind(v)], new Params().f(lr, mu).u(nesterov ? 1 : 0).build(), groups1d(p.size), 'momentum');
      },
    );
  }

  adamInPlace(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: number, b1: number, b2: number, eps: number, t: number): void {
    this.gpu.run(
      () => `adam(${shapes(p, g, m, v)})`,
      () => {
        const pipeline = this.gpu.pipeline('adam', adamSource);
        const params = new Params().f(lr, b1, b2, eps, 1 / (1 - Math.pow(b1, t)), 1 / (1 - Math.pow(b2, t))).build();
        this.gpu.dispatch(pipeline, [this.bind(p), this.bind(g), this.bind(m), this.bind(v)], params, groups1d(p.size), 'adam');
      },
    );
  }

  // ---- beyond the Backend interface --------------------------------------

  /** Waits until the device has run everything submitted; throws the first device error. */
  sync(): Promise<void> {
    return this.gpu.sync();
  }

  /** Bytes in tensor buffers (held by live tensors, and pooled for reuse) and buffers created so far. */
  memory(): { inUseBytes: number; pooledBytes: number; buffersCreated: number } {
    return this.gpu.memory();
  }
}

let instance: Promise<WebGpuBackend> | null = null;

/** The webgpu backend of this process (one device, made on first use). */
export function webgpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  instance ??= (async () => {
    const { device, description } = await acquireDevice();
    const env = typeof process !== 'undefined' ? process.env : {};
    const debug = options.debug ?? env.WENGERT_WEBGPU_DEBUG === '1';
    return new WebGpuBackend(new Runner(device, debug), description);
  })();
  instance.catch(() => (instance = null));
  return instance;
}
