/**
 * The result tuple of a Jacobian's private sweep (compiler/emit/jacobian-sweep.ts),
 * read in place. Reverse mode lowers `return [a, b]` as an array built by
 * pushes, and its adjoint as the same pushes of zeros, the cotangent added in
 * and the elements popped back:
 *
 *   const t29 = [] as number[];        const dt29_0 = [] as number[];
 *   t29.push(t26);                     dt29_0.push(0);
 *   t29.push(t28);                     dt29_0.push(0);
 *   const value = t29 as [number, number];
 *   ...
 *   addArrayInto(dt29_0, dy_0);
 *   const dt28_0 = dt29_0.pop()!;
 *   const dt26_0 = dt29_0.pop()!;
 *
 * In the private sweep the cotangents are the unit cotangents of
 * `jacobian_f` (length k, elements 0 and 1, never -0), so the j-th pop of n
 * is `dy_0[n - 1 - j]` exactly (0 + dy equals dy for those), and the array
 * goes:
 *
 *   const dt28_0 = dy_0[1];
 *   const dt26_0 = dy_0[0];
 *
 * The sweep returns rows, not the value, so the value array goes too when
 * nothing else reads it. Both rewrites apply only to the exact shape above:
 * the pushes at the top of the body, the `addArrayInto` and the pops in one
 * statement list after them (a block at the top of the body), no other
 * mention, no loop or branch around any of it. Anything else is left as it is.
 */
import { ts } from 'ts-morph';
import { runtimeRefOf } from './template.ts';

const f = ts.factory;

/** Rewrites the sweeps named in `sweeps` (their cotangent parameters are unit cotangents of length `k`, by name). */
export function sweepResults(statements: readonly ts.Statement[], sweeps: ReadonlyMap<string, number>): ts.Statement[] {
  if (sweeps.size === 0) return [...statements];
  return statements.map((s) => {
    const k = ts.isFunctionDeclaration(s) && s.name && s.body ? sweeps.get(s.name.text) : undefined;
    return k === undefined ? s : rewriteSweep(s as ts.FunctionDeclaration, k);
  });
}

function rewriteSweep(fn: ts.FunctionDeclaration, k: number): ts.FunctionDeclaration {
  let body = fn.body!.statements.slice();
  const units = unitNames(fn);
  for (const name of emptyArrays(body)) body = cotangentInPlace(body, name, k, units) ?? body;
  const value = valueDeclaration(body);
  if (value) body = droppedValue(body, value) ?? body;
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(fn.body!, body));
}

/** The lanes of the cotangent parameter, `dy_0, dy_1` of the sweep's first statement `const [dy_0, dy_1] = cotangents;`. */
function unitNames(fn: ts.FunctionDeclaration): Set<string> {
  const last = fn.parameters[fn.parameters.length - 1];
  const first = fn.body!.statements[0];
  const d = first && singleConst(first);
  const init = d?.initializer;
  const names = new Set<string>();
  if (!last || !ts.isIdentifier(last.name) || !d || !ts.isArrayBindingPattern(d.name) || !init || !ts.isIdentifier(init) || init.text !== last.name.text) return names;
  for (const e of d.name.elements) if (ts.isBindingElement(e) && ts.isIdentifier(e.name) && !e.dotDotDotToken && !e.initializer) names.add(e.name.text);
  return names;
}

/** Names declared at the top of the body as `const a = [] as number[]`. */
function emptyArrays(body: readonly ts.Statement[]): string[] {
  return body.flatMap((s) => {
    const d = singleConst(s);
    const init = d?.initializer;
    const empty = init && ts.isAsExpression(init) && ts.isArrayLiteralExpression(init.expression) && init.expression.elements.length === 0
      && ts.isArrayTypeNode(init.type) && init.type.elementType.kind === ts.SyntaxKind.NumberKeyword;
    return empty && ts.isIdentifier(d.name) ? [d.name.text] : [];
  });
}

/**
 * `body` with the cotangent array `name` read in place (see the file comment), or null where its
 * statements are not exactly: n top-level `name.push(0)`, then in one later block (or the body)
 * `addArrayInto(name, dy)` with dy one of the unit cotangents, then n `const x = name.pop()!` (n = k).
 */
function cotangentInPlace(body: readonly ts.Statement[], name: string, k: number, units: ReadonlySet<string>): ts.Statement[] | null {
  const pushes = body.filter((s) => isPushOf(s, name, (a) => ts.isNumericLiteral(a) && a.text === '0'));
  if (pushes.length !== k) return null;
  const lastPush = body.indexOf(pushes[pushes.length - 1]!);
  // The list holding the addArrayInto: the body itself, or a block at its top level after the pushes.
  const holder = body.findIndex((s, i) => i > lastPush && ts.isBlock(s) && s.statements.some((t) => seedOf(t, name) !== null));
  const list = holder >= 0 ? (body[holder] as ts.Block).statements.slice() : body.slice();
  const seedAt = list.findIndex((t) => seedOf(t, name) !== null);
  if (seedAt < 0 || (holder < 0 && seedAt < lastPush)) return null;
  const seed = seedOf(list[seedAt]!, name)!;
  if (!units.has(seed)) return null;
  const pops = list.map((t, i) => (i > seedAt && popInto(t, name) !== null ? i : -1)).filter((i) => i >= 0);
  if (pops.length !== k) return null;
  // No other mention of the array anywhere.
  const declaration = body.find((s) => declares(s, name))!;
  const accounted = new Set<ts.Node>([declaration, ...pushes, list[seedAt]!, ...pops.map((i) => list[i]!)]);
  if (countMentions(body, name, accounted) !== 0) return null;
  const rewritten = list.flatMap((t, i) => {
    if (i === seedAt) return [];
    const j = pops.indexOf(i);
    if (j < 0) return [t];
    const read = f.createElementAccessExpression(f.createIdentifier(seed), k - 1 - j);
    return [withInitializer(t as ts.VariableStatement, read)];
  });
  const kept = (holder >= 0 ? body : rewritten).filter((s) => !pushes.includes(s) && !declares(s, name));
  if (holder < 0) return kept;
  return kept.map((s) => (s === body[holder] ? f.updateBlock(s as ts.Block, rewritten) : s));
}

/** The value declaration `const value = t as [number, ...]` at the top of the body, with the array's name. */
function valueDeclaration(body: readonly ts.Statement[]): { statement: ts.Statement; value: string; array: string } | null {
  for (const s of body) {
    const d = singleConst(s);
    const init = d?.initializer;
    if (d && ts.isIdentifier(d.name) && init && ts.isAsExpression(init) && ts.isIdentifier(init.expression) && ts.isTupleTypeNode(init.type)) {
      return { statement: s, value: d.name.text, array: init.expression.text };
    }
  }
  return null;
}

/** `body` without the value and its array, where nothing reads the value and the array is only built by pushes of names; else null. */
function droppedValue(body: readonly ts.Statement[], v: { statement: ts.Statement; value: string; array: string }): ts.Statement[] | null {
  if (countMentions(body, v.value, new Set([v.statement])) !== 0) return null;
  const pushes = body.filter((s) => isPushOf(s, v.array, ts.isIdentifier));
  const declaration = body.find((s) => declares(s, v.array));
  if (!declaration || !emptyArrays([declaration]).length) return null;
  if (countMentions(body, v.array, new Set([v.statement, declaration, ...pushes])) !== 0) return null;
  return body.filter((s) => s !== v.statement && s !== declaration && !pushes.includes(s));
}

/** `name.push(x);` with `x` accepted by `arg`. */
function isPushOf(s: ts.Statement, name: string, arg: (a: ts.Expression) => boolean): boolean {
  if (!ts.isExpressionStatement(s) || !ts.isCallExpression(s.expression)) return false;
  const call = s.expression;
  return ts.isPropertyAccessExpression(call.expression) && ts.isIdentifier(call.expression.expression) && call.expression.expression.text === name
    && call.expression.name.text === 'push' && call.arguments.length === 1 && arg(call.arguments[0]!);
}

/** The cotangent `dy` of `addArrayInto(name, dy);`, or null. */
function seedOf(s: ts.Statement, name: string): string | null {
  if (!ts.isExpressionStatement(s) || !ts.isCallExpression(s.expression)) return null;
  const call = s.expression;
  const [dst, src] = call.arguments;
  const adds = ts.isIdentifier(call.expression) && runtimeRefOf(call.expression) === 'addArrayInto' && call.arguments.length === 2;
  return adds && ts.isIdentifier(dst!) && dst.text === name && ts.isIdentifier(src!) ? src.text : null;
}

/** The name `const x = name.pop()!;` declares, or null. */
function popInto(s: ts.Statement, name: string): string | null {
  const d = singleConst(s);
  let init = d?.initializer;
  if (init && ts.isNonNullExpression(init)) init = init.expression;
  const pops = init && ts.isCallExpression(init) && init.arguments.length === 0 && ts.isPropertyAccessExpression(init.expression)
    && ts.isIdentifier(init.expression.expression) && init.expression.expression.text === name && init.expression.name.text === 'pop';
  return pops && ts.isIdentifier(d!.name) ? d!.name.text : null;
}

function singleConst(s: ts.Statement): ts.VariableDeclaration | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const) || s.declarationList.declarations.length !== 1) return null;
  return s.declarationList.declarations[0]!;
}

function declares(s: ts.Statement, name: string): boolean {
  const d = singleConst(s);
  return !!d && ts.isIdentifier(d.name) && d.name.text === name;
}

/** `const x = init;` with the initializer replaced (comments kept). */
function withInitializer(s: ts.VariableStatement, init: ts.Expression): ts.VariableStatement {
  const d = s.declarationList.declarations[0]!;
  const list = f.updateVariableDeclarationList(s.declarationList, [f.updateVariableDeclaration(d, d.name, undefined, d.type, init)]);
  return f.updateVariableStatement(s, s.modifiers, list);
}

/** Mentions of `name` in `body` outside the statements in `except`. */
function countMentions(body: readonly ts.Statement[], name: string, except: ReadonlySet<ts.Node>): number {
  let n = 0;
  const walk = (node: ts.Node): void => {
    if (except.has(node)) return;
    if (ts.isIdentifier(node) && node.text === name) n++;
    ts.forEachChild(node, walk);
  };
  body.forEach(walk);
  return n;
}
