/**
 * Sums and means whose input is a fused elementwise chain, the reduction's
 * prologue: `meanAll(mul(d, d))` with `d = sub(y, t)` is one kernel that
 * computes each element of the chain as it reads it, so the chain's values
 * are never stored. The compiler's fusion (compiler/emit/fuse-prologue.ts)
 * emits these in place of `sumAll`, `meanAll`, `sum`, `mean` and
 * `unbroadcast` of a fused group; each gives what the op would give for
 * `fused(kernel, operands)`.
 *
 * `unbroadcastFused` decides at run time, from the shapes, what
 * `unbroadcast` would do: nothing (the chain's shape is `like`'s), so the
 * chain is one elementwise kernel, or a sum over the broadcast axes with the
 * chain as its prologue.
 */
import type { FusedKernel } from '../backends/fused.ts';
import { release } from '../lifetimes.ts';
import { Tensor } from '../tensor.ts';
import { normalizeAxes, shapesEqual } from '../shape.ts';
import { backendOf, numberOnCpu, type Operand } from './util.ts';
import { meanAll, sumAll } from './scalars.ts';
import { fused, fusedOutput } from './fused.ts';
import { mean, sum, type Axes } from './reductions.ts';
import { reshape } from './indexing.ts';
import { unbroadcast, unbroadcastAxes, type ShapeLike } from './adjoint.ts';

/** `sum(fused(kernel, operands), axes, keepdims)`, the chain read by the sum. */
export interface FusedReduceFn {
  (kernel: FusedKernel, operands: readonly Operand[]): number;
  (kernel: FusedKernel, operands: readonly Operand[], axes: null | undefined, keepdims?: false): number;
  (kernel: FusedKernel, operands: readonly Operand[], axes: number | readonly number[], keepdims?: boolean): Tensor;
  (kernel: FusedKernel, operands: readonly Operand[], axes: Axes, keepdims: true): Tensor;
  (kernel: FusedKernel, operands: readonly Operand[], axes?: Axes, keepdims?: boolean): Operand;
}

/** `sum(fused(kernel, operands), axes, keepdims)` in one pass. */
export const sumFused: FusedReduceFn = ((kernel: FusedKernel, operands: readonly Operand[], axes?: Axes, keepdims: boolean = false) => sumOfChain('sum', kernel, operands, axes, keepdims)) as FusedReduceFn;

/** `mean(fused(kernel, operands), axes, keepdims)` in one pass. */
export const meanFused: FusedReduceFn = ((kernel: FusedKernel, operands: readonly Operand[], axes?: Axes, keepdims: boolean = false) => sumOfChain('mean', kernel, operands, axes, keepdims)) as FusedReduceFn;

/** `sumAll(fused(kernel, operands))`: a 0-d tensor. */
export function sumAllFused(kernel: FusedKernel, operands: readonly Operand[]): Tensor {
  return sumOfChain('sumAll', kernel, operands, 'all', false) as Tensor;
}

/** `meanAll(fused(kernel, operands))`: a 0-d tensor. */
export function meanAllFused(kernel: FusedKernel, operands: readonly Operand[]): Tensor {
  return sumOfChain('meanAll', kernel, operands, 'all', false) as Tensor;
}

/** `unbroadcast(fused(kernel, operands), like)`: the chain alone when the shapes agree, else its sum over the broadcast axes. */
export function unbroadcastFused(kernel: FusedKernel, operands: readonly Operand[], like: number): number;
export function unbroadcastFused(kernel: FusedKernel, operands: readonly Operand[], like: Tensor | ShapeLike): Tensor;
export function unbroadcastFused(kernel: FusedKernel, operands: readonly Operand[], like: Operand | ShapeLike): Operand;
export function unbroadcastFused(kernel: FusedKernel, operands: readonly Operand[], like: Operand | ShapeLike): Operand {
  const out = fusedOutput(kernel, operands);
  if (out === null || typeof like === 'number' || out.shape.length < like.shape.length) return unfused(kernel, operands, (g) => unbroadcast(g, like));
  if (shapesEqual(out.shape, like.shape)) return fused(kernel, operands);
  const axes = unbroadcastAxes(out.shape, like.shape);
  return reshape(backendOf(kernel.name, ...operands).sumFused(kernel, operands, out.shape, out.dtype, axes, true, 1), like.shape);
}

/** What `sum` / `mean` / `sumAll` / `meanAll` (`name`) of the chain gives; `axes` 'all' for the 0-d variants. */
function sumOfChain(name: 'sum' | 'mean' | 'sumAll' | 'meanAll', kernel: FusedKernel, operands: readonly Operand[], axes: Axes | 'all', keepdims: boolean): Operand {
  const isMean = name === 'mean' || name === 'meanAll';
  const out = fusedOutput(kernel, operands);
  // Numbers, and int32 means (which turn float first), go the unfused way.
  if (out === null || (isMean && out.dtype === 'int32')) {
    return unfused(kernel, operands, (x) => (axes !== 'all' ? (isMean ? mean : sum)(x, axes, keepdims) : (isMean ? meanAll : sumAll)(x as Tensor)));
  }
  const ax = axes === 'all' ? [...out.shape.keys()] : normalizeAxes(name, out.shape, axes);
  let count = 1;
  if (isMean) for (const a of ax) count *= out.shape[a]!;
  const backend = backendOf(kernel.name, ...operands);
  const r = backend.sumFused(kernel, operands, out.shape, out.dtype, ax, keepdims, count);
  if ((axes === null || axes === undefined) && !keepdims) {
    // sum(x) / mean(x) without axes give a number, on the CPU only.
    numberOnCpu(name, r, `${name}All(x)`);
    return r.dataSync()[0]!;
  }
  return r;
}

/** `then(fused(kernel, operands))`, releasing the chain's values when they were a new tensor. */
function unfused(kernel: FusedKernel, operands: readonly Operand[], then: (x: Operand) => Operand): Operand {
  const x = fused(kernel, operands);
  const r = then(x);
  if (!(r instanceof Tensor && x instanceof Tensor && r.storage === x.storage)) release(x);
  return r;
}
