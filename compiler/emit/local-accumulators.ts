/**
 * Adjoint accumulators kept in a local across a loop. A loop that adds into
 * one element of an array whose index does not change in the loop
 *
 *   for (...) { ...; dxc[c] += e; ... }
 *
 * adds into a local instead and stores the sum once after the loop:
 *
 *   let dxc_c = 0;
 *   for (...) { ...; dxc_c += e; ... }
 *   dxc[c] += dxc_c;
 *
 * (GMM's triangular product: `dxc[c]` took one load and one store per inner
 * trip.) Inner loops are rewritten first, so the store after an inner loop
 * can itself move out of an outer loop that keeps the index fixed too.
 *
 * The rewrite applies only where it cannot change what other code sees:
 *   - the array is a `const` of this function holding a fresh Float64Array
 *     (`new Float64Array(..)`, or `zerosLike(p)` of a Float64Array
 *     parameter), so no other name aliases it, and an index that is out of
 *     range when the loop does not run makes the final store a no-op;
 *   - every mention of the array in the loop is such an increment with the
 *     same index, an identifier or numeric literal that the loop neither
 *     writes nor declares;
 *   - the loop holds no `return`, no labelled jump, and no function that could
 *     run later.
 * It reassociates the additions into that element ((a + e1) + e2 becomes
 * a + (e1 + e2)), so results may differ from the unrewritten code in the
 * last bits, as a hand-written adjoint's would; the simplify pass before it
 * stays exact.
 */
import { ts } from 'ts-morph';
import { bindingNames } from './loop-scopes.ts';
import { runtimeRefOf } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** Applies the rewrite to the body of every function declaration in `statements`. */
export function localAccumulators(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? rewriteFunction(s) : s));
}

function rewriteFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  const fresh = freshArrays(fn);
  if (fresh.size === 0) return fn;
  const taken = new Set<string>();
  collectIdentifiers(fn, taken);
  const body = rewriteList(fn.body!.statements, fresh, taken);
  if (body === null) return fn;
  const block = f.updateBlock(fn.body!, body);
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, block);
}

/** The `const` names declared in `fn` that hold a Float64Array no other name can alias (also used by fold-increments.ts). */
export function freshArrays(fn: ts.FunctionDeclaration): Set<string> {
  const float64Params = float64Parameters(fn);
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclarationList(n) && (n.flags & ts.NodeFlags.Const) !== 0) {
      for (const d of n.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && isFreshFloat64(d.initializer, float64Params)) out.add(d.name.text);
      }
    }
    if (!ts.isFunctionLike(n) || n === fn) ts.forEachChild(n, visit);
  };
  visit(fn);
  return out;
}

/** The parameters of `fn` declared `Float64Array` (also used by scratch-buffers.ts). */
export function float64Parameters(fn: ts.FunctionDeclaration): Set<string> {
  const names = new Set<string>();
  for (const p of fn.parameters) {
    if (ts.isIdentifier(p.name) && p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) && p.type.typeName.text === 'Float64Array' && !p.type.typeArguments) {
      names.add(p.name.text);
    }
  }
  return names;
}

function isFreshFloat64(e: ts.Expression, float64Params: ReadonlySet<string>): boolean {
  if (ts.isNewExpression(e)) return ts.isIdentifier(e.expression) && e.expression.text === 'Float64Array';
  if (!ts.isCallExpression(e) || !ts.isIdentifier(e.expression) || runtimeRefOf(e.expression) !== 'zerosLike') return false;
  const [arg] = e.arguments;
  return e.arguments.length === 1 && ts.isIdentifier(arg) && float64Params.has(arg.text);
}

/** The list with its loops rewritten (nested lists first), or null when nothing changed. */
function rewriteList(list: readonly ts.Statement[], fresh: ReadonlySet<string>, taken: Set<string>): ts.Statement[] | null {
  let changed = false;
  const out: ts.Statement[] = [];
  for (const s0 of list) {
    const s = rewriteNested(s0, fresh, taken);
    if (s !== s0) changed = true;
    const hoisted = isLoop(s) ? hoistAccumulators(s, fresh, taken) : null;
    if (hoisted) {
      out.push(...hoisted);
      changed = true;
    } else out.push(s);
  }
  return changed ? out : null;
}

type Loop = ts.ForStatement | ts.WhileStatement;

function isLoop(s: ts.Statement): s is Loop {
  return (ts.isForStatement(s) || ts.isWhileStatement(s)) && ts.isBlock(s.statement);
}

/** `s` with the statement lists inside it rewritten. */
function rewriteNested(s: ts.Statement, fresh: ReadonlySet<string>, taken: Set<string>): ts.Statement {
  if (ts.isBlock(s)) {
    const list = rewriteList(s.statements, fresh, taken);
    return list ? f.updateBlock(s, list) : s;
  }
  if (ts.isIfStatement(s)) {
    const then = rewriteNested(s.thenStatement, fresh, taken);
    const other = s.elseStatement && rewriteNested(s.elseStatement, fresh, taken);
    return then === s.thenStatement && other === s.elseStatement ? s : f.updateIfStatement(s, s.expression, then, other);
  }
  if (ts.isForStatement(s)) {
    const body = rewriteNested(s.statement, fresh, taken);
    return body === s.statement ? s : f.updateForStatement(s, s.initializer, s.condition, s.incrementor, body);
  }
  if (ts.isWhileStatement(s)) {
    const body = rewriteNested(s.statement, fresh, taken);
    return body === s.statement ? s : f.updateWhileStatement(s, s.expression, body);
  }
  return s;
}

/** An increment `a[i] += e` / `a[i] -= e` with `a` an identifier and `i` an identifier or numeric literal. */
function incrementOf(s: ts.Node): { array: string; index: ts.Identifier | ts.NumericLiteral } | null {
  if (!ts.isExpressionStatement(s) || !ts.isBinaryExpression(s.expression)) return null;
  const { left, operatorToken } = s.expression;
  if (operatorToken.kind !== K.PlusEqualsToken && operatorToken.kind !== K.MinusEqualsToken) return null;
  if (!ts.isElementAccessExpression(left) || !ts.isIdentifier(left.expression)) return null;
  const index = left.argumentExpression;
  if (!ts.isIdentifier(index) && !ts.isNumericLiteral(index)) return null;
  return { array: left.expression.text, index };
}

/** The loop with its hoistable accumulators in locals, preceded by their declarations and followed by their stores; null when none qualifies. */
function hoistAccumulators(loop: Loop, fresh: ReadonlySet<string>, taken: Set<string>): ts.Statement[] | null {
  if (!safeToHoistFrom(loop)) return null;
  // Per fresh array mentioned in the loop: the one index all its increments use, or null when it is mentioned otherwise.
  const indexOf = new Map<string, string | null>();
  const visit = (n: ts.Node): void => {
    const inc = incrementOf(n);
    if (inc && fresh.has(inc.array)) {
      const key = inc.index.text;
      const seen = indexOf.get(inc.array);
      indexOf.set(inc.array, seen === undefined || seen === key ? key : null);
      visit(((n as ts.ExpressionStatement).expression as ts.BinaryExpression).right);
      return;
    }
    if (ts.isIdentifier(n) && fresh.has(n.text)) indexOf.set(n.text, null);
    ts.forEachChild(n, visit);
  };
  visit(loop);
  const changing = writtenOrDeclared(loop);
  const locals = new Map<string, { name: string; index: string }>();
  for (const [array, index] of indexOf) {
    if (index === null || changing.has(index)) continue;
    locals.set(array, { name: freshName(`${array}_${index}`, taken), index });
  }
  if (locals.size === 0) return null;
  const replace = (n: ts.Node): ts.Node => {
    const inc = incrementOf(n);
    const local = inc && locals.get(inc.array);
    if (local) {
      const b = (n as ts.ExpressionStatement).expression as ts.BinaryExpression;
      const right = ts.visitNode(b.right, replace) as ts.Expression;
      return f.updateExpressionStatement(n as ts.ExpressionStatement, f.updateBinaryExpression(b, f.createIdentifier(local.name), b.operatorToken, right));
    }
    return ts.visitEachChild(n, replace, nullContext);
  };
  const before: ts.Statement[] = [];
  const after: ts.Statement[] = [];
  for (const [array, { name, index }] of locals) {
    before.push(f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(name, undefined, undefined, f.createNumericLiteral(0))], ts.NodeFlags.Let)));
    const target = f.createElementAccessExpression(f.createIdentifier(array), /^\d/.test(index) ? f.createNumericLiteral(index) : f.createIdentifier(index));
    after.push(f.createExpressionStatement(f.createBinaryExpression(target, K.PlusEqualsToken, f.createIdentifier(name))));
  }
  return [...before, ts.visitNode(loop, replace) as ts.Statement, ...after];
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/** No `return`, labelled jump, or function inside `loop` (a jump out of it would skip the stores after it; a function could run later). */
function safeToHoistFrom(loop: Loop): boolean {
  let safe = true;
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n) || ts.isFunctionLike(n) || ts.isLabeledStatement(n) || ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label)) safe = false;
    if (safe) ts.forEachChild(n, visit);
  };
  visit(loop);
  return safe;
}

/** The names assigned (`=`, `+=`, `++`, ...) or declared anywhere in `node` (also used by fold-increments.ts and tape-cursors.ts). */
export function writtenOrDeclared(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n)) bindingNames(n.name, out);
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= K.FirstAssignment && n.operatorToken.kind <= K.LastAssignment) {
      // A destructuring target counts every name in it (over-approximating keeps more loops as they are).
      if (ts.isIdentifier(n.left)) out.add(n.left.text);
      else if (ts.isArrayLiteralExpression(n.left) || ts.isObjectLiteralExpression(n.left)) collectIdentifiers(n.left, out);
    }
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Every identifier in `n`, added to `out` (also used by fold-increments.ts). */
export function collectIdentifiers(n: ts.Node, out: Set<string>): void {
  if (ts.isIdentifier(n)) out.add(n.text);
  ts.forEachChild(n, (c) => collectIdentifiers(c, out));
}

/** `base` (made an identifier), or `base2`, `base3`, ... : the first not in `taken`, which it joins. */
function freshName(base: string, taken: Set<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_$]/g, '_');
  let name = stem;
  for (let i = 2; taken.has(name); i++) name = `${stem}${i}`;
  taken.add(name);
  return name;
}
