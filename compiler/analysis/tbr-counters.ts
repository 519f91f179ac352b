/**
 * Loop counters recomputed from the trip count instead of restored from the
 * tape.
 *
 * A restored counter (recording.ts) is undone step by step in the reverse
 * sweep (`r = r - 1`), and the value its initialisation `r = 0` overwrites
 * is pushed, so that the reverse sweep of the previous trip of the loop
 * around it starts from the right value: one push per execution of the
 * inner loop. When nothing outside the loop reads the counter, the old
 * value is never needed: the reverse sweep of the loop can start from the
 * counter's value at the loop's exit instead, `init + trips * step`, from
 * the trip count it pops anyway.
 *
 * Conditions, for counter v of loop L (all checked here):
 *   - v has one initialisation `v = e`, in the run of simple statements
 *     right before L, that does not read v, and one step `v = v ± c`,
 *     a statement of L's body itself (not inside a branch), so it runs on
 *     every trip;
 *   - every read of v is inside L (its condition or body) or in that run
 *     after the initialisation;
 *   - e is a constant, or a constant, invariant variable or restored
 *     counter combined by +, - or *, none of whose variables is written
 *     after the initialisation in that run or inside L, and a restored
 *     counter in e is itself correct at L (it is not recomputed this way,
 *     or L is inside its loop).
 * The arithmetic is on integers (the counters are integer-valued), so
 * `init + trips * step` is the value the forward sweep reached step by step.
 */
import type { Expr, IRFunction, Operand, SimpleStmt, Stmt } from '../ir/ir.ts';
import { forEachStmt, pexprVars, stmtReads } from '../ir/walk.ts';

export type Assign = Extract<SimpleStmt, { kind: 'assign' }>;

export interface TripCounter {
  v: string;
  /** The initialisation, whose expression is evaluated again in the reverse sweep. */
  init: Assign;
  /** The signed step per trip. */
  step: number;
  /**
   * For a loop `v < B` (or `<=`, `>`, `>=`) whose counter steps by 1 the
   * way the comparison runs, and whose bound B is a constant or an invariant
   * variable: the trip count is recomputed, `max(0, B - init)` (one more for
   * `<=`), where a run-time guard proves it exact (B an integer, B - init a
   * safe integer: the counter then takes the exact values init, init ± 1,
   * ... up to B), and pushed otherwise.
   */
  bound?: { op: '<' | '<=' | '>' | '>='; limit: Operand };
}

export function tripCounters(
  fn: IRFunction,
  restored: ReadonlySet<string>,
  invariant: ReadonlySet<string>,
  stepOf: (s: Assign, v: string) => number | null,
  worthIt: (init: Assign) => boolean,
): Map<Stmt, TripCounter[]> {
  // Every statement that reads or writes each counter, and the statement lists holding them.
  const readers = new Map<string, Stmt[]>();
  const writers = new Map<string, Assign[]>();
  const inside = new Map<Stmt, Set<Stmt>>(); // loop -> every statement nested in it
  const addTo = <T>(m: Map<string, T[]>, v: string, s: T) => {
    const list = m.get(v);
    if (list) list.push(s);
    else m.set(v, [s]);
  };
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'if' || s.kind === 'loop') pexprVars(s.cond).forEach((v) => addTo(readers, v, s));
    else stmtReads(s).forEach((v) => addTo(readers, v, s));
    if (s.kind === 'assign') addTo(writers, s.target, s);
    if (s.kind === 'loop') {
      const nested = new Set<Stmt>();
      forEachStmt(s.body, (inner) => void nested.add(inner));
      inside.set(s, nested);
    }
  });
  const candidates: { loop: Stmt; tc: TripCounter; run: Stmt[] }[] = [];
  const visit = (list: readonly Stmt[]) => {
    list.forEach((s, q) => {
      if (s.kind === 'if') {
        visit(s.then);
        visit(s.else);
        return;
      }
      if (s.kind !== 'loop') return;
      visit(s.body);
      // A checkpointed loop runs its reverse sweep its own way (transforms/checkpoint.ts).
      if (s.checkpoint !== undefined) return;
      // The run of simple statements right before the loop.
      let p = q;
      while (p > 0 && list[p - 1]!.kind !== 'if' && list[p - 1]!.kind !== 'loop') p--;
      const run = list.slice(p, q);
      for (const step of s.body) {
        if (step.kind !== 'assign' || !restored.has(step.target)) continue;
        const v = step.target;
        const c = stepOf(step, v);
        if (c === null) continue;
        const ws = writers.get(v) ?? [];
        if (ws.length !== 2 || !ws.includes(step)) continue;
        const init = ws.find((w) => w !== step)!;
        const at = run.indexOf(init);
        if (at < 0 || stmtReads(init).includes(v) || !worthIt(init)) continue;
        const nested = inside.get(s)!;
        const after = new Set<Stmt>(run.slice(at + 1));
        if (!(readers.get(v) ?? []).every((r) => r === s || nested.has(r) || after.has(r))) continue;
        const vars = initVars(init.expr);
        if (vars === null) continue;
        const stable = vars.every(
          (u) =>
            (invariant.has(u) || restored.has(u)) &&
            !(writers.get(u) ?? []).some((w) => nested.has(w) || after.has(w)),
        );
        if (!stable) continue;
        const bound = tripBound(s, v, c, invariant);
        candidates.push({ loop: s, tc: bound ? { v, init, step: c, bound } : { v, init, step: c }, run });
      }
    });
  };
  visit(fn.body);
  // A counter in an initialisation must be correct where it is read again: at the start of L's reverse sweep.
  const byVar = new Map(candidates.map((c) => [c.tc.v, c]));
  const accepted = new Map<string, (typeof candidates)[number]>(byVar);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [v, c] of accepted) {
      const ok = initVars(c.tc.init.expr)!.every((u) => {
        const other = accepted.get(u);
        return !other || inside.get(other.loop)!.has(c.loop);
      });
      if (!ok) {
        accepted.delete(v);
        changed = true;
      }
    }
  }
  const out = new Map<Stmt, TripCounter[]>();
  for (const { loop, tc } of accepted.values()) out.set(loop, [...(out.get(loop) ?? []), tc]);
  return out;
}

/** The bound of a loop `v < B` that the trip count can be recomputed from (TripCounter.bound), or undefined. */
function tripBound(loop: Extract<Stmt, { kind: 'loop' }>, v: string, step: number, invariant: ReadonlySet<string>): TripCounter['bound'] {
  const c = loop.cond;
  if (loop.test !== 'pre' || c.kind !== 'binary' || c.left.kind !== 'operand' || c.right.kind !== 'operand') return undefined;
  if (c.left.op.kind !== 'var' || c.left.op.name !== v) return undefined;
  const limit = c.right.op;
  if (!(limit.kind === 'const' || (limit.kind === 'var' && invariant.has(limit.name)))) return undefined;
  const op = c.op;
  if ((op === '<' || op === '<=') && step === 1) return { op, limit };
  if ((op === '>' || op === '>=') && step === -1) return { op, limit };
  return undefined;
}

/** The variables of an initialisation `v = e` this analysis can evaluate again, or null. */
function initVars(e: Expr): string[] | null {
  const ok = (o: Operand) => o.kind === 'const' || o.kind === 'var';
  if (e.kind === 'copy' && ok(e.src)) return e.src.kind === 'var' ? [e.src.name] : [];
  if (e.kind === 'prim' && (e.prim === 'add' || e.prim === 'sub' || e.prim === 'mul') && e.args.every(ok)) {
    return e.args.flatMap((a) => (a.kind === 'var' ? [a.name] : []));
  }
  return null;
}

/**
 * Counters the compiler cannot prove integral, guarded at run time.
 *
 * Undoing `li = li + 1` by `li = li - 1` gives back the old value exactly
 * only for integers (below 2^53). `li = j * icfSize + d` in GMM is an
 * integer at run time, but `d: number` proves nothing. Such a counter is
 * restored like an integer one (its steps undone, the value an
 * initialisation overwrites pushed), with a flag set at every
 * initialisation: `Number.isInteger(li) && Math.abs(li) <= 2^52`. Each
 * step adds an integer of magnitude at most MAX_GUARDED_STEP, so from a
 * start within 2^52 the counter stays an exact integer for 2^36 steps at
 * least, more than a tape could hold. Where the flag is false the counter
 * is recorded as before: a block that reads it pushes it on entry. The
 * flag's old value goes on the control tape with the counter's old value,
 * so the reverse sweep knows, block by block, which way the forward sweep
 * went.
 *
 * Candidates, returned here: number locals, not proven integral, not
 * parameters, assigned only by assignments, at least one of them a step
 * `v = v ± c` with c an integer, |c| <= MAX_GUARDED_STEP. The recording
 * analysis keeps those a block reads on entry, except where a block both
 * reads one on entry and initialises it (its push on entry would be taken
 * under the old flag and popped under the new one), and none in functions
 * with checkpointed loops (their snapshots do not carry the flag).
 */
export const MAX_GUARDED_STEP = 2 ** 16;

/** Counter candidates for guarded restoring (see above); `stepOf` gives a step's signed increment or null. */
export function guardedCounterCandidates(
  fn: IRFunction,
  defs: ReadonlyMap<string, readonly SimpleStmt[]>,
  integers: ReadonlySet<string>,
  stepOf: (s: SimpleStmt, v: string) => number | null,
): Set<string> {
  const out = new Set<string>();
  let checkpointed = false;
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'loop' && s.checkpoint !== undefined) checkpointed = true;
  });
  if (checkpointed) return out;
  for (const [v, ds] of defs) {
    if (integers.has(v) || fn.locals.get(v)?.kind !== 'number' || fn.params.some((p) => p.name === v)) continue;
    if (!ds.every((d) => d.kind === 'assign')) continue;
    const steps = ds.map((d) => stepOf(d, v)).filter((c): c is number => c !== null);
    if (steps.length > 0 && steps.every((c) => Math.abs(c) <= MAX_GUARDED_STEP)) out.add(v);
  }
  return out;
}
