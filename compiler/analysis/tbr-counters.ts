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
        if (stable) candidates.push({ loop: s, tc: { v, init, step: c }, run });
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

/** The variables of an initialisation `v = e` this analysis can evaluate again, or null. */
function initVars(e: Expr): string[] | null {
  const ok = (o: Operand) => o.kind === 'const' || o.kind === 'var';
  if (e.kind === 'copy' && ok(e.src)) return e.src.kind === 'var' ? [e.src.name] : [];
  if (e.kind === 'prim' && (e.prim === 'add' || e.prim === 'sub' || e.prim === 'mul') && e.args.every(ok)) {
    return e.args.flatMap((a) => (a.kind === 'var' ? [a.name] : []));
  }
  return null;
}
