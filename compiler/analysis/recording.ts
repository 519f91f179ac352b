/**
 * What the reverse sweep must keep ("to-be-recorded" analysis).
 *
 * The reverse sweep walks the Wengert list backwards one *block* (a run of
 * simple statements between control-flow statements) at a time. For each
 * block it needs some primal values. They come from one of four places:
 *
 *   - invariant variables (parameters, single assignments outside loops)
 *     still hold their value: read them directly;
 *   - values computed inside the block by pure primitives are recomputed in
 *     the reverse sweep from the block's inputs (no tape traffic);
 *   - the block's other inputs are *snapshotted*: pushed on the tape when
 *     the forward sweep enters the block, popped when the reverse leaves it;
 *   - loop counters (`i = 0`, `i = i + 1`) are restored by inverting their
 *     updates (`i = i - 1`), pushing only the value an `i = 0` overwrites;
 *   - values that cannot be recomputed (loads from local arrays that are
 *     written later, results of calls) are pushed right after they are made.
 *
 * Nothing is recorded that no adjoint statement reads.
 */
import { isStructured, type Expr, type IRFunction, type SimpleStmt, type Stmt } from '../ir/ir.ts';
import { exprReads, forEachStmt, refIndexVars, stmtReads, operandVars, pexprReadsRef, pexprVars } from '../ir/walk.ts';
import type { Rule } from '../rules/types.ts';
import { ruleOf, type RuleExpr } from '../rules/index.ts';
import { literal } from '../rules/algebra.ts';
import type { Activity } from './activity.ts';
import { copyTrafficAt, restorableArrays, trafficAt } from './tbr-arrays.ts';
import { guardedCounterCandidates, tripCounters, type TripCounter } from './tbr-counters.ts';
import { expensiveToRecord } from './tbr-results.ts';
import { lastTakenBranches, type LastTaken } from './last-taken.ts';

export type BlockStmt = SimpleStmt | Extract<Stmt, { kind: 'return' }>;

/** Which version of a variable a statement reads: the block's input, or the value defined by statement k of the block. */
export type Version = 'entry' | number;

export interface BlockPlan {
  stmts: BlockStmt[];
  /** For each statement, the version of each variable it reads. */
  reads: Map<string, Version>[];
  /** Block inputs pushed when the forward sweep enters the block, in push order. */
  snapshots: string[];
  /** Statements whose result is pushed right after it is computed. */
  tapedAtDef: Set<number>;
  /** Statements recomputed at the start of the block's reverse sweep. */
  recompute: Set<number>;
  /** Statements whose result is still in its variable during the reverse sweep (assigned once, at top level). */
  available: Set<number>;
  /** Statements `i = c` of restored counters: the old value is pushed before. */
  counterInits: Set<number>;
  /** Statements `i = i ± c` of restored counters: undone by the inverse update. */
  counterSteps: Set<number>;
  /** Initialisations of guarded counters (tbr-counters.ts): each sets the counter's exactness flag. */
  guardInits: Set<number>;
  /** Array allocations inside loops: the previous adjoint array is pushed before. */
  reallocations: Set<number>;
  /** Calls that receive a local array that is written later: a copy is pushed. */
  argCopies: Map<number, string[]>;
  /** Stores into arrays recorded per write: the element they overwrite is pushed before, written back in the reverse sweep. */
  restores: Set<number>;
  /** Does the reverse sweep have anything to do for this block? */
  hasReverse: boolean;
}

export interface Recording {
  /** Parameters never reassigned, and locals assigned once outside loops. */
  invariant: ReadonlySet<string>;
  /** Locals whose every assignment and read is in one block, after their single assignment. */
  blockLocal: ReadonlySet<string>;
  /** Loop counters restored by inverting their updates. */
  restoredCounters: ReadonlySet<string>;
  /** Counters not proven integral, restored by inverting their updates while a run-time flag says they are exact integers, pushed on block entry otherwise (tbr-counters.ts). */
  guardedCounters: ReadonlySet<string>;
  /** Local arrays that are written (stores, pushes) somewhere. */
  mutableArrays: ReadonlySet<string>;
  /** Local arrays allocated inside a loop. */
  reallocated: ReadonlySet<string>;
  /** Local arrays recorded per write (tbr-arrays.ts): every store pushes the element it overwrites. */
  restoredArrays: ReadonlySet<string>;
  /** Loops whose counters are set from the trip count at the start of their reverse sweep (tbr-counters.ts). */
  tripCounters: ReadonlyMap<Stmt, readonly TripCounter[]>;
  /** Values pushed once after a loop that does not write them, for every block inside it that reads them. */
  loopSnapshots: ReadonlyMap<Stmt, readonly string[]>;
  plans: Map<BlockStmt[], BlockPlan>;
  /** Branches in loops whose reverse code runs only on the last trip that took them (last-taken.ts): one control entry per loop instead of one per trip. */
  lastTaken: LastTaken;
  /** Blocks of a statement list, in order, each keyed by its first statement. */
  blocksOf(list: readonly Stmt[]): (BlockStmt[] | Stmt)[];
  /** Does this control statement (or list) need anything in the reverse sweep? */
  hasReverse(s: Stmt | readonly Stmt[]): boolean;
}

/** Splits a statement list into runs of simple statements (blocks) and control statements. */
function splitBlocks(list: readonly Stmt[]): (BlockStmt[] | Stmt)[] {
  const out: (BlockStmt[] | Stmt)[] = [];
  let run: BlockStmt[] | null = null;
  for (const s of list) {
    if (s.kind === 'if' || s.kind === 'loop') {
      run = null;
      out.push(s);
    } else {
      if (!run) {
        run = [];
        out.push(run);
      }
      run.push(s);
    }
  }
  return out;
}

/** Placeholder names used to see which operands a rule's VJP mentions. */
const argMark = (i: number) => `__arg${i}__`;
const OUT = '__out__';
const G = '__g__';

/** Operand indexes (and whether the result) a VJP reads, for the active operands. */
export function vjpReads(rule: Rule, args: RuleExpr, isActive: (v: string) => boolean): { args: Set<number>; out: boolean } {
  const texts = args.args.map((a, i) => (a.kind === 'var' || a.kind === 'list' ? argMark(i) : a.kind === 'const' ? literal(a.value) : a.text));
  const reads = new Set<number>();
  let out = false;
  args.args.forEach((a, i) => {
    if (a.kind !== 'var' || !isActive(a.name)) return;
    const t = rule.vjp({ args: texts, out: OUT, g: G }, i);
    if (t === null) return;
    texts.forEach((_, j) => {
      if (t.includes(argMark(j))) reads.add(j);
    });
    if (t.includes(OUT)) out = true;
  });
  return { args: reads, out };
}

export function analyzeRecording(fn: IRFunction, act: Activity): Recording {
  // ---- static facts about variables ----
  const defCount = new Map<string, number>();
  const defInLoop = new Set<string>();
  const defStmts = new Map<string, SimpleStmt[]>();
  const condReads = new Set<string>();
  const mutableArrays = new Set<string>();
  forEachStmt(fn.body, (s, depth) => {
    if (s.kind === 'assign') {
      defCount.set(s.target, (defCount.get(s.target) ?? 0) + 1);
      if (depth > 0) defInLoop.add(s.target);
      defStmts.set(s.target, [...(defStmts.get(s.target) ?? []), s]);
    }
    if (s.kind === 'store' || s.kind === 'push') mutableArrays.add(s.ref.base);
    if (s.kind === 'assign' && s.expr.kind === 'pop') mutableArrays.add(s.expr.ref.base);
    if (s.kind === 'if' || s.kind === 'loop') pexprVars(s.cond).forEach((v) => condReads.add(v));
  });
  const isParam = (v: string) => fn.params.some((p) => p.name === v) || v === fn.self?.name;
  const invariant = new Set<string>();
  for (const p of fn.params) if (!defCount.has(p.name)) invariant.add(p.name);
  if (fn.self) invariant.add(fn.self.name);
  for (const [v, n] of defCount) if (n === 1 && !defInLoop.has(v) && !isParam(v)) invariant.add(v);
  const reallocated = new Set<string>();
  for (const [v] of defCount) {
    const t = fn.locals.get(v);
    if (isStructured(t) && defInLoop.has(v)) reallocated.add(v);
  }

  // Integer-valued locals (greatest fixpoint): every assignment gives an integer, so `i + 1 - 1 === i` exactly.
  const integers = new Set([...defStmts.keys()].filter((v) => fn.locals.get(v)?.kind === 'number'));
  const isIntegerOperand = (o: import('../ir/ir.ts').Operand) => (o.kind === 'const' ? Number.isInteger(o.value) : o.kind === 'var' && integers.has(o.name));
  const isIntegerExpr = (e: Expr): boolean =>
    (e.kind === 'copy' && isIntegerOperand(e.src)) ||
    (e.kind === 'prim' && (e.prim === 'add' || e.prim === 'sub' || e.prim === 'mul') && e.args.every(isIntegerOperand)) ||
    (e.kind === 'pure' && e.expr.kind === 'length');
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of [...integers]) {
      if (!defStmts.get(v)!.every((d) => d.kind === 'assign' && isIntegerExpr(d.expr))) {
        integers.delete(v);
        changed = true;
      }
    }
  }
  const counters = new Set<string>();
  for (const [v, defs] of defStmts) {
    if (!integers.has(v)) continue;
    const kinds = defs.map((d) => counterDefKind(d, v));
    if (kinds.includes('step')) counters.add(v);
  }
  const guardCandidates = guardedCounterCandidates(fn, defStmts, integers, counterStep);

  // Where each statement sits: its order in the function and the loops around it.
  const order = new Map<Stmt, number>();
  const loopsAround = new Map<Stmt, Stmt[]>();
  const place = (list: readonly Stmt[], loops: Stmt[]) => {
    for (const s of list) {
      order.set(s, order.size);
      loopsAround.set(s, loops);
      if (s.kind === 'if') {
        place(s.then, loops);
        place(s.else, loops);
      } else if (s.kind === 'loop') place(s.body, [...loops, s]);
    }
  };
  place(fn.body, []);
  const writes = new Map<string, Stmt[]>();
  forEachStmt(fn.body, (s) => {
    const base = s.kind === 'store' || s.kind === 'push' ? s.ref.base : s.kind === 'assign' && fn.locals.get(s.target)?.kind === 'array' ? s.target : null;
    if (base) writes.set(base, [...(writes.get(base) ?? []), s]);
    // `v = a.pop()` shortens a: a write of a.
    if (s.kind === 'assign' && s.expr.kind === 'pop') writes.set(s.expr.ref.base, [...(writes.get(s.expr.ref.base) ?? []), s]);
  });
  /** Is local array `base` never written again once `at` has run (so the reverse sweep can read it as it was)? */
  // Local 2-D arrays and the rows pushed into them share memory (a row is pushed by reference): a write
  // through one is a write of the other, so neither is ever read back as frozen.
  const shared = new Set<string>();
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'push' && s.value.kind === 'var' && fn.locals.get(s.value.name)?.kind === 'array') shared.add(s.ref.base).add(s.value.name);
  });
  // Arrays recorded per write (chosen below): at every point of the reverse sweep they hold what they held at
  // the same point of the forward sweep, except inside a block, whose reverse code sees the block's last store.
  const restoredArrays = new Set<string>();
  const frozenAt = (base: string, at: Stmt): boolean => {
    if (shared.has(base)) return false;
    if (restoredArrays.has(base)) {
      const pos = blockPos.get(at);
      return pos !== undefined && !pos.b.slice(pos.k + 1).some((s) => s.kind === 'store' && s.ref.base === base);
    }
    const loops = loopsAround.get(at) ?? [];
    return (writes.get(base) ?? []).every((w) => w !== at && order.get(w)! < order.get(at)! && !(loopsAround.get(w) ?? []).some((l) => loops.includes(l)));
  };

  // ---- blocks ----
  const allBlocks: BlockStmt[][] = [];
  const blockCache = new Map<readonly Stmt[], (BlockStmt[] | Stmt)[]>();
  const blocksOf = (list: readonly Stmt[]) => {
    let b = blockCache.get(list);
    if (!b) {
      b = splitBlocks(list);
      blockCache.set(list, b);
    }
    return b;
  };
  const collect = (list: readonly Stmt[]) => {
    for (const item of blocksOf(list)) {
      if (Array.isArray(item)) allBlocks.push(item);
      else if (item.kind === 'if') {
        collect(item.then);
        collect(item.else);
      } else if (item.kind === 'loop') collect(item.body);
    }
  };
  collect(fn.body);
  const blockPos = new Map<Stmt, { b: BlockStmt[]; k: number }>();
  for (const b of allBlocks) b.forEach((s, k) => blockPos.set(s, { b, k }));
  const depthOf = (s: Stmt) => (loopsAround.get(s) ?? []).length;
  /** Does no statement write scalar `v` after block `b` starts (nor in a loop around it), so it still holds its value in the reverse sweep? */
  const scalarFrozenAt = (v: string, b: BlockStmt[]): boolean => {
    const first = order.get(b[0]!)!;
    const loops = loopsAround.get(b[0]!) ?? [];
    return (defStmts.get(v) ?? []).every((w) => order.get(w)! < first && !(loopsAround.get(w) ?? []).some((l) => loops.includes(l)));
  };

  // Block-local variables: one assignment, every read in the same block after it, never in a condition.
  // One pass (linear in the code size): where each variable is read first and assigned.
  const readBlocks = new Map<string, Set<BlockStmt[]>>();
  const defBlock = new Map<string, BlockStmt[]>();
  const readBeforeDef = new Set<string>();
  const blockIndex = new Map(allBlocks.map((b, i) => [b, i]));
  for (const b of allBlocks) {
    const defined = new Set<string>();
    for (const s of b) {
      for (const v of stmtReads(s)) {
        if (!readBlocks.has(v)) readBlocks.set(v, new Set());
        readBlocks.get(v)!.add(b);
        if (!defined.has(v)) readBeforeDef.add(`${v}@${blockIndex.get(b)}`);
      }
      if (s.kind === 'assign') {
        defBlock.set(s.target, b);
        defined.add(s.target);
      }
    }
  }
  const blockLocal = new Set<string>();
  for (const [v, n] of defCount) {
    if (n !== 1 || isParam(v) || condReads.has(v)) continue;
    const kind = fn.locals.get(v)?.kind;
    if (kind !== 'number' && kind !== 'tensor') continue;
    const b = defBlock.get(v)!;
    const readers = readBlocks.get(v) ?? new Set();
    if ([...readers].some((r) => r !== b)) continue;
    if (!readBeforeDef.has(`${v}@${blockIndex.get(b)}`)) blockLocal.add(v);
  }

  // Top-level first assignments: nothing before them reads the variable, so an `i = 0` there overwrites nothing.
  const firstDefs = new Set<Stmt>();
  {
    const touched = new Set<string>();
    for (const s of fn.body) {
      if (s.kind === 'assign' && !touched.has(s.target)) firstDefs.add(s);
      forEachStmt([s], (inner) => {
        if (inner.kind === 'assign') touched.add(inner.target);
        if (inner.kind === 'if' || inner.kind === 'loop') pexprVars(inner.cond).forEach((v) => touched.add(v));
        else stmtReads(inner).forEach((v) => touched.add(v));
      });
    }
  }

  const topLevel = new Set<Stmt>(fn.body);

  // ---- per-block plans ----
  const plans = new Map<BlockStmt[], BlockPlan>();
  const entryNeeds = new Map<BlockStmt[], Set<string>>();
  const planAll = () => {
    for (const b of allBlocks) {
      // A block input that is neither invariant, nor left in place, nor a counter is snapshotted: pushed on entry.
      const snapshotted = (v: string) => !invariant.has(v) && !scalarFrozenAt(v, b) && !counters.has(v) && !guardCandidates.has(v);
      const plan = planBlock(b, fn, act, mutableArrays, (s) => s.kind === 'assign' && invariant.has(s.target) && topLevel.has(s), frozenAt, restoredArrays, snapshotted);
      plans.set(b, plan.plan);
      // Values nothing overwrites after the block starts are read in place: no snapshot, no restoring.
      entryNeeds.set(b, new Set([...plan.entryNeeds].filter((v) => invariant.has(v) || !scalarFrozenAt(v, b))));
    }
  };
  planAll();
  // Record per write the arrays whose stores cost less tape traffic than the reads and copies they save (tbr-arrays.ts).
  const restorable = restorableArrays(fn, shared, depthOf);
  if (restorable.size > 0) {
    const perRead = new Map<string, number>();
    const perWrite = new Map<string, number>();
    const add = (m: Map<string, number>, v: string, n: number) => m.set(v, (m.get(v) ?? 0) + n);
    for (const b of allBlocks) {
      const plan = plans.get(b)!;
      b.forEach((s, k) => {
        if (s.kind === 'store' && restorable.has(s.ref.base)) add(perWrite, s.ref.base, trafficAt(depthOf(s)));
        if (s.kind !== 'assign') return;
        if (plan.tapedAtDef.has(k) && s.expr.kind === 'load' && restorable.has(s.expr.ref.base)) {
          const base = s.expr.ref.base;
          add(perRead, base, trafficAt(depthOf(s)));
          // A read before a store of the same array in its block stays recorded per write too.
          if (b.slice(k + 1).some((w) => w.kind === 'store' && w.ref.base === base)) add(perWrite, base, trafficAt(depthOf(s)));
        }
        if (s.expr.kind === 'call' && act.isActive(s.target)) {
          for (const a of operandVars(s.expr.args)) if (restorable.has(a) && !frozenAt(a, s)) add(perRead, a, copyTrafficAt(depthOf(s)));
        }
      });
    }
    for (const a of restorable) if ((perWrite.get(a) ?? 0) < (perRead.get(a) ?? 0)) restoredArrays.add(a);
    if (restoredArrays.size > 0) planAll();
  }
  const restoredCounters = new Set<string>();
  for (const needs of entryNeeds.values()) for (const v of needs) if (counters.has(v) && !invariant.has(v)) restoredCounters.add(v);
  // A counter an inner counter starts from (`r = c + 1`) is restored too, so that the inner one can start
  // from its trip count in the reverse sweep (an inversion per outer trip instead of a push).
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of [...restoredCounters]) {
      for (const def of defStmts.get(v) ?? []) {
        if (counterDefKind(def, v) !== 'init' || def.kind !== 'assign') continue;
        for (const u of exprReads(def.expr)) {
          if (counters.has(u) && !invariant.has(u) && !restoredCounters.has(u)) {
            restoredCounters.add(u);
            changed = true;
          }
        }
      }
    }
  }
  // Counters not proven integral that some block reads on entry, unless a block also initialises one it reads on entry.
  const guardedCounters = new Set<string>();
  for (const needs of entryNeeds.values()) {
    for (const v of needs) if (guardCandidates.has(v) && !invariant.has(v)) guardedCounters.add(v);
  }
  for (const [b, needs] of entryNeeds) {
    for (const v of needs) {
      if (b.some((s) => s.kind === 'assign' && s.target === v && counterDefKind(s, v) === 'init')) guardedCounters.delete(v);
    }
  }
  // Only where it saves a push: a first assignment at the top level overwrites nothing worth keeping.
  const trips = tripCounters(fn, restoredCounters, invariant, (s, v) => counterStep(s, v), (s) => !firstDefs.has(s));
  const tripInits = new Set<Stmt>([...trips.values()].flat().map((t) => t.init));

  // A snapshot of a value no statement of the loops around the block writes is taken once after the outermost
  // such loop, not on every trip (`w = 8 * b * i` read by every trip of the inner loop over k in LSTM).
  const loopSnapshots = new Map<Stmt, string[]>();
  const writtenIn = (v: string, loop: Stmt) => (defStmts.get(v) ?? []).some((w) => (loopsAround.get(w) ?? []).includes(loop));
  const hoistTo = (v: string, b: BlockStmt[]): Stmt | null => {
    const loops = loopsAround.get(b[0]!) ?? [];
    let target: Stmt | null = null;
    for (let i = loops.length - 1; i >= 0; i--) {
      const loop = loops[i]!;
      // A checkpointed loop runs its reverse sweep its own way (transforms/checkpoint.ts).
      if ((loop.kind === 'loop' && loop.checkpoint !== undefined) || writtenIn(v, loop)) break;
      target = loop;
    }
    return target;
  };
  for (const b of allBlocks) {
    const plan = plans.get(b)!;
    for (const v of entryNeeds.get(b)!) {
      if (invariant.has(v) || restoredCounters.has(v)) continue;
      const t = fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
      // Flags and constants (strings, enums) a call reads are snapshotted too: a later reassignment would change them.
      if (t?.kind === 'number' || t?.kind === 'tensor' || t?.kind === 'bool' || t?.kind === 'opaque') {
        const loop = hoistTo(v, b);
        if (!loop) plan.snapshots.push(v);
        else {
          const list = loopSnapshots.get(loop) ?? [];
          if (!list.includes(v)) list.push(v);
          loopSnapshots.set(loop, list);
        }
      }
    }
    b.forEach((s, k) => {
      if (s.kind !== 'assign') return;
      if (restoredCounters.has(s.target) || guardedCounters.has(s.target)) {
        if (counterDefKind(s, s.target) === 'init') {
          if (!firstDefs.has(s) && !tripInits.has(s)) plan.counterInits.add(k);
          if (guardedCounters.has(s.target)) plan.guardInits.add(k);
        }
        else plan.counterSteps.add(k);
      }
      const allocates = s.expr.kind === 'newArray' || s.expr.kind === 'copyArray' || s.expr.kind === 'record' || (s.expr.kind === 'call' && isStructured(fn.locals.get(s.target)));
      if (allocates && reallocated.has(s.target) && act.isActive(s.target)) {
        plan.reallocations.add(k);
      }
      if (s.expr.kind === 'call' && act.isActive(s.target)) {
        const copies = operandVars(s.expr.args).filter((a) => (mutableArrays.has(a) || reallocated.has(a)) && !frozenAt(a, s));
        if (copies.length) plan.argCopies.set(k, copies);
      }
    });
    plan.hasReverse =
      plan.hasReverse ||
      plan.snapshots.length > 0 ||
      plan.tapedAtDef.size > 0 ||
      plan.counterInits.size > 0 ||
      plan.counterSteps.size > 0 ||
      plan.reallocations.size > 0 ||
      plan.restores.size > 0;
  }

  const reverseCache = new Map<object, boolean>();
  const hasReverse = (s: Stmt | readonly Stmt[]): boolean => {
    const key = s as object;
    const cached = reverseCache.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (Array.isArray(s)) {
      r = blocksOf(s as readonly Stmt[]).some((item) => (Array.isArray(item) ? plans.get(item)!.hasReverse : hasReverse(item)));
    } else {
      const st = s as Stmt;
      r = st.kind === 'if' ? hasReverse(st.then) || hasReverse(st.else) : st.kind === 'loop' ? hasReverse(st.body) : false;
    }
    reverseCache.set(key, r);
    return r;
  };

  const lastTaken = lastTakenBranches({ fn, act, plans, blocksOf, hasReverse, blockLocal, counters: new Set([...restoredCounters, ...guardedCounters]) });

  return { invariant, blockLocal, restoredCounters, guardedCounters, mutableArrays, reallocated, restoredArrays, tripCounters: trips, loopSnapshots, plans, lastTaken, blocksOf, hasReverse };
}

/** The signed step of `v = v ± c` / `v = c + v`, or null for any other assignment. */
function counterStep(s: SimpleStmt, v: string): number | null {
  if (counterDefKind(s, v) !== 'step' || s.kind !== 'assign' || s.expr.kind !== 'prim') return null;
  const c = s.expr.args.find((a) => a.kind === 'const') as { value: number };
  return s.expr.prim === 'sub' ? -c.value : c.value;
}

/** `i = i ± <integer>` is a step (undone by the inverse update); any other assignment of an integer counter is an init. */
function counterDefKind(s: SimpleStmt, v: string): 'init' | 'step' | null {
  if (s.kind !== 'assign') return null;
  const e = s.expr;
  if (e.kind === 'prim' && (e.prim === 'add' || e.prim === 'sub')) {
    const [a, b] = e.args;
    if (a?.kind === 'var' && a.name === v && b?.kind === 'const' && Number.isInteger(b.value)) return 'step';
    if (e.prim === 'add' && b?.kind === 'var' && b.name === v && a?.kind === 'const' && Number.isInteger(a.value)) return 'step';
  }
  return 'init';
}

/** Versions, needs and recomputation for one block. */
function planBlock(
  b: BlockStmt[],
  fn: IRFunction,
  act: Activity,
  mutableArrays: ReadonlySet<string>,
  isAvailable: (s: BlockStmt) => boolean,
  frozenAt: (base: string, at: Stmt) => boolean,
  restoredArrays: ReadonlySet<string>,
  snapshotted: (v: string) => boolean,
): { plan: BlockPlan; entryNeeds: Set<string> } {
  // SSA versions inside the block.
  const current = new Map<string, Version>();
  const reads: Map<string, Version>[] = b.map((s, k) => {
    const m = new Map<string, Version>();
    for (const v of stmtReads(s)) m.set(v, current.get(v) ?? 'entry');
    if (s.kind === 'assign') current.set(s.target, k);
    return m;
  });
  const isLocalArray = (base: string) => fn.locals.get(base)?.kind === 'array';

  // What each statement's adjoint reads.
  const needed = new Set<string>(); // `${var}@${version}`
  const queue: [string, Version][] = [];
  const need = (v: string, ver: Version) => {
    const t = fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
    // Arrays are read through their variable (the recording keeps them right by other means); objects and
    // tuples loaded from a parameter are values like numbers and tensors: recomputed or recorded by reference.
    if (t && t.kind !== 'number' && t.kind !== 'tensor' && t.kind !== 'bool' && t.kind !== 'object' && t.kind !== 'tuple' && t.kind !== 'opaque') return;
    const key = `${v}@${ver}`;
    if (needed.has(key)) return;
    needed.add(key);
    queue.push([v, ver]);
  };
  let hasReverse = false;
  const restores = new Set<number>();
  b.forEach((s, k) => {
    const r = reads[k]!;
    const at = (v: string) => need(v, r.get(v)!);
    if (s.kind === 'return') {
      if (s.value.kind === 'var' && act.isActive(s.value.name)) hasReverse = true;
      return;
    }
    if (s.kind === 'store' || s.kind === 'push') {
      // A store into an array recorded per write writes the old element back in the reverse sweep, active or not.
      if (act.isActive(s.ref.base) || (s.kind === 'store' && restoredArrays.has(s.ref.base))) {
        hasReverse = true;
        refIndexVars(s.ref).forEach(at);
      }
      if (s.kind === 'store' && restoredArrays.has(s.ref.base)) restores.add(k);
      return;
    }
    if (s.kind === 'assign' && s.expr.kind === 'pop' && act.isActive(s.expr.ref.base)) {
      // The reverse sweep gives the element's cotangent back to the array's adjoint, used or not.
      hasReverse = true;
      refIndexVars(s.expr.ref).forEach(at);
      return;
    }
    if (!act.isActive(s.target)) return;
    const e = s.expr;
    switch (e.kind) {
      case 'prim':
      case 'tensorOp': {
        const rule = ruleOf(e);
        const r2 = vjpReads(rule, e, act.isActive);
        hasReverse = true;
        for (const i of r2.args) operandVars([e.args[i]!]).forEach(at);
        if (r2.out) need(s.target, k);
        return;
      }
      case 'copy':
        hasReverse = true;
        return;
      case 'load':
        hasReverse = true;
        refIndexVars(e.ref).forEach(at);
        return;
      case 'call':
        hasReverse = true;
        operandVars(e.args).forEach(at);
        return;
      case 'copyArray':
        hasReverse = true;
        refIndexVars(e.src).forEach(at);
        return;
      case 'pop':
        // Reached only with an inactive array (above), whose element carries no derivative.
        return;
      case 'newArray':
      case 'record':
        hasReverse = true;
        return;
      case 'pure':
      case 'opaqueCall':
        // The variable is overwritten by a constant: its cotangent is cleared there.
        hasReverse = true;
        return;
      default:
        e satisfies never;
    }
  });

  // Close over recomputation: a needed value defined in the block is recomputed from its own inputs, or taped.
  // An expensive result whose recomputation would read a taped value is taped itself (tbr-results.ts).
  const roots = [...queue];
  const rootKeys = new Set(needed);
  const close = (forced: ReadonlySet<number>) => {
    needed.clear();
    rootKeys.forEach((key) => needed.add(key));
    queue.length = 0;
    queue.push(...roots);
    const recompute = new Set<number>();
    const tapedAtDef = new Set<number>();
    const available = new Set<number>();
    const entryNeeds = new Set<string>();
    while (queue.length) {
      const [v, ver] = queue.pop()!;
      if (ver === 'entry') {
        entryNeeds.add(v);
        continue;
      }
      const s = b[ver] as Extract<SimpleStmt, { kind: 'assign' }>;
      if (isAvailable(s)) {
        available.add(ver);
        continue;
      }
      const e = s.expr;
      const r = reads[ver]!;
      const recomputable =
        !forced.has(ver) &&
        (e.kind === 'prim' ||
          e.kind === 'copy' ||
          (e.kind === 'load' && (!isLocalArray(e.ref.base) || frozenAt(e.ref.base, s))) ||
          (e.kind === 'pure' &&
            !pexprReadsRef(e.expr, (base) => isLocalArray(base) && mutableArrays.has(base)) &&
            pexprVars(e.expr).every((v) => (fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type)?.kind !== 'bool')));
      if (recomputable) {
        recompute.add(ver);
        for (const [rv, rver] of r) {
          if (fn.locals.get(rv)?.kind === 'array' || fn.params.some((p) => p.name === rv && p.type.kind !== 'number')) continue;
          need(rv, rver);
        }
      } else {
        tapedAtDef.add(ver);
      }
    }
    return { recompute, tapedAtDef, available, entryNeeds };
  };
  const exprs = b.map((s) => (s.kind === 'assign' ? s.expr : null));
  const forced = new Set<number>();
  let closed = close(forced);
  for (;;) {
    const more = [...expensiveToRecord(exprs, reads, closed.recompute, closed.tapedAtDef, snapshotted)].filter((k) => !forced.has(k));
    if (more.length === 0) break;
    more.forEach((k) => forced.add(k));
    closed = close(forced);
  }
  const { recompute, tapedAtDef, available, entryNeeds } = closed;
  return {
    plan: {
      stmts: b,
      reads,
      snapshots: [],
      tapedAtDef,
      recompute,
      available,
      counterInits: new Set(),
      counterSteps: new Set(),
      guardInits: new Set(),
      reallocations: new Set(),
      argCopies: new Map(),
      restores,
      hasReverse,
    },
    entryNeeds,
  };
}
