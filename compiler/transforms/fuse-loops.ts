/**
 * Loop fusion before differentiation (issue #11). Two adjacent loops over
 * the same counter values
 *
 *   r = 0; while r < d: { xc[r] = x[..] - means[..]; r = r + 1 }
 *   q = 0; while q < d: { qxc[q] = qdiag[..] * xc[q]; q = q + 1 }
 *
 * become one loop whose trip r runs the first body, then the second:
 *
 *   r = 0; while r < d: { xc[r] = ...; qxc[r] = qdiag[..] * xc[r]; r = r + 1 }
 *
 * The rewrite runs on the Wengert list after lowering, before the analyses,
 * so the forward sweep, the adjoint sweep and forward mode each get one
 * loop instead of two (GMM: one loop fewer per point and component in each
 * sweep). It is exact: every statement computes the same value from the
 * same operands, only trips of the two loops are interleaved.
 *
 * Fused: two pre-test loops, no `@checkpoint`, each right after the
 * assignment that starts its counter and ending with the counter's step,
 * with equal starts, conditions and steps once the second counter is
 * named like the first; the counter assigned nowhere else in either body;
 * the start, condition and step reading nothing either body assigns (so
 * both loops make the same trips); the first counter not used by the second
 * loop nor the second by the first; and the dependence analysis
 * (analysis/loop-dependences.ts) finding no trip of one loop that touches
 * what another trip of the other writes. `break`, `continue` and `return`
 * inside a loop leave a flag in its condition or its step, so such loops do
 * not match. Plain assignments between the two loops that neither depend on
 * the first loop nor change what it reads (`let s = 0;` before a sum) move
 * before it. When the second counter is read after its loop, it gets the
 * first counter's final value (the same value: both loops made the same
 * trips); otherwise it is dropped from the function's locals.
 *
 * Inner lists are fused first, and a fused loop is tried again with the
 * next loop and its body again (the inner loops of the two bodies may now
 * be adjacent). The fused loop's location spans the source lines of both
 * loops, so its comments and source maps name them.
 */
import { fusionConflict, loopFacts, privateArrays } from '../analysis/loop-dependences.ts';
import { samePExpr, samePureExpr } from '../ir/equal.ts';
import type { Expr, IRFunction, Loc, Stmt } from '../ir/ir.ts';
import { renameVariable } from '../ir/rename.ts';
import { exprReads, forEachStmt, pexprReadsRef, pexprVars, stmtReads } from '../ir/walk.ts';

type Assign = Extract<Stmt, { kind: 'assign' }>;
type Loop = Extract<Stmt, { kind: 'loop' }>;

/** A loop `c = start; while (cond) { body; c = c ± step }`, found at `list[at]` (its start at `list[at - 1]`). */
interface CountedLoop {
  start: Assign;
  loop: Loop;
  counter: string;
  /** The body without its final step. */
  body: Stmt[];
  step: Assign;
}

/** Fuses the adjacent loops of `fn` that may be fused, in place; returns how many fusions were made. */
export function fuseLoops(fn: IRFunction): number {
  const privates = privateArrays(fn);
  let fused = 0;
  const fuseList = (list: Stmt[]): void => {
    for (const s of list) {
      if (s.kind === 'if') {
        fuseList(s.then);
        fuseList(s.else);
      } else if (s.kind === 'loop' && !s.checkpoint) fuseList(s.body);
    }
    for (let at = 0; at < list.length; at++) {
      for (;;) {
        const made = fuseAt(fn, list, at, privates);
        if (made === null) break;
        fused++;
        at = made;
        fuseList((list[at] as Loop).body);
      }
    }
  };
  fuseList(fn.body);
  return fused;
}

/**
 * Fuses the loop at `list[at]` with the next loop when that is legal;
 * returns the fused loop's index, or null.
 */
function fuseAt(fn: IRFunction, list: Stmt[], at: number, privates: ReadonlySet<string>): number | null {
  const first = countedLoop(list, at);
  if (!first) return null;
  let next = at + 1;
  while (next < list.length && list[next]!.kind === 'assign' && list[next + 1]?.kind !== 'loop') next++;
  const second = countedLoop(list, next + 1);
  if (!second) return null;
  const gap = list.slice(at + 1, next) as Assign[];
  // Neither loop may use the other's counter: after the renaming they would be one variable.
  if (first.counter !== second.counter && (mentions([first.start, first.loop], second.counter) > 0 || mentions([second.start, second.loop], first.counter) > 0)) return null;
  const renamed = first.counter === second.counter ? second : renameCounter(second, first.counter);
  if (!sameTrips(first, renamed)) return null;
  const firstFacts = loopFacts(first.body, first.loop.cond, first.counter);
  const secondFacts = loopFacts(renamed.body, renamed.loop.cond, first.counter);
  for (const v of [...pexprVars(first.loop.cond), ...exprReads(first.step.expr), ...exprReads(second.start.expr)]) {
    if (v !== first.counter && (firstFacts.writes.has(v) || secondFacts.writes.has(v))) return null;
  }
  if (fusionConflict(firstFacts, secondFacts, privates) !== null) return null;
  const firstTouches = new Set([...firstFacts.reads, ...firstFacts.writes, first.counter, ...exprReads(first.start.expr), ...exprReads(first.step.expr)]);
  if (!gap.every((g) => movesBefore(g, firstTouches, firstFacts.writes, first.counter))) return null;

  const needsFinal = first.counter !== second.counter && mentions(fn.body, second.counter) > mentions([second.start, second.loop], second.counter);
  const fused: Loop = {
    kind: 'loop',
    cond: first.loop.cond,
    body: [...first.body, ...renamed.body, first.step],
    test: 'pre',
    loc: spanning(first.loop.loc, second.loop.loc),
  };
  const final: Stmt[] = needsFinal ? [{ kind: 'assign', target: second.counter, expr: { kind: 'copy', src: { kind: 'var', name: first.counter } }, loc: second.start.loc }] : [];
  if (!needsFinal && first.counter !== second.counter) fn.locals.delete(second.counter);
  list.splice(at - 1, next + 3 - at, ...gap, first.start, fused, ...final);
  return at + gap.length;
}

/** The counted loop at `list[at]`, or null when it is not one. */
function countedLoop(list: readonly Stmt[], at: number): CountedLoop | null {
  const loop = list[at];
  const start = list[at - 1];
  if (!loop || loop.kind !== 'loop' || loop.test !== 'pre' || loop.checkpoint || !start || start.kind !== 'assign') return null;
  const counter = start.target;
  const step = loop.body[loop.body.length - 1];
  if (!step || step.kind !== 'assign' || step.target !== counter || !isStep(step.expr, counter)) return null;
  if (!isArithmetic(start.expr) || exprReads(start.expr).includes(counter) || !pexprVars(loop.cond).includes(counter)) return null;
  const body = loop.body.slice(0, -1);
  let assigned = false;
  forEachStmt(body, (s) => {
    if (s.kind === 'assign' && s.target === counter) assigned = true;
  });
  return assigned ? null : { start, loop, counter, body, step };
}

/** `c + k` or `c - k`, k a constant or another variable. */
function isStep(e: Expr, counter: string): boolean {
  if (e.kind !== 'prim' || (e.prim !== 'add' && e.prim !== 'sub') || e.args.length !== 2) return false;
  const [c, k] = e.args;
  return c!.kind === 'var' && c!.name === counter && (k!.kind === 'const' || (k!.kind === 'var' && k!.name !== counter));
}

/** Arithmetic on variables and constants, reading no memory. */
function isArithmetic(e: Expr): boolean {
  if (e.kind === 'prim' || e.kind === 'copy') return true;
  return e.kind === 'pure' && !pexprReadsRef(e.expr, () => true);
}

/** The second loop with its counter, start, condition and step renamed to `counter`. */
function renameCounter(loop: CountedLoop, counter: string): CountedLoop {
  const [start, renamedLoop] = renameVariable([loop.start, loop.loop], loop.counter, counter) as [Assign, Loop];
  return { start, loop: renamedLoop, counter, body: renamedLoop.body.slice(0, -1), step: renamedLoop.body[renamedLoop.body.length - 1] as Assign };
}

/** Do both loops (the second's counter renamed to the first's) start, test and step their counter alike? */
function sameTrips(first: CountedLoop, second: CountedLoop): boolean {
  return samePureExpr(first.start.expr, second.start.expr) && samePExpr(first.loop.cond, second.loop.cond) && samePureExpr(first.step.expr, second.step.expr);
}

/** May assignment `g`, between the loops, run before the first loop and its start instead? */
function movesBefore(g: Assign, firstTouches: ReadonlySet<string>, firstWrites: ReadonlySet<string>, counter: string): boolean {
  if (!isArithmetic(g.expr) || firstTouches.has(g.target)) return false;
  return exprReads(g.expr).every((v) => v !== counter && !firstWrites.has(v));
}

/** How many times the statements read or assign `v`. */
function mentions(list: readonly Stmt[], v: string): number {
  let n = 0;
  forEachStmt(list, (s) => {
    const used = s.kind === 'if' || s.kind === 'loop' ? pexprVars(s.cond) : stmtReads(s);
    n += used.filter((u) => u === v).length;
    if (s.kind === 'assign' && s.target === v) n++;
  });
  return n;
}

/** A location spanning the source lines of both loops. */
function spanning(a: Loc, b: Loc): Loc {
  const first = a.line <= b.line ? a : b;
  const lastLine = Math.max(a.lastLine ?? a.line, b.lastLine ?? b.line);
  return lastLine > first.line ? { line: first.line, column: first.column, lastLine } : { line: first.line, column: first.column };
}
