/**
 * What the loop passes over emitted code (invariant-reads.ts,
 * versioned-loops.ts) share: which statements are loops, the names a
 * declaration binds or an assignment writes, and the names in scope at a
 * point of a statement list.
 */
import { ts } from 'ts-morph';

const K = ts.SyntaxKind;

export type Loop = ts.ForStatement | ts.WhileStatement | ts.DoStatement;

export function isLoop(n: ts.Node): n is Loop {
  return ts.isForStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
}

/**
 * The names declared before a point in the lists around it (parameters included): the bindings
 * code at that point sees, initialised by the time it runs.
 */
export type Scope = ReadonlySet<string>;

/** The names a declaration binds, added to `into`. */
export function bindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bindingNames(e.name, into);
}

/** `scope` with the names a `for` header declares, which are in scope in its body. */
export function forHeaderScope(s: ts.Statement, scope: Scope): Scope {
  if (!ts.isForStatement(s) || !s.initializer || !ts.isVariableDeclarationList(s.initializer)) return scope;
  const names = new Set(scope);
  for (const d of s.initializer.declarations) bindingNames(d.name, names);
  return names;
}

/** The names an assignment to `target` writes, added to `into`; a destructuring target counts every name in it. */
export function assignedNames(target: ts.Expression, into: Set<string>): void {
  target = skipParens(target);
  if (ts.isIdentifier(target)) into.add(target.text);
  else if (ts.isArrayLiteralExpression(target)) target.elements.forEach((e) => assignedNames(ts.isSpreadElement(e) ? e.expression : e, into));
  else if (ts.isObjectLiteralExpression(target)) {
    for (const p of target.properties) {
      if (ts.isShorthandPropertyAssignment(p)) into.add(p.name.text);
      else if (ts.isPropertyAssignment(p)) assignedNames(p.initializer, into);
      else if (ts.isSpreadAssignment(p)) assignedNames(p.expression, into);
    }
  } else if (ts.isNonNullExpression(target) || ts.isAsExpression(target)) assignedNames(target.expression, into);
}

/** Is `n` an assignment (`=`, `+=`, ...)? */
export function isAssignment(n: ts.Node): n is ts.AssignmentExpression<ts.AssignmentOperatorToken> {
  return ts.isBinaryExpression(n) && n.operatorToken.kind >= K.FirstAssignment && n.operatorToken.kind <= K.LastAssignment;
}

/** Is `n` an increment or decrement (`++x`, `x--`)? */
export function isIncrement(n: ts.Node): n is ts.PrefixUnaryExpression | ts.PostfixUnaryExpression {
  return (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken);
}

export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}
