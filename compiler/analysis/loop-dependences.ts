/**
 * Dependence analysis for loop fusion (transforms/fuse-loops.ts): may two
 * adjacent loops over the same counter values run as one, trip r of the
 * second right after trip r of the first?
 *
 * That is legal when no trip of one loop touches what a different trip of
 * the other writes, which the analysis proves from what each body reads
 * and writes:
 *   - no effects the analysis cannot see into: calls (differentiable or
 *     not), `push` and `pop`;
 *   - scalars: a variable one body assigns is neither read nor assigned by
 *     the other (a sum carried from the first loop into the second, a
 *     bound one loop changes);
 *   - memory: an array one body stores into is, in both bodies, accessed
 *     only at the counter itself (`xc[r]`, never `xc[r + 1]`, `xc[c]` of
 *     another counter or `xc.length`), so trip r of each loop touches only
 *     element r; and two different arrays, one of them stored into, must be
 *     distinct objects: at least one of them is a private array.
 *
 * A private array is a local number array the function allocates itself
 * (`new Float64Array(d)`, a copy) and never lets another name reach: it is
 * only ever indexed, or passed to a call that returns a number. No other
 * variable, parameter or row can alias it.
 */
import type { IRFunction, Operand, PExpr, Ref, SimpleStmt, Stmt } from '../ir/ir.ts';
import { forEachStmt, operandVars, pexprVars, stmtReads } from '../ir/walk.ts';

/** One memory access: the array read or written, and whether it is exactly `base[counter]`. */
export interface Access {
  base: string;
  write: boolean;
  atCounter: boolean;
}

/** What one loop body (its step left out) and the loop's condition read and write. */
export interface LoopFacts {
  /** Variables assigned. */
  writes: Set<string>;
  /** Variables read: operands, array bases, indexes, conditions. */
  reads: Set<string>;
  accesses: Access[];
  /** A call, `push` or `pop` somewhere in the body. */
  effects: boolean;
}

/** The facts of `body` under loop condition `cond`, with accesses classified against `counter`. */
export function loopFacts(body: readonly Stmt[], cond: PExpr, counter: string): LoopFacts {
  const facts: LoopFacts = { writes: new Set(), reads: new Set(), accesses: [], effects: false };
  const access = (ref: Ref, write: boolean) => facts.accesses.push({ base: ref.base, write, atCounter: isAtCounter(ref, counter) });
  const condition = (p: PExpr) => {
    for (const v of pexprVars(p)) facts.reads.add(v);
    for (const { ref, exact } of pexprRefs(p)) facts.accesses.push({ base: ref.base, write: false, atCounter: exact && isAtCounter(ref, counter) });
  };
  condition(cond);
  forEachStmt(body, (s) => {
    if (s.kind === 'if' || s.kind === 'loop') return condition(s.cond);
    if (s.kind === 'return') return;
    for (const v of stmtReads(s)) facts.reads.add(v);
    if (s.kind === 'push') facts.effects = true;
    if (s.kind === 'store') access(s.ref, true);
    if (s.kind !== 'assign') return;
    facts.writes.add(s.target);
    const e = s.expr;
    if (e.kind === 'call' || e.kind === 'opaqueCall') facts.effects = true;
    if (e.kind === 'pop') facts.effects = true;
    if (e.kind === 'load' || e.kind === 'copyArray' || e.kind === 'pop') access(e.kind === 'copyArray' ? e.src : e.ref, false);
    if (e.kind === 'pure') condition(e.expr);
  });
  return facts;
}

/**
 * Why trips of `first` and `second` (both classified against the same
 * counter) may not be interleaved, or null when they may. `privateArrays`
 * comes from `privateArrays(fn)`.
 */
export function fusionConflict(first: LoopFacts, second: LoopFacts, privates: ReadonlySet<string>): string | null {
  if (first.effects || second.effects) return 'a call, push or pop';
  for (const v of first.writes) {
    if (second.reads.has(v) || second.writes.has(v)) return `${v} is assigned by the first loop and used by the second`;
  }
  for (const v of second.writes) if (first.reads.has(v)) return `${v} is assigned by the second loop and read by the first`;
  const pairs: [LoopFacts, LoopFacts][] = [
    [first, second],
    [second, first],
  ];
  for (const [mine, other] of pairs) {
    for (const w of mine.accesses.filter((a) => a.write)) {
      for (const o of other.accesses) {
        if (o.base === w.base) {
          const all = [...mine.accesses, ...other.accesses].filter((a) => a.base === w.base);
          if (!all.every((a) => a.atCounter)) return `${w.base} is written by one loop and accessed by the other at another index`;
        } else if (!privates.has(w.base) && !privates.has(o.base)) {
          return `${w.base} and ${o.base} may be the same array`;
        }
      }
    }
  }
  return null;
}

/** The local number arrays of `fn` that no other name can reach (see the top comment). */
export function privateArrays(fn: IRFunction): Set<string> {
  const candidates = new Set([...fn.locals].filter(([, t]) => t.kind === 'array' && t.elem.kind === 'number').map(([name]) => name));
  const escape = (ops: readonly Operand[]) => {
    for (const v of operandVars(ops)) candidates.delete(v);
  };
  const escapeIn = (p: PExpr) => {
    for (const o of pexprOperands(p)) escape([o]);
  };
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'if' || s.kind === 'loop') return escapeIn(s.cond);
    if (s.kind === 'return') return escape([s.value]);
    if (s.kind !== 'assign') return escape([(s as Exclude<SimpleStmt, { kind: 'assign' }>).value]);
    const e = s.expr;
    if (e.kind !== 'newArray' && e.kind !== 'copyArray') candidates.delete(s.target);
    if (e.kind === 'call' && e.callee.returns.kind === 'number') return;
    if (e.kind === 'prim' || e.kind === 'tensorOp' || e.kind === 'opaqueCall' || e.kind === 'call') escape(e.args);
    if (e.kind === 'copy') escape([e.src]);
    if (e.kind === 'newArray') escape(e.elems);
    if (e.kind === 'record') escape(e.fields.map((f) => f.value));
    if (e.kind === 'pure') escapeIn(e.expr);
  });
  return candidates;
}

/** `a[counter]`: one index, the counter itself. */
function isAtCounter(ref: Ref, counter: string): boolean {
  const only = ref.path.length === 1 ? ref.path[0]! : null;
  return only !== null && only.kind === 'index' && only.index.kind === 'var' && only.index.name === counter;
}

/** The memory references of a pure expression; `exact` is false for lengths and computed elements. */
function pexprRefs(p: PExpr, out: { ref: Ref; exact: boolean }[] = []): { ref: Ref; exact: boolean }[] {
  switch (p.kind) {
    case 'load':
      out.push({ ref: p.ref, exact: true });
      break;
    case 'length':
      out.push({ ref: p.ref, exact: false });
      break;
    case 'element':
      out.push({ ref: p.ref, exact: false });
      pexprRefs(p.index, out);
      break;
    default:
      for (const child of pexprChildren(p)) pexprRefs(child, out);
  }
  return out;
}

/** The operands a pure expression uses as values (not as array bases or indexes). */
function pexprOperands(p: PExpr, out: Operand[] = []): Operand[] {
  if (p.kind === 'operand') out.push(p.op);
  for (const child of pexprChildren(p)) pexprOperands(child, out);
  return out;
}

function pexprChildren(p: PExpr): PExpr[] {
  switch (p.kind) {
    case 'binary':
      return [p.left, p.right];
    case 'unary':
      return [p.expr];
    case 'math':
      return p.args;
    case 'element':
      return [p.index];
    case 'cond':
      return [p.test, p.whenTrue, p.whenFalse];
    default:
      return [];
  }
}
