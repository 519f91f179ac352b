/**
 * `vjp_f` without the value. `valueAndVjp_f` computes f's value alongside
 * the adjoint; `vjp_f` and `grad_f` throw the value away. Where computing
 * it costs something the adjoint does not need (GMM: `Math.log(sum)` per
 * point, the prior's sums, `wishartConstant`'s log-gamma), `vjp_f` gets a
 * body of its own: a copy of `valueAndVjp_f`'s whose `return [value, grads]`
 * is `return grads`, with every computation that then feeds nothing
 * removed. That is Tapenade's adjoint without the primal result.
 *
 * The removal is a mark-and-sweep over names, the same for every trip of
 * every loop (flow-insensitive, so it keeps more, never less):
 *   - a *definition* is `const x = e`, `let x = e`, `let x`, `x = e`,
 *     `x op= e` or `x++` where `e` has no side effect (names, literals,
 *     arithmetic, element reads, Math functions but `Math.random`, and
 *     calls of plain functions found pure, compiler/frontend/pure-functions.ts);
 *   - every other statement is a *root*: stores into arrays, tape pushes and
 *     pops, calls, returns, the conditions and headers of `if` and loops,
 *     and any statement this pass does not take apart (`try`, `switch`,
 *     labels, declarations of several names or of patterns);
 *   - a name is needed when a root reads it, or a definition of a needed
 *     name reads it; every definition of a name that is not needed goes.
 * A removed definition has no effect and nothing needed reads what it
 * wrote, so the gradient is the same number for number.
 *
 * `vjp_f` keeps delegating to `valueAndVjp_f` where the removal takes out
 * nothing that runs on every trip of a loop (in a loop's body, not under an
 * `if` in it): a copy of the body is not worth a few operations done once.
 */
import { ts } from 'ts-morph';
import { nullContext } from '../transforms/lanes.ts';
import { isLoop } from './loop-scopes.ts';
import { mapNestedLists, nestedLists } from './simplify.ts';
import { isPureCall, markPureCall, runtimeRef, runtimeRefOf } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/**
 * The value-free `vjp_f` made from `valueAndVjp` (its declaration), named `name` with result type `grads`,
 * or null where its body does not end in the one `return [value, grads]` or nothing worth a copy goes.
 */
export function valueFreeVjp(valueAndVjp: ts.FunctionDeclaration, name: string, grads: ts.TypeNode): ts.FunctionDeclaration | null {
  const body = valueAndVjp.body?.statements;
  if (!body || body.length === 0) return null;
  const last = body[body.length - 1]!;
  if (!ts.isReturnStatement(last) || !last.expression || !ts.isArrayLiteralExpression(last.expression) || last.expression.elements.length !== 2) return null;
  if (body.slice(0, -1).some(holdsReturn)) return null;
  const gradsOnly = f.updateReturnStatement(last, last.expression.elements[1]!);
  const { statements, removedWork } = removeDeadValues([...body.slice(0, -1), gradsOnly].map(copyTree));
  if (!removedWork) return null;
  return f.createFunctionDeclaration(valueAndVjp.modifiers, undefined, name, undefined, valueAndVjp.parameters, grads, f.createBlock(statements, true));
}

/** `statements` without the definitions of names nothing needs; `removedWork`: whether one of them ran on every trip of a loop. */
export function removeDeadValues(statements: readonly ts.Statement[]): { statements: ts.Statement[]; removedWork: boolean } {
  const defs = new Map<ts.Statement, Definition>();
  const needed = new Set<string>();
  let scopes = 0;
  const collect = (list: readonly ts.Statement[], outer: Scope): void => {
    const scope = blockScope(list, outer, ++scopes);
    for (const s of list) {
      const def = definitionOf(s, scope);
      if (def) defs.set(s, def);
      else if (ts.isForStatement(s)) {
        const header = forScope(s, scope, ++scopes);
        for (const part of ownParts(s)) bindings(part, header, needed);
        nestedLists(s).forEach((inner) => collect(inner, header));
      } else if (isOpened(s)) {
        for (const part of ownParts(s)) bindings(part, scope, needed);
        nestedLists(s).forEach((inner) => collect(inner, scope));
      } else bindings(s, scope, needed);
    }
  };
  collect(statements, new Map());
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of defs.values()) {
      if (!needed.has(d.binding)) continue;
      for (const r of d.reads) {
        if (!needed.has(r)) {
          needed.add(r);
          changed = true;
        }
      }
    }
  }
  let removedWork = false;
  const sweep = (list: readonly ts.Statement[], everyTrip: boolean): ts.Statement[] => {
    const out: ts.Statement[] = [];
    for (const s of list) {
      const def = defs.get(s);
      if (def && !needed.has(def.binding)) {
        if (everyTrip) removedWork = true;
        continue;
      }
      const inner = isLoop(s) ? true : ts.isIfStatement(s) ? false : everyTrip;
      out.push(isOpened(s) ? mapNestedLists(s, (list) => sweep(list, inner)) : s);
    }
    return out;
  };
  return { statements: sweep(statements, false), removedWork };
}

/**
 * Names in scope: each maps to the binding it refers to, `name#k` for the k-th block that declares it. A
 * reverse block re-declares `const t6 = ...` beside the forward sweep's `t6`; the two are different values.
 * Names no block declares (parameters, globals) are bound as themselves.
 */
type Scope = ReadonlyMap<string, string>;

/** The scope inside a statement list: `outer` and the names the list declares (block scoping: the whole list sees them). */
function blockScope(list: readonly ts.Statement[], outer: Scope, k: number): Scope {
  const own = new Set<string>();
  for (const s of list) if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) declaredNames(d.name, own);
  if (own.size === 0) return outer;
  const scope = new Map(outer);
  for (const name of own) scope.set(name, `${name}#${k}`);
  return scope;
}

/** The scope of a `for` statement's header and body: what its initializer declares. */
function forScope(s: ts.ForStatement, outer: Scope, k: number): Scope {
  const own = new Set<string>();
  if (s.initializer && ts.isVariableDeclarationList(s.initializer)) for (const d of s.initializer.declarations) declaredNames(d.name, own);
  if (own.size === 0) return outer;
  const scope = new Map(outer);
  for (const name of own) scope.set(name, `${name}#${k}`);
  return scope;
}

function declaredNames(name: ts.BindingName, out: Set<string>): void {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) declaredNames(e.name, out);
}

interface Definition {
  /** The binding it writes. */
  binding: string;
  /** The bindings its value reads. */
  reads: Set<string>;
}

/** `s` as a definition of one name by an expression without side effects, or null. */
function definitionOf(s: ts.Statement, scope: Scope): Definition | null {
  const of = (name: string, value: ts.Expression | undefined, self: boolean): Definition | null => {
    if (value && !isPure(value)) return null;
    const binding = scope.get(name) ?? name;
    const reads = new Set<string>(self ? [binding] : []);
    if (value) bindings(value, scope, reads);
    return { binding, reads };
  };
  if (ts.isVariableStatement(s)) {
    const decls = s.declarationList.declarations;
    if (decls.length !== 1 || !ts.isIdentifier(decls[0]!.name)) return null;
    return of(decls[0]!.name.text, decls[0]!.initializer, false);
  }
  if (!ts.isExpressionStatement(s)) return null;
  const e = s.expression;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind >= K.FirstAssignment && e.operatorToken.kind <= K.LastAssignment && ts.isIdentifier(e.left)) {
    return of(e.left.text, e.right, e.operatorToken.kind !== K.EqualsToken);
  }
  if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === K.PlusPlusToken || e.operator === K.MinusMinusToken) && ts.isIdentifier(e.operand)) {
    return of(e.operand.text, undefined, true);
  }
  return null;
}

/**
 * The bindings of every identifier in `n` but property names (`Math.log` reads `Math`), resolved in `scope`.
 * Over-approximating what it reads keeps more: written names count too, and a nested function's own
 * names resolve as if they were the enclosing scope's.
 */
function bindings(n: ts.Node, scope: Scope, out: Set<string>): void {
  if (ts.isIdentifier(n)) {
    out.add(scope.get(n.text) ?? n.text);
    return;
  }
  if (ts.isPropertyAccessExpression(n)) {
    bindings(n.expression, scope, out);
    return;
  }
  ts.forEachChild(n, (c) => bindings(c, scope, out));
}

/**
 * A copy of `node` that shares no node holding a name with it. The passes after this one set comments on
 * the statements they move, and the copy must not change `valueAndVjp_f`'s. Each updated node keeps its
 * original's comments (the factory's update copies them), and runtime references stay marked.
 */
function copyTree<T extends ts.Node>(node: T): T {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isIdentifier(n)) {
      const runtime = runtimeRefOf(n);
      const copy = runtime === undefined ? f.createIdentifier(n.text) : runtimeRef(runtime);
      const comments = ts.getSyntheticLeadingComments(n);
      return comments ? ts.setSyntheticLeadingComments(copy, comments.slice()) : copy;
    }
    const copy = ts.visitEachChild(n, visit, nullContext);
    return ts.isCallExpression(n) && isPureCall(n) ? markPureCall(copy as ts.CallExpression) : copy;
  };
  return visit(node) as T;
}

/** Expressions without side effects: names, literals, arithmetic, element and property reads, Math functions, calls of pure plain functions. */
function isPure(e: ts.Expression): boolean {
  if (ts.isIdentifier(e) || ts.isNumericLiteral(e) || ts.isStringLiteral(e)) return true;
  if (e.kind === K.NullKeyword || e.kind === K.TrueKeyword || e.kind === K.FalseKeyword) return true;
  if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) return isPure(e.expression);
  if (ts.isPrefixUnaryExpression(e)) return e.operator !== K.PlusPlusToken && e.operator !== K.MinusMinusToken && isPure(e.operand);
  if (ts.isBinaryExpression(e)) return !(e.operatorToken.kind >= K.FirstAssignment && e.operatorToken.kind <= K.LastAssignment) && isPure(e.left) && isPure(e.right);
  if (ts.isPropertyAccessExpression(e)) return isPure(e.expression);
  if (ts.isElementAccessExpression(e)) return isPure(e.expression) && isPure(e.argumentExpression);
  if (ts.isConditionalExpression(e)) return isPure(e.condition) && isPure(e.whenTrue) && isPure(e.whenFalse);
  if (ts.isCallExpression(e)) return (isMathFunction(e.expression) || isPureCall(e)) && e.arguments.every(isPure);
  return false;
}

/** `Math.log`, `Math.exp`, ...: every Math function but `Math.random` returns a value and does nothing else. */
function isMathFunction(callee: ts.Expression): boolean {
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Math' && callee.name.text !== 'random';
}

function holdsReturn(n: ts.Node): boolean {
  if (ts.isReturnStatement(n)) return true;
  if (ts.isFunctionLike(n) || ts.isClassLike(n)) return false;
  return ts.forEachChild(n, holdsReturn) === true;
}

/** Statements whose nested lists the pass walks into: blocks, `if`, and unlabelled loops. */
function isOpened(s: ts.Statement): boolean {
  return ts.isBlock(s) || ts.isIfStatement(s) || isLoop(s);
}

/** The parts of an opened statement outside its nested lists: conditions and loop headers. */
function ownParts(s: ts.Statement): ts.Node[] {
  if (ts.isIfStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) return [s.expression];
  if (ts.isForStatement(s)) return [s.initializer, s.condition, s.incrementor].filter((p): p is ts.ForInitializer | ts.Expression => p !== undefined);
  return [];
}
