/**
 * Branches whose adjoint only matters on the last trip that took them.
 *
 * A running maximum, `for (...) if (v[i] > mx) mx = v[i];`, takes its branch
 * on some trips. The branch's adjoint sends `dmx` to `v[i]` and zeroes
 * `dmx`. Walking the loop backwards, the first taken trip met (the last one
 * taken in the forward sweep) gets all of `dmx`; every earlier taken trip
 * then finds `dmx` zero, because nothing else in the loop adds to it, and
 * adds zero. So the reverse sweep needs the number of that one trip, not a
 * flag per trip: the forward sweep keeps it in a local (`taken = trips + 1`
 * in the branch), pushes it once after the loop, and the reverse sweep runs
 * the branch's adjoint when its trip counter equals it.
 *
 * The rule holds for an `if` directly in a loop body (the loop not
 * checkpointed) when:
 *   - one branch has reverse code and the other has none;
 *   - that branch is one block of assignments (loads, copies, arithmetic),
 *     with nothing pushed for it (no snapshots, no values taped, no
 *     counters, no stores), so skipping its reverse code on a trip leaves
 *     the tapes balanced;
 *   - every variable it assigns that lives outside it (its outputs) is a
 *     number, assigned once in the branch and not read there before, so the
 *     branch's adjoint leaves the output's cotangent zero;
 *   - no statement of the loop outside the `if` reads an output (the
 *     condition may), so nothing in the loop's reverse sweep adds to an
 *     output's cotangent once the last taken trip has zeroed it.
 * Then skipping the other taken trips skips additions of zero: the
 * gradient is the same, up to the sign of a zero cotangent (and a zero
 * cotangent times an infinite partial, a NaN the skipped code could make,
 * is not made).
 */
import type { IRFunction, Stmt } from '../ir/ir.ts';
import { forEachStmt, stmtReads } from '../ir/walk.ts';
import type { Activity } from './activity.ts';
import type { BlockPlan, BlockStmt } from './recording.ts';

export interface LastTakenFacts {
  fn: IRFunction;
  act: Activity;
  plans: ReadonlyMap<BlockStmt[], BlockPlan>;
  blocksOf(list: readonly Stmt[]): (BlockStmt[] | Stmt)[];
  hasReverse(s: Stmt | readonly Stmt[]): boolean;
  blockLocal: ReadonlySet<string>;
  counters: ReadonlySet<string>;
}

/** For each qualifying `if`, the loop it is directly in and which branch has the reverse code. */
export type LastTaken = ReadonlyMap<Stmt, { loop: Stmt; branch: 'then' | 'else' }>;

export function lastTakenBranches(facts: LastTakenFacts): LastTaken {
  const out = new Map<Stmt, { loop: Stmt; branch: 'then' | 'else' }>();
  forEachStmt(facts.fn.body, (loop) => {
    if (loop.kind !== 'loop' || loop.checkpoint !== undefined) return;
    for (const s of loop.body) {
      if (s.kind !== 'if') continue;
      const found = reversedBranch(s, facts);
      if (found && !readOutside(loop, s, found.outputs)) out.set(s, { loop, branch: found.branch });
    }
  });
  return out;
}

/** The branch of `s` that has reverse code and its outputs, when it qualifies and the other branch has none. */
function reversedBranch(s: Extract<Stmt, { kind: 'if' }>, facts: LastTakenFacts): { branch: 'then' | 'else'; outputs: Set<string> } | null {
  const thenReverse = facts.hasReverse(s.then);
  if (thenReverse === facts.hasReverse(s.else)) return null;
  const branch = thenReverse ? 'then' : 'else';
  const outputs = outputsOf(s[branch], facts);
  return outputs ? { branch, outputs } : null;
}

/** The outputs of a branch made of one block that qualifies (see the top comment), or null. */
function outputsOf(list: readonly Stmt[], facts: LastTakenFacts): Set<string> | null {
  const items = facts.blocksOf(list);
  if (items.length !== 1 || !Array.isArray(items[0])) return null;
  const plan = facts.plans.get(items[0])!;
  const recordsNothing =
    plan.snapshots.length === 0 &&
    plan.tapedAtDef.size === 0 &&
    plan.counterInits.size === 0 &&
    plan.counterSteps.size === 0 &&
    plan.guardInits.size === 0 &&
    plan.reallocations.size === 0 &&
    plan.argCopies.size === 0 &&
    plan.restores.size === 0;
  if (!recordsNothing) return null;
  const outputs = new Set<string>();
  const assigned = new Set<string>();
  for (const s of plan.stmts) {
    if (s.kind !== 'assign') return null;
    const e = s.expr;
    if (e.kind !== 'load' && e.kind !== 'copy' && e.kind !== 'prim') return null;
    if (assigned.has(s.target)) return null;
    assigned.add(s.target);
    if (facts.blockLocal.has(s.target) || !facts.act.isActive(s.target)) continue;
    if (facts.fn.locals.get(s.target)?.kind !== 'number' || facts.counters.has(s.target)) return null;
    outputs.add(s.target);
  }
  // An output read before the branch assigns it (`v = v * 2`) keeps part of its cotangent past the branch.
  for (const reads of plan.reads) {
    for (const [v, ver] of reads) if (ver === 'entry' && outputs.has(v)) return null;
  }
  return outputs.size > 0 ? outputs : null;
}

/** Does any statement of the loop outside the `if` read one of the outputs (conditions aside)? */
function readOutside(loop: Extract<Stmt, { kind: 'loop' }>, s: Stmt, outputs: ReadonlySet<string>): boolean {
  let found = false;
  const visit = (list: readonly Stmt[]) =>
    forEachStmt(list, (t) => {
      if (t.kind === 'if' || t.kind === 'loop') return;
      if (stmtReads(t).some((v) => outputs.has(v))) found = true;
    });
  visit(loop.body.filter((t) => t !== s));
  return found;
}
