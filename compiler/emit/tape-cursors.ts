/**
 * Tape cursors kept in locals across loops. A loop that pushes onto or pops
 * from a shared tape through its handle (`const valueTape = tape.values`)
 *
 *   for (...) { ...; valueTape.push(e); ...; const t = valueTape.pop(); }
 *
 * works on the tape's buffer and top through locals instead, and stores the
 * top back once after the loop:
 *
 *   {
 *     let valueTapeBuf = valueTape.buf, valueTapeTop = valueTape.length;
 *     for (...) {
 *       ...;
 *       if (valueTapeTop === valueTapeBuf.length) valueTapeBuf = valueTape.grow(valueTapeTop);
 *       valueTapeBuf[valueTapeTop++] = e;
 *       ...; const t = valueTapeBuf[--valueTapeTop]!;
 *     }
 *     valueTape.length = valueTapeTop;
 *   }
 *
 * V8 keeps the locals in registers, where a `push` loads and stores the
 * stack object's `length` field on every call: GMM's gradient ran 20% faster
 * on d = 2 and 18% on d = 10 (hand-edited variants, session 6).
 *
 * Only the outermost loop that qualifies is rewritten, and a loop qualifies
 * only where nothing else can see the tape while it runs:
 *   - it calls nothing but the handles' `push` (as a statement) and `pop`,
 *     and `Math` and `Number` functions: another generated function called
 *     in the loop would push onto the tape through the stack object;
 *   - it mentions the handles in no other way;
 *   - it holds no `return`, `throw`, labelled statement or labelled jump (a
 *     jump out of it would skip the store of the top), and no function.
 * Loops that do not qualify are searched for inner loops that do.
 *
 * Inside such a loop, a counted loop `while (c < B) { ...; c = c + 1; ... }`
 * whose pushes all sit at the top of its body (so each trip pushes the same
 * number of values, P) reserves room for all of them before it runs and
 * pushes without the test for a full buffer:
 *
 *   if (Number.isSafeInteger(B) && Number.isSafeInteger(c)) {
 *     const valueTapePushes = P * Math.max(0, B - c);
 *     if (valueTapeBuf.length - valueTapeTop < valueTapePushes) valueTapeBuf = valueTape.reserve(valueTapeTop, valueTapePushes);
 *     while (c < B) { ...; valueTapeBuf[valueTapeTop++] = e; ...; c = c + 1; }
 *   }
 *   else {
 *     while (c < B) { ...; if (valueTapeTop === valueTapeBuf.length) ...; valueTapeBuf[valueTapeTop++] = e; ... }
 *   }
 *
 * B is a name or an integer literal. With B and c safe integers and c stepped by exactly 1 (the only write of
 * c in the body; B not written there), the loop runs max(0, B - c) trips,
 * so it pushes exactly that many times P values, and no more fit than were
 * reserved. The body holds no loop, `break` or `continue` (which would make
 * the count an upper bound only, or unknowable). GMM's per-point loops over
 * d push `xc[r]` and `qxc[r]` this way (d = 10: about 3% of the gradient).
 */
import { ts } from 'ts-morph';
import { freshName, identifiersOf, nullContext } from '../transforms/lanes.ts';
import { writtenOrDeclared } from './local-accumulators.ts';
import { isLoop } from './loop-scopes.ts';
import { tapeHandleKind } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** Applies the rewrite to the body of every function declaration in `statements`. */
export function tapeCursors(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? rewriteFunction(s) : s));
}

/** A tape handle's locals in a rewritten loop, and the name of what a counted loop will push on it. */
interface Cursor {
  buf: string;
  top: string;
  pushes: string;
}

function rewriteFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  const handles = tapeHandles(fn.body!);
  if (handles.size === 0) return fn;
  const taken = identifiersOf(fn);
  // One pair of names per handle: each rewritten loop declares them in its own block, and no two such loops nest.
  const cursors = new Map<string, Cursor>();
  for (const h of [...handles].sort()) cursors.set(h, { buf: freshName(`${h}Buf`, taken), top: freshName(`${h}Top`, taken), pushes: freshName(`${h}Pushes`, taken) });
  const body = rewriteList(fn.body!.statements, cursors);
  if (body === null) return fn;
  const block = f.updateBlock(fn.body!, body);
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, block);
}

/** The `const` names of the function's top-level statements bound to `tape.values` or `tape.control`. */
function tapeHandles(body: ts.Block): Set<string> {
  const out = new Set<string>();
  for (const s of body.statements) {
    if (!ts.isVariableStatement(s) || (s.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    for (const d of s.declarationList.declarations) {
      const kind = d.initializer && tapeHandleKind(d.initializer);
      // The reference tape is an array of objects, pushed and popped through its methods.
      if (ts.isIdentifier(d.name) && (kind === 'values' || kind === 'control')) out.add(d.name.text);
    }
  }
  return out;
}

/** The list with its qualifying loops rewritten (searching inside the others), or null when nothing changed. */
function rewriteList(list: readonly ts.Statement[], cursors: ReadonlyMap<string, Cursor>): ts.Statement[] | null {
  let changed = false;
  const out = list.map((s) => {
    const r = rewriteStatement(s, cursors);
    if (r !== s) changed = true;
    return r;
  });
  return changed ? out : null;
}

function rewriteStatement(s: ts.Statement, cursors: ReadonlyMap<string, Cursor>): ts.Statement {
  if (isLoop(s)) {
    const used = handlesUsedBy(s, new Set(cursors.keys()));
    if (used !== null && used.size > 0) return withCursors(s, new Map([...cursors].filter(([h]) => used.has(h))));
  }
  const nested = (b: ts.Statement) => rewriteStatement(b, cursors);
  if (ts.isBlock(s)) {
    const list = rewriteList(s.statements, cursors);
    return list ? f.updateBlock(s, list) : s;
  }
  if (ts.isIfStatement(s)) {
    const then = nested(s.thenStatement);
    const other = s.elseStatement && nested(s.elseStatement);
    return then === s.thenStatement && other === s.elseStatement ? s : f.updateIfStatement(s, s.expression, then, other);
  }
  if (ts.isForStatement(s)) {
    const body = nested(s.statement);
    return body === s.statement ? s : f.updateForStatement(s, s.initializer, s.condition, s.incrementor, body);
  }
  if (ts.isWhileStatement(s)) {
    const body = nested(s.statement);
    return body === s.statement ? s : f.updateWhileStatement(s, s.expression, body);
  }
  if (ts.isDoStatement(s)) {
    const body = nested(s.statement);
    return body === s.statement ? s : f.updateDoStatement(s, body, s.expression);
  }
  return s;
}

/** `push(e)` on a handle, as a statement: [handle, e]. */
function pushOf(s: ts.Node, handles: ReadonlySet<string>): [string, ts.Expression] | null {
  if (!ts.isExpressionStatement(s)) return null;
  const call = s.expression;
  const method = ts.isCallExpression(call) ? handleMethod(call, handles) : null;
  return method && method[1] === 'push' && (call as ts.CallExpression).arguments.length === 1 ? [method[0], (call as ts.CallExpression).arguments[0]!] : null;
}

/** `handle.push(...)` / `handle.pop(...)`: [handle, method]; null for any other call. */
function handleMethod(call: ts.CallExpression, handles: ReadonlySet<string>): [string, string] | null {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression) || !handles.has(callee.expression.text)) return null;
  return [callee.expression.text, callee.name.text];
}

/** The handles the loop pushes or pops, or null when the loop does not qualify (see the top comment). */
function handlesUsedBy(loop: ts.Statement, handles: ReadonlySet<string>): Set<string> | null {
  const used = new Set<string>();
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isReturnStatement(n) || ts.isThrowStatement(n) || ts.isFunctionLike(n) || ts.isLabeledStatement(n) || ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label)) {
      ok = false;
      return;
    }
    const push = pushOf(n, handles);
    if (push) {
      used.add(push[0]);
      visit(push[1]);
      return;
    }
    if (ts.isCallExpression(n)) {
      const method = handleMethod(n, handles);
      if (method && method[1] === 'pop' && n.arguments.length === 0) {
        used.add(method[0]);
        return;
      }
      if (!isPureGlobalCall(n)) {
        ok = false;
        return;
      }
      n.arguments.forEach(visit);
      return;
    }
    if (ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isDeleteExpression(n)) {
      ok = false;
      return;
    }
    // Any other mention of a handle (its length, passing it on).
    if (ts.isIdentifier(n) && handles.has(n.text)) {
      ok = false;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(loop);
  return ok ? used : null;
}

/** `Math.f(...)` or `Number.f(...)`: functions of their arguments that cannot reach the tape. */
function isPureGlobalCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && (callee.expression.text === 'Math' || callee.expression.text === 'Number') && ts.isIdentifier(callee.name);
}

/** The loop over local cursors of the handles it uses, in a block that declares them and stores the tops back. */
function withCursors(loop: ts.Statement, cursors: ReadonlyMap<string, Cursor>): ts.Statement {
  const mine = new Set(cursors.keys());
  // `checks`: whether a push tests for a full buffer (not in the reserving copy of a counted loop, reservedLoop below).
  const visitor = (checks: boolean) => {
    const visit = (n: ts.Node): ts.VisitResult<ts.Node> => {
      const push = pushOf(n, mine);
      if (push) {
        const { buf, top } = cursors.get(push[0])!;
        const value = ts.visitNode(push[1], visit) as ts.Expression;
        const store = f.createExpressionStatement(f.createAssignment(f.createElementAccessExpression(f.createIdentifier(buf), f.createPostfixIncrement(f.createIdentifier(top))), value));
        // The push's comments (its source line) go with the statements that replace it.
        const leading = ts.getSyntheticLeadingComments(n);
        const trailing = ts.getSyntheticTrailingComments(n);
        if (trailing) ts.setSyntheticTrailingComments(store, trailing);
        if (!checks) return leading ? ts.setSyntheticLeadingComments(store, leading) : store;
        // if (top === buf.length) buf = handle.grow(top);  buf[top++] = value;
        const full = f.createIfStatement(
          f.createBinaryExpression(f.createIdentifier(top), K.EqualsEqualsEqualsToken, f.createPropertyAccessExpression(f.createIdentifier(buf), 'length')),
          f.createBlock([f.createExpressionStatement(f.createAssignment(f.createIdentifier(buf), f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(push[0]), 'grow'), undefined, [f.createIdentifier(top)])))], false),
        );
        if (leading) ts.setSyntheticLeadingComments(full, leading);
        return [full, store];
      }
      if (checks && ts.isWhileStatement(n)) {
        const counted = countedPushes(n, mine);
        if (counted) return reservedLoop(n, counted, cursors, visit, unchecked);
      }
      if (ts.isCallExpression(n)) {
        const method = handleMethod(n, mine);
        if (method && method[1] === 'pop') {
          const { buf, top } = cursors.get(method[0])!;
          return f.createNonNullExpression(f.createElementAccessExpression(f.createIdentifier(buf), f.createPrefixDecrement(f.createIdentifier(top))));
        }
      }
      return ts.visitEachChild(n, visit, nullContext);
    };
    return visit;
  };
  const replace = visitor(true);
  const unchecked = visitor(false);
  const declarations = [...cursors].flatMap(([h, { buf, top }]) => [
    f.createVariableDeclaration(buf, undefined, undefined, f.createPropertyAccessExpression(f.createIdentifier(h), 'buf')),
    f.createVariableDeclaration(top, undefined, undefined, f.createPropertyAccessExpression(f.createIdentifier(h), 'length')),
  ]);
  const stores = [...cursors].map(([h, { top }]) => f.createExpressionStatement(f.createAssignment(f.createPropertyAccessExpression(f.createIdentifier(h), 'length'), f.createIdentifier(top))));
  const rewritten = ts.visitNode(loop, replace) as ts.Statement;
  return f.createBlock([f.createVariableStatement(undefined, f.createVariableDeclarationList(declarations, ts.NodeFlags.Let)), rewritten, ...stores], true);
}

/** A counted loop's bound and counter, and how many values each trip pushes on each handle. */
interface CountedPushes {
  counter: string;
  bound: ts.Identifier | ts.NumericLiteral;
  perTrip: Map<string, number>;
}

/** `while (c < B)` that steps c by 1 and pushes the same values on every trip (see the top comment), or null. */
function countedPushes(loop: ts.WhileStatement, handles: ReadonlySet<string>): CountedPushes | null {
  const cond = loop.expression;
  if (!ts.isBinaryExpression(cond) || cond.operatorToken.kind !== K.LessThanToken || !ts.isIdentifier(cond.left)) return null;
  // A literal bound must be a safe integer itself: `r < 2.5` runs 3 trips where B - c reads 2.5.
  if (!ts.isIdentifier(cond.right) && !(ts.isNumericLiteral(cond.right) && Number.isSafeInteger(Number(cond.right.text)))) return null;
  if (!ts.isBlock(loop.statement)) return null;
  const counter = cond.left.text;
  const bound = cond.right;
  const perTrip = new Map<string, number>();
  let steps = 0;
  for (const s of loop.statement.statements) {
    const push = pushOf(s, handles);
    if (push) {
      perTrip.set(push[0], (perTrip.get(push[0]) ?? 0) + 1);
      if (mentionsHandlePush(push[1], handles)) return null;
      continue;
    }
    if (isStepOf(s, counter)) {
      steps++;
      continue;
    }
    if (mentionsHandlePush(s, handles) || hasLoopOrJump(s)) return null;
    // A store into an element writes no name.
    const written = writtenOrDeclared(s);
    if (written.has(counter) || (ts.isIdentifier(bound) && written.has(bound.text))) return null;
  }
  return steps === 1 && perTrip.size > 0 ? { counter, bound, perTrip } : null;
}

/** `c = c + 1;` */
function isStepOf(s: ts.Statement, counter: string): boolean {
  if (!ts.isExpressionStatement(s) || !ts.isBinaryExpression(s.expression) || s.expression.operatorToken.kind !== K.EqualsToken) return false;
  const { left, right } = s.expression;
  return ts.isIdentifier(left) && left.text === counter && ts.isBinaryExpression(right) && right.operatorToken.kind === K.PlusToken && ts.isIdentifier(right.left) && right.left.text === counter && ts.isNumericLiteral(right.right) && right.right.text === '1';
}

function mentionsHandlePush(n: ts.Node, handles: ReadonlySet<string>): boolean {
  if (ts.isCallExpression(n) && handleMethod(n, handles)?.[1] === 'push') return true;
  return ts.forEachChild(n, (c) => mentionsHandlePush(c, handles)) === true;
}

function hasLoopOrJump(n: ts.Node): boolean {
  if (isLoop(n) || ts.isBreakStatement(n) || ts.isContinueStatement(n)) return true;
  return ts.forEachChild(n, hasLoopOrJump) === true;
}

/** The counted loop twice: reserving and pushing without the test where its trip count is exact, as before otherwise. */
function reservedLoop(
  loop: ts.WhileStatement,
  counted: CountedPushes,
  cursors: ReadonlyMap<string, Cursor>,
  checked: (n: ts.Node) => ts.VisitResult<ts.Node>,
  unchecked: (n: ts.Node) => ts.VisitResult<ts.Node>,
): ts.Statement {
  const { counter, bound } = counted;
  const isSafe = (e: ts.Expression) => f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier('Number'), 'isSafeInteger'), undefined, [e]);
  const exact = ts.isNumericLiteral(bound) ? isSafe(f.createIdentifier(counter)) : f.createLogicalAnd(isSafe(f.createIdentifier(bound.text)), isSafe(f.createIdentifier(counter)));
  const trips = f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier('Math'), 'max'), undefined, [
    f.createNumericLiteral(0),
    f.createBinaryExpression(ts.isNumericLiteral(bound) ? f.createNumericLiteral(bound.text) : f.createIdentifier(bound.text), K.MinusToken, f.createIdentifier(counter)),
  ]);
  // const valueTapePushes = P * max(0, B - c);
  // if (valueTapeBuf.length - valueTapeTop < valueTapePushes) valueTapeBuf = valueTape.reserve(valueTapeTop, valueTapePushes);
  // (the test inline: a call on every entry of the loop cost GMM d = 2 about 3%)
  const reserves = [...counted.perTrip].sort(([a], [b]) => a.localeCompare(b)).flatMap(([h, p]) => {
    const { buf, top, pushes } = cursors.get(h)!;
    const count = p === 1 ? trips : f.createBinaryExpression(f.createNumericLiteral(p), K.AsteriskToken, trips);
    const room = f.createBinaryExpression(f.createPropertyAccessExpression(f.createIdentifier(buf), 'length'), K.MinusToken, f.createIdentifier(top));
    const reserve = f.createExpressionStatement(f.createAssignment(f.createIdentifier(buf), f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(h), 'reserve'), undefined, [f.createIdentifier(top), f.createIdentifier(pushes)])));
    return [
      f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(pushes, undefined, undefined, count)], ts.NodeFlags.Const)),
      f.createIfStatement(f.createBinaryExpression(room, K.LessThanToken, f.createIdentifier(pushes)), f.createBlock([reserve], true)),
    ];
  });
  if (reserves.length) ts.addSyntheticLeadingComment(reserves[0]!, K.SingleLineCommentTrivia, ` ${bound.text} - ${counter} trips exactly: room for their pushes is made once, and no push tests for it`, true);
  const fast = ts.visitEachChild(loop, unchecked, nullContext);
  const slow = ts.visitEachChild(loop, checked, nullContext);
  const comments = ts.getSyntheticLeadingComments(loop);
  const versioned = f.createIfStatement(exact, f.createBlock([...reserves, fast], true), f.createBlock([slow], true));
  return comments ? ts.setSyntheticLeadingComments(versioned, comments) : versioned;
}
