/**
 * Updates and assignments inside expressions (`x = ++t[0]`, `s += xs[i++]`,
 * `if ((d = g(x)) > tol)`, `while (n--)`) and destructuring assignment
 * (`[a, b] = [b, a * b]`, `[x, y] = pair(u)`), lowered in JavaScript's
 * evaluation order.
 *
 * Lowering turns an expression into statements; an update inside it
 * becomes statements too, placed where JavaScript evaluates it. Operands
 * that name a variable are read when the primitive using them runs, so a
 * variable read before a later part of the same expression assigns it
 * (`i + i++`) is copied first; code without such updates is lowered
 * exactly as before. In conditions, `&&`, `||` and `?:` whose later part
 * updates something become `if`s, so the update runs only when
 * JavaScript would run it.
 */
import { Node, ts } from 'ts-morph';
import type { ArrayLiteralExpression, BinaryExpression, ConditionalExpression, Expression } from 'ts-morph';
import { bool, constOp, num, varOp, type Operand, type PExpr, type Stmt, type VarType } from '../ir/ir.ts';
import { pexprVars } from '../ir/walk.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import { lowerExpression, lowerPlace, lowerTensor, toPExpr } from './lower-expr.ts';
import { classifyType } from './types.ts';
import { destructuringAssignStructure } from './lower-objects.ts';
import { localCallEffects } from './lower-closures.ts';

/** True when evaluating `node` may assign a variable or an element: it holds `++`, `--` or an assignment. */
export function hasSideEffects(node: Node): boolean {
  return containsUpdate(node.compilerNode);
}

function containsUpdate(n: ts.Node): boolean {
  // A call of a local function or an array method with a callback: inlined statements (lower-closures.ts).
  if (ts.isCallExpression(n) && localCallEffects(n)) return true;
  if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) {
    if (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) return true;
  }
  if (ts.isBinaryExpression(n)) {
    const op = n.operatorToken.kind;
    if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) return true;
  }
  return ts.forEachChild(n, containsUpdate) ?? false;
}

/**
 * The variables evaluating `node` may assign: the IR names of the locals
 * it updates, and of the arrays and objects whose elements or fields it
 * writes (`t[i] = e` assigns t).
 */
export function assignedVariables(L: Lowerer, node: Node): Set<string> {
  const names = new Set<string>();
  const addTarget = (t: ts.Expression): void => {
    while (ts.isParenthesizedExpression(t) || ts.isNonNullExpression(t)) t = t.expression;
    if (ts.isArrayLiteralExpression(t)) {
      t.elements.forEach(addTarget);
      return;
    }
    while (ts.isElementAccessExpression(t) || ts.isPropertyAccessExpression(t)) t = t.expression;
    if (!ts.isIdentifier(t)) return;
    const b = L.lookup(t.text);
    if (b?.kind === 'var') names.add(b.name);
    else if (b?.kind === 'alias') names.add(b.ref.base);
  };
  const visit = (n: ts.Node): void => {
    // The enclosing locals a local function called here assigns.
    for (const name of (ts.isCallExpression(n) && localCallEffects(n)?.writes) || []) {
      const b = L.lookup(name);
      if (b?.kind === 'var') names.add(b.name);
      else if (b?.kind === 'alias') names.add(b.ref.base);
    }
    if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) {
      if (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) addTarget(n.operand);
    } else if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.kind;
      if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) addTarget(n.left);
    }
    ts.forEachChild(n, visit);
  };
  visit(node.compilerNode);
  return names;
}

/** For each of `nodes`, the variables the nodes after it may assign. */
export function laterAssigned(L: Lowerer, nodes: Node[]): Set<string>[] {
  const later = nodes.map(() => new Set<string>());
  for (let i = nodes.length - 2; i >= 0; i--) {
    later[i] = new Set([...later[i + 1]!, ...(hasSideEffects(nodes[i + 1]!) ? assignedVariables(L, nodes[i + 1]!) : [])]);
  }
  return later;
}

/**
 * `v`, or a copy of it when it names a variable in `assigned` (one that
 * code lowered after this point assigns), so it keeps the value it has now.
 */
export function snapshot(L: Lowerer, v: Operand, assigned: ReadonlySet<string>, out: Stmt[], at: Node): Operand {
  if (v.kind !== 'var' || !assigned.has(v.name)) return v;
  const type: VarType | undefined = L.fn.locals.get(v.name) ?? L.fn.params.find((p) => p.name === v.name)?.type;
  if (!type || (type.kind !== 'number' && type.kind !== 'tensor' && type.kind !== 'bool')) return v;
  const t = L.temp(type);
  const expr = type.kind === 'bool' ? { kind: 'pure' as const, expr: { kind: 'operand' as const, op: v } } : { kind: 'copy' as const, src: v };
  out.push({ kind: 'assign', target: t, expr, loc: L.loc(at) });
  return varOp(t);
}

/** Lowers `nodes` left to right; a variable operand that a later node assigns is snapshotted. */
export function lowerInOrder<T extends Node>(L: Lowerer, nodes: T[], out: Stmt[], lowerOne: (n: T) => Operand): Operand[] {
  const later = laterAssigned(L, nodes);
  return nodes.map((n, i) => snapshot(L, lowerOne(n), later[i]!, out, n));
}

/** A condition's value fixed before code that assigns one of the variables it reads. */
function pureSnapshot(L: Lowerer, p: PExpr, assigned: ReadonlySet<string>, e: Expression, out: Stmt[]): PExpr {
  if (!pexprVars(p).some((v) => assigned.has(v))) return p;
  const type = classifyType(e.getType());
  if (type.kind !== 'number' && type.kind !== 'bool') return p;
  const t = L.temp(type.kind === 'number' ? num : bool);
  out.push(L.assignPure(t, p, e));
  return { kind: 'operand', op: varOp(t) };
}

/**
 * A condition with an update in a part JavaScript evaluates later or only
 * sometimes, or null when `e` needs none of this. `a && b`, `a || b` and
 * `c ? a : b` become `if`s that set a temporary; for other operators the
 * left operand is fixed before the right one runs.
 */
export function sequencedCondition(L: Lowerer, e: Expression, out: Stmt[]): PExpr | null {
  if (Node.isConditionalExpression(e)) {
    if (!hasSideEffects(e.getWhenTrue()) && !hasSideEffects(e.getWhenFalse())) return null;
    return conditionalValue(L, e, out);
  }
  if (!Node.isBinaryExpression(e)) return null;
  const op = e.getOperatorToken().getText();
  if (op === ',') {
    lowerExpression(L, e.getLeft(), out, null, true);
    return toPExpr(L, e.getRight(), out, 'if');
  }
  if (!hasSideEffects(e.getRight())) return null;
  if (op === '&&' || op === '||') return shortCircuit(L, e, op, out);
  const left = pureSnapshot(L, toPExpr(L, e.getLeft(), out, 'if'), assignedVariables(L, e.getRight()), e.getLeft(), out);
  return { kind: 'binary', op, left, right: toPExpr(L, e.getRight(), out, 'if') };
}

/** A temporary for the value of `e` (a number or a boolean), or a located refusal. */
function resultTemp(L: Lowerer, e: Expression): string {
  const type = classifyType(e.getType());
  if (type.kind !== 'number' && type.kind !== 'bool') {
    fail(e, `${e.getText()} mixes numbers and booleans around an update`, 'give both sides the same type (compare the numbers: n-- > 0), or compute the update on its own line first');
  }
  return L.temp(type.kind === 'number' ? num : bool);
}

/** `r = a; if (r) r = b` for `a && b` (`if (!r)` for `||`): b, and its updates, run only when JavaScript runs them. */
function shortCircuit(L: Lowerer, e: BinaryExpression, op: '&&' | '||', out: Stmt[]): PExpr {
  const r = resultTemp(L, e);
  out.push(L.assignPure(r, toPExpr(L, e.getLeft(), out, 'if'), e.getLeft()));
  const then: Stmt[] = [];
  then.push(L.assignPure(r, toPExpr(L, e.getRight(), then, 'if'), e.getRight()));
  const rv: PExpr = { kind: 'operand', op: varOp(r) };
  out.push({ kind: 'if', cond: op === '&&' ? rv : { kind: 'unary', op: '!', expr: rv }, then, else: [], loc: L.loc(e) });
  return rv;
}

function conditionalValue(L: Lowerer, e: ConditionalExpression, out: Stmt[]): PExpr {
  const r = resultTemp(L, e);
  const test = toPExpr(L, e.getCondition(), out, 'if');
  const then: Stmt[] = [];
  const els: Stmt[] = [];
  then.push(L.assignPure(r, toPExpr(L, e.getWhenTrue(), then, 'if'), e.getWhenTrue()));
  els.push(L.assignPure(r, toPExpr(L, e.getWhenFalse(), els, 'if'), e.getWhenFalse()));
  out.push({ kind: 'if', cond: test, then, else: els, loc: L.loc(e) });
  return { kind: 'operand', op: varOp(r) };
}

/** A condition as a boolean: itself when it is one, `!!x` for a number (JavaScript's truthiness, NaN and 0 false). */
export function asBoolean(p: PExpr, e: Expression): PExpr {
  if (classifyType(e.getType()).kind === 'bool') return p;
  return { kind: 'unary', op: '!', expr: { kind: 'unary', op: '!', expr: p } };
}

/**
 * `[a, b] = [b, a * b]`: every value on the right is computed before any
 * target is assigned, as JavaScript does (a target read on the right is
 * copied first). `[x, y] = pair(u)` and `[x, y] = xs`: the elements of the
 * tuple or array in order.
 */
export function destructuringAssignment(L: Lowerer, pattern: ArrayLiteralExpression, right: Expression, out: Stmt[]): void {
  const targets = pattern.getElements();
  for (const t of targets) {
    if (Node.isSpreadElement(t)) fail(t, 'a rest element in a destructuring assignment is not supported', 'assign the elements you need one by one, and read the rest by index');
    if (Node.isBinaryExpression(t)) fail(t, 'a default value in a destructuring assignment is not supported', 'assign the element, then replace it when it is undefined on a line of its own');
    if (Node.isArrayLiteralExpression(t) || Node.isObjectLiteralExpression(t)) fail(t, 'nested destructuring is not supported', 'destructure one level at a time into locals');
  }
  let inner = right;
  while (Node.isParenthesizedExpression(inner) || Node.isAsExpression(inner) || Node.isSatisfiesExpression(inner)) inner = inner.getExpression();
  if (Node.isArrayLiteralExpression(inner) && !inner.getElements().some((x) => Node.isSpreadElement(x))) {
    const elems = inner.getElements() as Expression[];
    if (elems.length < targets.length) fail(inner, `${targets.length} targets get ${elems.length} values`, 'give every target a value');
    const assigned = new Set<string>();
    for (const t of targets) {
      const b = Node.isIdentifier(t) ? L.lookup(t.getText()) : undefined;
      if (b?.kind === 'var') assigned.add(b.name);
    }
    // Every value is read before the targets are assigned: a target read on the right is copied.
    const later = laterAssigned(L, elems).map((names) => new Set([...names, ...assigned]));
    const values = elems.map((el, k) => {
      const v = classifyType(el.getType()).kind === 'tensor' ? lowerTensor(L, el, out, null) : lowerExpression(L, el, out, null);
      return snapshot(L, v, later[k]!, out, el);
    });
    targets.forEach((t, k) => {
      if (!Node.isOmittedExpression(t)) assignOperand(L, t as Expression, values[k]!, out);
    });
    return;
  }
  // `[h, c] = lstmCell(p, x, [h, c])`: a result holding tensors (lower-objects.ts).
  if (destructuringAssignStructure(L, targets, right, out)) return;
  const arr = L.lowerArrayValue(right, out);
  targets.forEach((t, k) => {
    if (Node.isOmittedExpression(t)) return;
    const v = L.temp();
    out.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: { base: arr, path: [{ kind: 'index', index: constOp(k) }] } }, loc: L.loc(t) });
    assignOperand(L, t as Expression, varOp(v), out);
  });
}

/** `target = v` for a variable, an element or a field of a local. */
function assignOperand(L: Lowerer, target: Expression, v: Operand, out: Stmt[]): void {
  const place = lowerPlace(L, target, out);
  if (place.kind === 'var') {
    out.push({ kind: 'assign', target: place.name, expr: { kind: 'copy', src: v }, loc: L.loc(target) });
    return;
  }
  place.write(v, out, target);
}

