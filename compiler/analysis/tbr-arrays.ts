/**
 * Record per write or per read: the choice for each local scratch array.
 *
 * A local array that is written after some of its reads (`xc` in GMM,
 * rewritten on every trip of the component loop) cannot be read in place by
 * the reverse sweep, which runs after the last write. Two ways to give the
 * reverse sweep the values its reads saw:
 *
 *   - per read (the default): each read whose value an adjoint needs is
 *     pushed when it is made, and a call that receives the array gets a copy;
 *   - per write (Hascoët's TBR, as in Tapenade): each store first pushes the
 *     element it overwrites, and the reverse sweep writes it back when it
 *     passes the store, so that at every point of the reverse sweep the array
 *     holds what it held at the same point of the forward sweep. Every read
 *     is then a read in place, and calls receive the array itself.
 *
 * The choice is a static count of tape traffic: a statement at loop depth n
 * counts W^n (W = 8, a guess at a loop's trip count); a copy for a call
 * counts 2W times a push at its depth (an allocation and a copy of the
 * whole array). Per write wins when its stores count less than the taped
 * reads and copies it saves; ties stay per read.
 *
 * Only typed arrays allocated once outside loops, written by element stores
 * only, never aliased (copied by reference, pushed into a 2-D array, put in
 * a structure), never filled by a call (out parameters) and never passed to
 * a function that is not differentiable qualify: a store into a typed array
 * never changes its length, so writing the old element back restores the
 * array exactly.
 */
import type { IRFunction, Stmt } from '../ir/ir.ts';
import { exprReads, forEachStmt, operandVars } from '../ir/walk.ts';

/** Expressions that read an array's elements or length without keeping a reference to it (calls are checked apart). */
const READS_ONLY = new Set<string>(['prim', 'tensorOp', 'load', 'copyArray', 'pure', 'call', 'newArray']);

/** The trip count guessed for every loop when counting tape traffic. */
export const TRIPS_GUESS = 8;

/** Local arrays whose stores could record the overwritten element instead of their reads being recorded. */
export function restorableArrays(fn: IRFunction, shared: ReadonlySet<string>, depthOf: (s: Stmt) => number): Set<string> {
  const defs = new Map<string, number>();
  const excluded = new Set<string>(shared);
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'assign') {
      defs.set(s.target, (defs.get(s.target) ?? 0) + 1);
      if (depthOf(s) > 0) excluded.add(s.target);
      const e = s.expr;
      if (e.kind === 'copy' && e.src.kind === 'var') excluded.add(e.src.name);
      if (e.kind === 'pop') excluded.add(e.ref.base);
      if (e.kind === 'call' && e.callee.outParam !== undefined) {
        const a = e.args[e.callee.outParam];
        if (a) operandVars([a]).forEach((v) => excluded.add(v));
      }
      // Arrays inside a list operand (`[a, b]` as a tuple argument) travel by reference.
      if (e.kind === 'call') for (const a of e.args) if (a.kind === 'list') operandVars(a.items).forEach((v) => excluded.add(v));
      // Any other expression that mentions an array may keep a reference to it.
      if (!READS_ONLY.has(e.kind)) exprReads(e).forEach((v) => excluded.add(v));
    }
    if (s.kind === 'push') {
      excluded.add(s.ref.base);
      operandVars([s.value]).forEach((v) => excluded.add(v));
    }
    if (s.kind === 'store') operandVars([s.value]).forEach((v) => excluded.add(v));
  });
  const out = new Set<string>();
  for (const [v, t] of fn.locals) {
    if (t.kind !== 'array' || t.ctor === 'Array' || t.elem.kind !== 'number') continue;
    if (defs.get(v) !== 1 || excluded.has(v)) continue;
    out.add(v);
  }
  return out;
}

/** Tape traffic of one push at loop depth `depth`. */
export function trafficAt(depth: number): number {
  return TRIPS_GUESS ** depth;
}

/** Tape traffic of a copy of an array for a call at loop depth `depth`. */
export function copyTrafficAt(depth: number): number {
  return 2 * TRIPS_GUESS * trafficAt(depth);
}
