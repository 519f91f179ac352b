/**
 * Lowering of `switch` statements into the IR's `if`s.
 *
 * The common switch, where every clause but the last ends in `break`,
 * `return` or `continue` and `default` (if any) comes last, becomes an
 * if / else-if chain on `discriminant === label`, with the clauses'
 * trailing `break`s dropped:
 *
 *   switch (k) { case 0: y = a; break; case 1: case 2: y = b; break; default: y = c; }
 *   if (k === 0) { y = a } else if (k === 1 || k === 2) { y = b } else { y = c }
 *
 * Any other switch (a clause that falls through into the next one, a
 * `default` before other clauses) becomes one `if` per clause, run when
 * its label matches or when control fell into it from the clause above
 * (the `matched` flag), and not after an earlier clause left the switch
 * (the flags of break, continue and return, as in loops).
 *
 * The discriminant is evaluated once, before any clause; labels are pure
 * expressions, compared with `===` as JavaScript does.
 */
import { Node } from 'ts-morph';
import type { BreakStatement, Expression, Statement, SwitchStatement } from 'ts-morph';
import { bool, num, varOp, type PExpr, type Stmt } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import { hasSideEffects } from './lower-effects.ts';
import type { Exits, Lowerer } from './lower.ts';
import { classifyType } from './types.ts';

/** Consecutive clauses that share one body: `case 1: case 2: body`. */
interface Group {
  /** `discriminant === label`, one per case label of the group. */
  tests: PExpr[];
  hasDefault: boolean;
  statements: Statement[];
  at: Node;
}

export function lowerSwitch(L: Lowerer, s: SwitchStatement, label: string | null, out: Stmt[]): Exits {
  const pre: Stmt[] = [];
  const d = discriminant(L, s.getExpression(), pre);
  const groups = groupClauses(L, s, d, pre);
  const last = groups.length - 1;
  const defaultAt = groups.findIndex((g) => g.hasDefault);
  const isChain = (defaultAt === -1 || defaultAt === last) && groups.slice(0, last).every((g) => tailBreaks(g.statements, label) !== null);
  // A trailing break is the end of its branch in a chain; in the last clause, it is the end of the switch.
  for (const g of isChain ? groups : groups.slice(last)) {
    for (const b of tailBreaks(g.statements, label) ?? []) L.clauseEnds.add(b);
  }
  return L.lowerBreakable('switch', label, s, out, (body) => {
    body.push(...pre);
    return isChain ? lowerChain(L, groups, body) : lowerFallThrough(L, groups, body);
  });
}

/** `switch (x)` evaluated once: a variable, constant or load as it is, anything else into a temporary. */
function discriminant(L: Lowerer, e: Expression, out: Stmt[]): PExpr {
  const p = L.condition(e, out, 'if');
  if (p.kind === 'operand' || p.kind === 'bool' || p.kind === 'load' || p.kind === 'length') return p;
  const type = classifyType(e.getType());
  if (type.kind !== 'number' && type.kind !== 'bool') return p;
  const v = L.temp(type.kind === 'number' ? num : bool);
  out.push(L.assignPure(v, p, e));
  return { kind: 'operand', op: varOp(v) };
}

/** The clauses in order, empty ones merged into the clause below; label tests are lowered into `pre`. */
function groupClauses(L: Lowerer, s: SwitchStatement, d: PExpr, pre: Stmt[]): Group[] {
  const groups: Group[] = [];
  let pending: Group | null = null;
  for (const clause of s.getCaseBlock().getClauses()) {
    const group: Group = pending ?? { tests: [], hasDefault: false, statements: [], at: clause };
    if (Node.isCaseClause(clause)) {
      const labelExpr = clause.getExpression();
      if (hasSideEffects(labelExpr)) {
        fail(labelExpr, `the case label ${labelExpr.getText()} changes a variable`, 'case labels are compared, not run: compute the value before the switch');
      }
      group.tests.push(caseTest(d, L.condition(labelExpr, pre, 'if'), labelExpr));
    } else {
      group.hasDefault = true;
    }
    group.statements = clause.getStatements();
    if (group.statements.length === 0) {
      pending = group;
      continue;
    }
    groups.push(group);
    pending = null;
  }
  if (pending) groups.push(pending);
  return groups;
}

/** `d === label`; under `switch (true)`, a boolean label is its own test. */
function caseTest(d: PExpr, labelValue: PExpr, labelExpr: Expression): PExpr {
  if (d.kind === 'bool' && classifyType(labelExpr.getType()).kind === 'bool') {
    return d.value ? labelValue : { kind: 'unary', op: '!', expr: labelValue };
  }
  return { kind: 'binary', op: '===', left: d, right: labelValue };
}

function anyOf(tests: PExpr[]): PExpr {
  if (tests.length === 0) return { kind: 'bool', value: false };
  return tests.reduce((a, b) => ({ kind: 'binary', op: '||', left: a, right: b }));
}

/** if (tests of clause 0) { body 0 } else if (...) { ... } else { default }. */
function lowerChain(L: Lowerer, groups: Group[], body: Stmt[]): Exits {
  const lowered = groups.map((g) => {
    const list: Stmt[] = [];
    const exits = L.withScope(() => L.lowerBlock(g.statements, list));
    return { list, exits };
  });
  let tail: Stmt[] = [];
  // With no default, no label matching falls through to after the switch.
  let tailExits: Exits = { may: new Set(), always: false };
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i]!;
    const { list, exits } = lowered[i]!;
    if (g.hasDefault) {
      tail = list;
      tailExits = exits;
      continue;
    }
    if (list.length === 0 && tail.length === 0) continue;
    const stmt: Extract<Stmt, { kind: 'if' }> = { kind: 'if', cond: anyOf(g.tests), then: list, else: tail, loc: L.loc(g.at) };
    tailExits = {
      may: new Set([...exits.may, ...tailExits.may]),
      always: exits.always && tailExits.always,
      split: { stmt, then: exits, else: tailExits },
    };
    tail = [stmt];
  }
  body.push(...tail);
  return tailExits;
}

/** One `if` per clause: entered on its label, or by falling through from the clause above. */
function lowerFallThrough(L: Lowerer, groups: Group[], body: Stmt[]): Exits {
  const last = groups.length - 1;
  const matched = L.flag('matched');
  body.push(L.assignPure(matched, { kind: 'bool', value: false }, groups[0]!.at));
  const noneMatch: PExpr = { kind: 'unary', op: '!', expr: anyOf(groups.flatMap((g) => g.tests)) };
  const stopping = new Set<string>();
  let lastAlways = false;
  groups.forEach((g, i) => {
    let test = anyOf(g.hasDefault ? [...g.tests, noneMatch] : g.tests);
    if (i > 0) test = { kind: 'binary', op: '||', left: { kind: 'operand', op: varOp(matched) }, right: test };
    const cond: PExpr = stopping.size > 0 ? { kind: 'binary', op: '&&', left: L.notAny(stopping), right: test } : test;
    const then: Stmt[] = [];
    if (i < last) then.push(L.assignPure(matched, { kind: 'bool', value: true }, g.at));
    const exits = L.withScope(() => L.lowerBlock(g.statements, then));
    for (const e of exits.may) stopping.add(e);
    lastAlways = exits.always;
    body.push({ kind: 'if', cond, then, else: [], loc: L.loc(g.at) });
  });
  // With a default some clause is entered, and control runs on to the last one unless it leaves.
  return { may: stopping, always: groups.some((g) => g.hasDefault) && lastAlways };
}

/**
 * The `break`s that end a clause (its last statement, or the last of both
 * branches of a final if / else), or null when the clause can run off its
 * end into the next one. A return or continue ends a clause with no break.
 */
function tailBreaks(statements: Statement[], label: string | null): BreakStatement[] | null {
  const lastStmt = statements[statements.length - 1];
  return lastStmt ? tailBreaksOf(lastStmt, label) : null;
}

function tailBreaksOf(s: Statement, label: string | null): BreakStatement[] | null {
  if (Node.isBreakStatement(s)) {
    const target = s.getLabel()?.getText();
    return !target || target === label ? [s] : [];
  }
  if (Node.isReturnStatement(s) || Node.isContinueStatement(s)) return [];
  if (Node.isBlock(s)) return tailBreaks(s.getStatements(), label);
  if (Node.isIfStatement(s)) {
    const els = s.getElseStatement();
    if (!els) return null;
    const a = tailBreaksOf(s.getThenStatement(), label);
    const b = tailBreaksOf(els, label);
    return a && b ? [...a, ...b] : null;
  }
  return null;
}
