/**
 * Row loads hoisted out of loops in generated functions: in
 *
 *   while (j < w.length) { ... const t2 = X[i][j]; ... }
 *
 * `X[i]` is the same row on every trip, so it is read once before the loop
 * (`const X_i = X[i];`) and the loop reads `X_i[j]`, as a hand-written loop
 * over the rows of a matrix does. V8 does not do it itself: the row is a load
 * from a JS array, and the loop's typed-array stores keep it from being
 * proved invariant. The ridge gradient over Float64Array rows (bench/scalar.ts)
 * spent most of its gap to the hand-written one on these loads.
 *
 * A load `A[i]` is hoisted out of a loop when
 *   - it is the object of a further index (`A[i][j]`: a row read);
 *   - A is stable in the function: every mention of A is a row read or
 *     `A.length` (so nothing writes `A[i] = ...`, reassigns A, aliases it or
 *     passes it to a call that could);
 *   - i is a number literal or a variable the loop (header and body) neither
 *     writes nor declares;
 *   - the loop calls nothing but Math functions, runtime helpers and array
 *     push/pop (no user code that could reach A's rows another way).
 * Reading a row that the loop then never uses (zero trips, or an index past
 * the end: undefined) has no effect, so the rewrite computes the same.
 */
import { ts } from 'ts-morph';
import { freshName, identifiersOf, nullContext } from '../transforms/lanes.ts';
import { runtimeRefOf } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** Hoists row loads out of the loops of every function declaration in `statements`. */
export function hoistRows(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? hoistInFunction(s) : s));
}

function hoistInFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  const stable = stableArrays(fn.body!);
  if (stable.size === 0) return fn;
  const taken = identifiersOf(fn);
  const before = fn.body!.statements;
  const after = list(before, stable, taken);
  if (after.every((s, i) => s === before[i]) && after.length === before.length) return fn;
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(fn.body!, after));
}

/** `A[i]` with A an identifier and i an identifier or number literal: [A, i's text]. */
function rowLoad(e: ts.Expression): [string, string] | null {
  if (!ts.isElementAccessExpression(e) || !ts.isIdentifier(e.expression)) return null;
  const i = e.argumentExpression;
  if (ts.isIdentifier(i) || ts.isNumericLiteral(i)) return [e.expression.text, i.text];
  return null;
}

/** The arrays every mention of which is a row read `A[i][...]` or `A.length`. */
function stableArrays(body: ts.Block): Set<string> {
  const rowReads = new Set<string>();
  const other = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isElementAccessExpression(n) && ts.isElementAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression)) {
      rowReads.add(n.expression.expression.text);
      walk(n.expression.argumentExpression);
      walk(n.argumentExpression);
      return;
    }
    if (ts.isPropertyAccessExpression(n)) {
      if (ts.isIdentifier(n.expression) && n.name.text === 'length') return;
      walk(n.expression);
      return;
    }
    if (ts.isPropertyAssignment(n)) {
      if (ts.isComputedPropertyName(n.name)) walk(n.name.expression);
      walk(n.initializer);
      return;
    }
    if (ts.isTypeNode(n)) return;
    if (ts.isIdentifier(n)) {
      other.add(n.text);
      return;
    }
    ts.forEachChild(n, walk);
  };
  walk(body);
  return new Set([...rowReads].filter((a) => !other.has(a)));
}

function list(statements: readonly ts.Statement[], stable: ReadonlySet<string>, taken: Set<string>): ts.Statement[] {
  return statements.flatMap((s) => statement(s, stable, taken));
}

function statement(s: ts.Statement, stable: ReadonlySet<string>, taken: Set<string>): ts.Statement[] {
  if (ts.isLabeledStatement(s)) return [f.updateLabeledStatement(s, s.label, inner(s.statement, stable, taken))];
  if (ts.isWhileStatement(s) || ts.isDoStatement(s) || ts.isForStatement(s)) {
    const hoisted = invariantRows(s, stable);
    const names = new Map<string, string>();
    const out: ts.Statement[] = [];
    for (const [key, [a, i]] of hoisted) {
      const name = freshName(`${a}_${/^\d+$/.test(i) ? i : i.replace(/\W/g, '')}`, taken);
      names.set(key, name);
      const index = /^\d/.test(i) ? f.createNumericLiteral(i) : f.createIdentifier(i);
      out.push(f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(name, undefined, undefined, f.createElementAccessExpression(f.createIdentifier(a), index))], ts.NodeFlags.Const)));
    }
    const replaced = names.size ? replaceRows(s, names) : s;
    return [...out, inner(replaced, stable, taken)];
  }
  return [inner(s, stable, taken)];
}

/** `s` with the statement lists inside it processed (loops nested in blocks, branches and loop bodies). */
function inner<T extends ts.Statement>(s: T, stable: ReadonlySet<string>, taken: Set<string>): T {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n;
    if (ts.isBlock(n)) return f.updateBlock(n, list(n.statements, stable, taken));
    // A labelled loop keeps its loads (a statement before it would come between the label and the loop).
    if (ts.isLabeledStatement(n)) return f.updateLabeledStatement(n, n.label, inner(n.statement, stable, taken));
    if (ts.isWhileStatement(n) || ts.isDoStatement(n) || ts.isForStatement(n)) {
      const out = statement(n, stable, taken);
      return out.length === 1 ? out[0]! : f.createBlock(out, true);
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return ts.visitEachChild(s, visit, nullContext) as T;
}

/** The row loads of a loop that are the same on every trip, keyed `A[i]`. */
function invariantRows(loop: ts.IterationStatement, stable: ReadonlySet<string>): Map<string, [string, string]> {
  const written = new Set<string>();
  let callsOut = false;
  const rows = new Map<string, [string, string]>();
  const walk = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) {
      callsOut = true;
      return;
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= K.FirstAssignment && n.operatorToken.kind <= K.LastAssignment) assigned(n.left, written);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken)) assigned(n.operand, written);
    if (ts.isVariableDeclaration(n)) declared(n.name, written);
    if (ts.isCallExpression(n) && !harmlessCall(n)) callsOut = true;
    if (ts.isElementAccessExpression(n) && ts.isElementAccessExpression(n.expression)) {
      const load = rowLoad(n.expression);
      if (load && stable.has(load[0])) rows.set(`${load[0]}[${load[1]}]`, load);
    }
    ts.forEachChild(n, walk);
  };
  walk(loop);
  if (callsOut) return new Map();
  return new Map([...rows].filter(([, [a, i]]) => !written.has(a) && (/^\d/.test(i) || !written.has(i))));
}

function assigned(target: ts.Expression, into: Set<string>): void {
  if (ts.isIdentifier(target)) into.add(target.text);
  else if (ts.isArrayLiteralExpression(target)) target.elements.forEach((e) => assigned(e, into));
  else if (ts.isParenthesizedExpression(target) || ts.isNonNullExpression(target)) assigned(target.expression, into);
}

function declared(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) declared(e.name, into);
}

/** Math.f(...), a runtime helper, or `x.push(...)` / `x.pop()` (the tapes, local arrays). */
function harmlessCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return runtimeRefOf(callee) !== undefined;
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return false;
  if (callee.expression.text === 'Math') return true;
  return callee.name.text === 'push' || callee.name.text === 'pop';
}

/** `s` with each hoisted `A[i]` read as its local. */
function replaceRows<T extends ts.Node>(s: T, names: ReadonlyMap<string, string>): T {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isElementAccessExpression(n)) {
      const load = rowLoad(n);
      const name = load && names.get(`${load[0]}[${load[1]}]`);
      if (name) return f.createIdentifier(name);
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(s) as T;
}
