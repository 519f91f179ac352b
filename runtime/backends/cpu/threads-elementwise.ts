/**
 * Large elementwise kernels over the worker pool (threads.ts): the element
 * range is split between the calling thread and the workers, each running
 * the one-thread kernel of elementwise.ts on its part, so every element is
 * computed exactly as on one thread.
 *
 * Only kernels of at least ELEMENTWISE_MIN elements whose operands and
 * output are already in shared memory are split: copying an operand in
 * costs about as much as a cheap op on it. Large results of the CPU backend
 * are allocated in shared memory while threads are on (`cpuArrayFor`), so
 * chains of large ops stay shared.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backend.ts';
import { typedArrayFor, type DType, type TypedArray } from '../../tensor.ts';
import { binaryRow, unaryGradKernel, unaryKernel } from './elementwise.ts';
import { cpuThreads, runChunks, viewOf, WorkerFailure, type Job, type SharedView } from './threads.ts';

/** Elementwise kernels with fewer elements stay on the calling thread. */
export const ELEMENTWISE_MIN = 1 << 18;
/**
 * Results at least this long are allocated in shared memory while threads
 * are on: as long as the kernels that split, since a shorter result can
 * only feed kernels that do not (float32 products are packed into the SIMD
 * module's shared memory whatever their operands; other products copy
 * theirs in). A SharedArrayBuffer costs more to allocate than an ArrayBuffer.
 */
export const SHARED_MIN = ELEMENTWISE_MIN;

/**
 * The storage of a new CPU tensor: in a SharedArrayBuffer when it is large
 * and threads are on (so workers can read and write it without a copy),
 * otherwise an ordinary typed array.
 */
export function cpuArrayFor(dtype: DType, size: number): TypedArray {
  if (size < SHARED_MIN || cpuThreads() <= 1) return typedArrayFor(dtype, size);
  const bytes = dtype === 'float64' ? 8 : 4;
  const buffer = new SharedArrayBuffer(size * bytes);
  if (dtype === 'float32') return new Float32Array(buffer);
  if (dtype === 'float64') return new Float64Array(buffer);
  return new Int32Array(buffer);
}

export interface ElementwiseJob extends Job {
  kind: 'elementwise';
  form: 'unary' | 'unaryGrad' | 'binary';
  op: string;
  inputs: SharedView[];
  /** Per input: 1 when it runs along the output, 0 when it is one repeated number (binary). */
  steps: number[];
  out: SharedView;
  param: number;
}

function shared(a: TypedArray): SharedView | null {
  if (!(a.buffer instanceof SharedArrayBuffer)) return null;
  const ctor = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
  return { ctor, buffer: a.buffer, byteOffset: a.byteOffset, length: a.length };
}

function copyShared(a: TypedArray): TypedArray {
  const c = a instanceof Float32Array ? new Float32Array(new SharedArrayBuffer(4)) : a instanceof Float64Array ? new Float64Array(new SharedArrayBuffer(8)) : new Int32Array(new SharedArrayBuffer(4));
  c[0] = a[0]!;
  return c;
}

/** What runs elements [from, to) of an elementwise job, with the one-thread kernel. */
export function elementwiseRows(j: ElementwiseJob): (from: number, to: number) => void {
  const ins = j.inputs.map(viewOf);
  const out = viewOf(j.out);
  return (from, to) => runRange(j.form, j.op, ins, j.steps, out, j.param, from, to);
}

function runRange(form: ElementwiseJob['form'], op: string, ins: TypedArray[], steps: number[], out: TypedArray, param: number, from: number, to: number): void {
  if (form === 'unary') unaryKernel(op as UnaryOp, ins[0]!.subarray(from, to), out.subarray(from, to), param);
  else if (form === 'unaryGrad') unaryGradKernel(op as UnaryGradOp, ins[0]!.subarray(from, to), ins[1]!.subarray(from, to), out.subarray(from, to), param);
  else binaryRow(op as BinaryOp, ins[0]!, from * steps[0]!, steps[0]!, ins[1]!, from * steps[1]!, steps[1]!, out, from, to - from);
}

function split(form: ElementwiseJob['form'], op: string, ins: TypedArray[], steps: number[], out: TypedArray, param: number, size: number): boolean {
  if (size < ELEMENTWISE_MIN || cpuThreads() <= 1) return false;
  // One repeated number (a scalar operand) is copied into shared memory; anything longer must be there already.
  const views = ins.map((a, i) => shared(a) ?? (steps[i] === 0 && a.length === 1 ? shared(copyShared(a)) : null));
  const outView = shared(out);
  if (!outView || views.some((v) => v === null)) return false;
  const job = { kind: 'elementwise', form, op, inputs: views as SharedView[], steps, out: outView, param };
  try {
    return runChunks(size, 64, job, (from, to) => runRange(form, op, ins, steps, out, param, from, to));
  } catch (e) {
    if (e instanceof WorkerFailure) return false;
    throw e;
  }
}

/** `unaryKernel` over the pool; false (nothing done) when it stays on the calling thread. */
export function unaryThreaded(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): boolean {
  return x.length === out.length && split('unary', op, [x], [1], out, param, out.length);
}

/** `unaryGradKernel` over the pool; false (nothing done) when it stays on the calling thread. */
export function unaryGradThreaded(op: UnaryGradOp, g: TypedArray, v: TypedArray, out: TypedArray, param: number): boolean {
  return g.length === out.length && v.length === out.length && split('unaryGrad', op, [g, v], [1, 1], out, param, out.length);
}

/** `binaryRow(op, a, 0, sa, b, 0, sb, out, 0, size)` over the pool (sa, sb: 1 along the output, 0 for one number). */
export function binaryThreaded(op: BinaryOp, a: TypedArray, sa: number, b: TypedArray, sb: number, out: TypedArray, size: number): boolean {
  return split('binary', op, [a, b], [sa, sb], out, 0, size);
}
