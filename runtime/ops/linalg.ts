/**
 * Linear algebra: `matmul` (2-D and batched, with optional transposed
 * operands that cost no copy) and `transpose`.
 */
import { Tensor } from '../tensor.ts';
import { ShapeError, broadcastShapes, fmt } from '../shape.ts';
import { backendOf, expectTensor } from './util.ts';

/**
 * Matrix product of a [..., m, k] and b [..., k, n] -> [..., m, n]; batch
 * dimensions broadcast. `transposeA` / `transposeB` use a's / b's last two
 * axes swapped (no copy is made).
 */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const batch = matmulBatchShape(a, b, transposeA, transposeB);
  return backendOf('matmul', a, b).matmul(a, b, transposeA, transposeB, batch);
}

/** The broadcast batch shape of matmul(a, b, ...) after checking its operands (errors name matmul and both shapes). */
export function matmulBatchShape(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): number[] {
  expectTensor('matmul', 'the first operand', a);
  expectTensor('matmul', 'the second operand', b);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(
      `matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not match (both operands need at least 2 dimensions; ` +
        `reshape a vector to [1,n] or [n,1])`,
    );
  }
  const ka = transposeA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  const kb = transposeB ? b.shape[b.rank - 1]! : b.shape[b.rank - 2]!;
  if (ka !== kb) {
    const t = (tr: boolean) => (tr ? ' (transposed)' : '');
    throw new ShapeError(
      `matmul: shapes ${fmt(a.shape)}${t(transposeA)} and ${fmt(b.shape)}${t(transposeB)} do not match ` +
        `(inner dimensions ${ka} != ${kb})`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new ShapeError(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not match (batch dimensions cannot be broadcast)`);
  }
  return batch;
}

/** Permutes the axes: result.shape[i] = x.shape[perm[i]]; default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[] | null): Tensor {
  expectTensor('transpose', 'the operand', x);
  const p = perm ?? [...x.shape.keys()].reverse();
  const seen = new Set(p);
  if (p.length !== x.rank || seen.size !== p.length || p.some((d) => !Number.isInteger(d) || d < 0 || d >= x.rank)) {
    throw new ShapeError(`transpose: [${p.join(',')}] is not a permutation of the axes of shape ${fmt(x.shape)}`);
  }
  if (p.every((d, i) => d === i)) return x;
  return backendOf('transpose', x).transpose(x, p);
}

/** The permutation that undoes `perm` (undefined stays undefined: reversal is its own inverse). */
export function invertPermutation(perm: readonly number[] | null | undefined): number[] | undefined {
  if (perm === null || perm === undefined) return undefined;
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
