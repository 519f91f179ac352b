/**
 * Record an expensive result instead of recomputing it.
 *
 * The reverse sweep recomputes a block's intermediate values from the
 * block's inputs (recording.ts): a few flops instead of tape traffic. That
 * is the wrong trade for a transcendental (`Math.exp`, `Math.log`,
 * `Math.tanh`, ...) whose inputs cannot be recomputed either, because one of
 * them is a value pushed where it is made (a load from an array written
 * later, the result of a call) or a block input that is snapshotted (a
 * loop-carried scalar). Recomputing then costs that push and pop plus the
 * transcendental; pushing the result instead costs one push and one pop,
 * and the input is no longer pushed unless another adjoint reads it. In GMM's inlined logsumexp, `t41 = Math.exp(main[i] - mx)` was
 * recomputed from a pushed `main[i]`; now `t41` itself is pushed, and
 * neither `main[i]` nor `mx` is recorded for it any more.
 *
 * The rule is exact either way (a pushed value is the value the forward
 * sweep computed); it only changes where the value comes from.
 */
import type { Expr } from '../ir/ir.ts';
import type { ScalarPrim } from '../rules/scalar.ts';
import type { Version } from './recording.ts';

/** Primitives that cost much more than a push and a pop (library calls, not single instructions). */
const EXPENSIVE_PRIMS: ReadonlySet<ScalarPrim> = new Set<ScalarPrim>([
  'exp', 'expm1', 'log', 'log1p', 'log10', 'log2', 'pow', 'cbrt',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2',
  'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'hypot',
]);

/** Is this expression one whose result is worth pushing rather than recomputing from pushed inputs? */
export function isExpensive(e: Expr): boolean {
  return e.kind === 'prim' && EXPENSIVE_PRIMS.has(e.prim);
}

/**
 * The recomputed statements of a block to push instead: the expensive ones
 * whose recomputation reads, directly or through other recomputed
 * statements of the block, a value pushed where it is made or a block
 * input that is snapshotted (pushed when the block starts).
 */
export function expensiveToRecord(
  exprs: readonly (Expr | null)[],
  reads: readonly ReadonlyMap<string, Version>[],
  recompute: ReadonlySet<number>,
  tapedAtDef: ReadonlySet<number>,
  snapshotted: (v: string) => boolean,
): Set<number> {
  const readsTaped = new Map<number, boolean>();
  const dependsOnTape = (k: number): boolean => {
    const known = readsTaped.get(k);
    if (known !== undefined) return known;
    readsTaped.set(k, false);
    let found = false;
    for (const [v, ver] of reads[k]!) {
      if (ver === 'entry') {
        if (snapshotted(v)) found = true;
      } else if (tapedAtDef.has(ver) || (recompute.has(ver) && dependsOnTape(ver))) found = true;
    }
    readsTaped.set(k, found);
    return found;
  };
  const out = new Set<number>();
  for (const k of recompute) {
    const e = exprs[k];
    if (e && isExpensive(e) && dependsOnTape(k)) out.add(k);
  }
  return out;
}
