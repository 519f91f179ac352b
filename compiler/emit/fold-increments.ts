/**
 * An increment folded into the read that empties the element. The adjoint
 * of a store `xc[r] = t` reads the element's cotangent and zeroes it; when
 * the adjoint of a later read of `xc[r]` (a statement before it in the
 * reverse sweep) has just added into that element,
 *
 *   dxc[r] += dt23;
 *   dqdiag[t21] += dt22;
 *   const dt19 = dxc[r];
 *   dxc[r] = 0;
 *
 * becomes
 *
 *   dqdiag[t21] += dt22;
 *   const dt19 = dxc[r] + dt23;
 *   dxc[r] = 0;
 *
 * The sum is the same number (the same two operands added in the same
 * order), without the store and the load between (GMM d2_K5: J 0.565 ->
 * 0.528 ms, interleaved; V8 keeps both memory operations because the store
 * into `dqdiag` between them could, for all it knows, alias `dxc`).
 *
 * Only where nothing else can see the difference:
 *   - the array is a `const` holding a fresh Float64Array (local-accumulators.ts
 *     `freshArrays`), so no other name aliases it;
 *   - the index is an identifier or a numeric literal, the same in the
 *     increment and in the read;
 *   - the statements between do not mention the array, and assign neither
 *     the index nor any name the added expression reads;
 *   - all of them are in one statement list (no loop or branch between).
 * An earlier increment of the same element folds in the same way, in front:
 * `(dxc[r] + e1) + e2`, the order of the increments.
 */
import { ts } from 'ts-morph';
import { collectIdentifiers, freshArrays, writtenOrDeclared } from './local-accumulators.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** Applies the rewrite to the body of every function declaration in `statements`. */
export function foldIncrements(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => {
    if (!ts.isFunctionDeclaration(s) || !s.body) return s;
    const fresh = freshArrays(s);
    if (fresh.size === 0) return s;
    const body = foldNested(s.body, fresh) as ts.Block;
    return body === s.body ? s : f.updateFunctionDeclaration(s, s.modifiers, s.asteriskToken, s.name, s.typeParameters, s.parameters, s.type, body);
  });
}

/** `s` with every statement list inside it folded. */
function foldNested(s: ts.Statement, fresh: ReadonlySet<string>): ts.Statement {
  if (ts.isBlock(s)) {
    const inner = s.statements.map((t) => foldNested(t, fresh));
    const list = foldList(inner, fresh);
    return list === null && inner.every((t, i) => t === s.statements[i]) ? s : f.updateBlock(s, list ?? inner);
  }
  if (ts.isIfStatement(s)) {
    const then = foldNested(s.thenStatement, fresh);
    const other = s.elseStatement && foldNested(s.elseStatement, fresh);
    return then === s.thenStatement && other === s.elseStatement ? s : f.updateIfStatement(s, s.expression, then, other);
  }
  if (ts.isForStatement(s)) {
    const body = foldNested(s.statement, fresh);
    return body === s.statement ? s : f.updateForStatement(s, s.initializer, s.condition, s.incrementor, body);
  }
  if (ts.isWhileStatement(s)) {
    const body = foldNested(s.statement, fresh);
    return body === s.statement ? s : f.updateWhileStatement(s, s.expression, body);
  }
  if (ts.isDoStatement(s)) {
    const body = foldNested(s.statement, fresh);
    return body === s.statement ? s : f.updateDoStatement(s, body, s.expression);
  }
  return s;
}

/** The list with its increments folded into the reads that empty them, or null when none is. */
function foldList(list: readonly ts.Statement[], fresh: ReadonlySet<string>): ts.Statement[] | null {
  const out = [...list];
  let changed = false;
  for (let k = out.length - 1; k >= 0; k--) {
    const inc = incrementOf(out[k]!, fresh);
    if (!inc) continue;
    const read = nextMention(out, k, inc);
    if (read === null) continue;
    const decl = (out[read] as ts.VariableStatement).declarationList.declarations[0]!;
    const folded = withLeftmost(decl.initializer!, (element) => f.createBinaryExpression(element, K.PlusToken, parenthesized(inc.added)));
    const declaration = f.updateVariableDeclaration(decl, decl.name, decl.exclamationToken, decl.type, folded);
    out[read] = f.updateVariableStatement(out[read] as ts.VariableStatement, (out[read] as ts.VariableStatement).modifiers, f.updateVariableDeclarationList((out[read] as ts.VariableStatement).declarationList, [declaration]));
    out.splice(k, 1);
    changed = true;
  }
  return changed ? out : null;
}

interface Increment {
  array: string;
  index: string;
  added: ts.Expression;
  /** The names `added` reads. */
  reads: Set<string>;
}

/** `a[i] += e` with `a` a fresh array and `i` an identifier or numeric literal. */
function incrementOf(s: ts.Statement, fresh: ReadonlySet<string>): Increment | null {
  if (!ts.isExpressionStatement(s) || !ts.isBinaryExpression(s.expression) || s.expression.operatorToken.kind !== K.PlusEqualsToken) return null;
  const element = elementOf(s.expression.left);
  if (!element || !fresh.has(element.array)) return null;
  const reads = new Set<string>();
  collectIdentifiers(s.expression.right, reads);
  return { ...element, added: s.expression.right, reads };
}

/**
 * The position of the read-and-empty of the increment's element
 * (`const d = a[i] ...; a[i] = 0;`) when it is the next statement after `k`
 * that mentions the array and nothing between changes the index or what
 * the increment adds; else null.
 */
function nextMention(list: readonly ts.Statement[], k: number, inc: Increment): number | null {
  const guarded = new Set([inc.index, ...inc.reads]);
  for (let m = k + 1; m < list.length; m++) {
    const s = list[m]!;
    if (mentions(s, inc.array)) return isReadAndEmpty(s, list[m + 1], inc) ? m : null;
    // Only simple statements between: no loop, branch, jump or block that could skip the read.
    if (!(ts.isExpressionStatement(s) || ts.isVariableStatement(s)) || [...writtenOrDeclared(s)].some((n) => guarded.has(n))) return null;
  }
  return null;
}

/** `const d = a[i] (+ ...)` followed by `a[i] = 0;`. */
function isReadAndEmpty(s: ts.Statement, next: ts.Statement | undefined, inc: Increment): boolean {
  if (!ts.isVariableStatement(s) || s.declarationList.declarations.length !== 1) return false;
  const init = s.declarationList.declarations[0]!.initializer;
  let leftmost: ts.Expression | undefined = init;
  while (leftmost && ts.isBinaryExpression(leftmost) && leftmost.operatorToken.kind === K.PlusToken) leftmost = leftmost.left;
  const element = leftmost && elementOf(leftmost);
  if (!element || element.array !== inc.array || element.index !== inc.index) return false;
  // The array may appear nowhere else in the declaration.
  let uses = 0;
  const count = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === inc.array) uses++;
    ts.forEachChild(n, count);
  };
  count(s);
  if (uses !== 1 || !next || !ts.isExpressionStatement(next) || !ts.isBinaryExpression(next.expression)) return false;
  const { left, operatorToken, right } = next.expression;
  const zeroed = elementOf(left);
  return operatorToken.kind === K.EqualsToken && ts.isNumericLiteral(right) && right.text === '0' && zeroed?.array === inc.array && zeroed.index === inc.index;
}

/** `init` with its leftmost operand of a chain of `+` replaced by `replace(it)`. */
function withLeftmost(init: ts.Expression, replace: (e: ts.Expression) => ts.Expression): ts.Expression {
  if (ts.isBinaryExpression(init) && init.operatorToken.kind === K.PlusToken) return f.updateBinaryExpression(init, withLeftmost(init.left, replace), init.operatorToken, init.right);
  return replace(init);
}

function parenthesized(e: ts.Expression): ts.Expression {
  return ts.isIdentifier(e) || ts.isNumericLiteral(e) || ts.isElementAccessExpression(e) || ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) ? e : f.createParenthesizedExpression(e);
}

/** `a[i]` with `a` an identifier and `i` an identifier or numeric literal, as names. */
function elementOf(e: ts.Expression): { array: string; index: string } | null {
  if (!ts.isElementAccessExpression(e) || !ts.isIdentifier(e.expression)) return null;
  const index = e.argumentExpression;
  if (ts.isIdentifier(index)) return { array: e.expression.text, index: index.text };
  if (ts.isNumericLiteral(index)) return { array: e.expression.text, index: `#${index.text}` };
  return null;
}

function mentions(n: ts.Node, name: string): boolean {
  if (ts.isIdentifier(n)) return n.text === name;
  return ts.forEachChild(n, (c) => mentions(c, name) || undefined) ?? false;
}
